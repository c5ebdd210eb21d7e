// The first block's queries, keys and values as token tables: exact shortcuts from the task's structure.
//
// The first block's attention input at position t is LN1(E[τ] + P[t]) (pre) or E[τ] + P[t] (none, post):
// a function of the position and the token τ there alone. A position holding an operand has p possible
// tokens; the op and = positions one each. So instead of projecting every row of the batch
// (B·T rows of C, three products of C × A), the projections are computed once per step for the R table
// rows (p per operand position, one per constant position; R = 2p + 1 for x y =, 2p + 2 for x ∘ y =),
// and the attention reads row index[b, t] of each table. The backward pass adds each row's query, key and
// value gradients into the table rows (shard by shard), then takes the tables back through the
// projections, LN1 and into the embeddings and positions once.
//
// Shape letters as in Transformer.swift; R table rows.
import Linalg

final class TokenTables<T: Scalar> {
    let R: Int, C: Int, A: Int, Tlen: Int
    let operands: Int
    /// The first table row of each position, and whether the position holds an operand (p rows) or a constant (1).
    let firstRow: [Int]
    let holdsOperand: [Bool]
    /// Each table row's token and position.
    let rowToken: [Int], rowPosition: [Int]
    let h: Buffer<T>                 // [R, C] E[τ] + P[t]
    let z: Buffer<T>                 // [R, C] the attention input: LN1(h) or h
    let mean: Buffer<T>, rstd: Buffer<T>   // [R]
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>   // [R, A]
    /// Per shard: the gradients of q, k and v tables, [3, R, A] (q, then k, then v).
    let shardGradients: [Buffer<T>]
    let dz: Buffer<T>, dh: Buffer<T> // [R, C]
    let layerNorm: LayerNormPlacement
    /// index[b·T + t]: the table row of sequence b's position t, for the sequences of the current pass.
    let rows: UnsafeMutablePointer<Int32>

    init(config: TransformerConfig, capacity: Int, shards: Int) {
        let tl = config.sequenceLength, p = config.operands, opToken = config.opToken
        C = config.dModel; A = config.attentionWidth; Tlen = tl; operands = p
        layerNorm = config.layerNorm
        // Sequences are x op y = (opToken) or x y =: operands at 0 and 2, or at 0 and 1.
        let operandAt = (0..<tl).map { t in opToken ? (t == 0 || t == 2) : t < 2 }
        var first: [Int] = [], tokens: [Int] = [], positions: [Int] = []
        for t in 0..<tl {
            first.append(tokens.count)
            if operandAt[t] {
                for tok in 0..<p { tokens.append(tok); positions.append(t) }
            } else {
                // The op token is p, the = token p + 1; = is always last.
                tokens.append(t == tl - 1 ? p + 1 : p); positions.append(t)
            }
        }
        holdsOperand = operandAt; firstRow = first; rowToken = tokens; rowPosition = positions
        R = tokens.count
        h = Buffer(R * C); z = Buffer(R * C); mean = Buffer(R); rstd = Buffer(R)
        q = Buffer(R * A); k = Buffer(R * A); v = Buffer(R * A)
        let gradientCount = 3 * tokens.count * config.attentionWidth
        shardGradients = (0..<shards).map { _ in Buffer(gradientCount) }
        dz = Buffer(R * C); dh = Buffer(R * C)
        rows = .allocate(capacity: max(1, capacity * Tlen))
    }

    deinit { rows.deallocate() }

    /// Fills the table rows of sequences r from their tokens seq[b·T + t].
    func index(sequences seq: UnsafePointer<Int32>, _ r: Range<Int>) {
        for i in (r.lowerBound * Tlen)..<(r.upperBound * Tlen) { rows[i] = row(position: i % Tlen, token: seq[i]) }
    }

    /// The table rows of `count` sequences of the first `prefixLength` positions (tokens [count, prefixLength]).
    func index(sequences seq: UnsafePointer<Int32>, prefixLength k: Int, count: Int, into out: UnsafeMutablePointer<Int32>) {
        for i in 0..<(count * k) { out[i] = row(position: i % k, token: seq[i]) }
    }

    @inline(__always) func row(position t: Int, token: Int32) -> Int32 {
        guard holdsOperand[t] else { return Int32(firstRow[t]) }
        precondition(token >= 0 && Int(token) < operands, "Transformer: operand token \(token) outside 0..<\(operands)")
        return Int32(firstRow[t] + Int(token))
    }

    /// Part `part` (0 or 1) of the tables for the current parameters: h, z, and q, k, v = z W_{Q,K,V}ᵀ at
    /// its rows. The parts are independent, so a team runs them side by side, and they give the bits of one
    /// pass over all rows.
    func forward(part: Int, store: ParameterStore<T>, embedding: Int, positions P: UnsafePointer<T>, offsets o: BlockOffsets) {
        let W = store.values, E = W + embedding, rows = productHalf(part, of: R), lo = rows.lowerBound, n = rows.count
        for r in rows {
            let out = h.p + r * C
            out.update(from: E + rowToken[r] * C, count: C)
            addAssign(out, P + rowPosition[r] * C, N: C)
        }
        let hp = h.p + lo * C, zp = z.p + lo * C
        if layerNorm == .pre { layerNormForward(out: zp, mean: mean.p + lo, rstd: rstd.p + lo, inp: hp, g: W + o.ln1g, b: W + o.ln1b, R: n, C: C) }
        else { zp.update(from: hp, count: n * C) }
        linearForward(out: q.p + lo * A, inp: zp, weight: W + o.wq, bias: nil, B: n, I: C, O: A)
        linearForward(out: k.p + lo * A, inp: zp, weight: W + o.wk, bias: nil, B: n, I: C, O: A)
        linearForward(out: v.p + lo * A, inp: zp, weight: W + o.wv, bias: nil, B: n, I: C, O: A)
    }

    /// Zeroes every shard's table gradients (at the start of each backward pass; the rows add into them).
    func zeroGradients() { for g in shardGradients { g.zero() } }

    /// Shard s's q, k and v table gradients (zeroed by `zeroGradients`; the rows add into them).
    func gradients(shard s: Int) -> (q: UnsafeMutablePointer<T>, k: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>) {
        let g = shardGradients[s].p
        return (g, g + R * A, g + 2 * R * A)
    }

    /// Half `half` of shard 0's table gradients += shard 1's.
    func sumShardGradients(half: Int) {
        addHalf(shardGradients[0].p, shardGradients[1].p, count: 3 * R * A, half: half)
    }

    /// Part `part` (0 or 1) of taking the (summed) table gradients back through the projections: dz = Σ
    /// d{q,k,v} W_{Q,K,V} at its rows of dz, and dW_{Q,K,V} += d{q,k,v}ᵀ z, part 0 taking W_Q's and the
    /// first rows of W_K's, part 1 the rest of W_K's and W_V's. The parts write disjoint entries and give
    /// the bits of the whole products (Linalg's productHalf).
    func backwardProducts(part: Int, store: ParameterStore<T>, offsets o: BlockOffsets) {
        let W = store.values, G = store.grads, d = gradients(shard: 0)
        let rows = productHalf(part, of: R), lo = rows.lowerBound, n = rows.count
        let dzp = dz.p + lo * C
        T.gemm(transA: false, transB: false, m: n, n: C, k: A, alpha: 1, a: d.q + lo * A, lda: A, b: W + o.wq, ldb: C, beta: 0, c: dzp, ldc: C)
        T.gemm(transA: false, transB: false, m: n, n: C, k: A, alpha: 1, a: d.k + lo * A, lda: A, b: W + o.wk, ldb: C, beta: 1, c: dzp, ldc: C)
        T.gemm(transA: false, transB: false, m: n, n: C, k: A, alpha: 1, a: d.v + lo * A, lda: A, b: W + o.wv, ldb: C, beta: 1, c: dzp, ldc: C)
        // dW[outs] += d[:, outs]ᵀ z for the weight rows `outs`.
        func weightGradient(_ dw: Int, _ g: UnsafePointer<T>, _ outs: Range<Int>) {
            let a = outs.lowerBound
            T.gemm(transA: true, transB: false, m: outs.count, n: C, k: R, alpha: 1, a: g + a, lda: A, b: z.p, ldb: C, beta: 1, c: G + dw + a * C, ldc: C)
        }
        let keyRows = productHalf(part, of: A)
        if part == 0 { weightGradient(o.wq, d.q, 0..<A) }
        weightGradient(o.wk, d.k, keyRows)
        if part == 1 { weightGradient(o.wv, d.v, 0..<A) }
    }

    /// After every part of `backwardProducts`: dz back through LN1 and into the embeddings of the rows'
    /// tokens and the positions (learned ones: dPositions non-nil), row by row in order.
    func backwardInputs(store: ParameterStore<T>, embedding: Int, positions dP: UnsafeMutablePointer<T>?, offsets o: BlockOffsets) {
        let W = store.values, G = store.grads
        var dIn = dz.p
        if layerNorm == .pre {
            dh.zero()
            layerNormBackward(dinp: dh.p, dg: G + o.ln1g, db: G + o.ln1b, dout: dz.p, inp: h.p, g: W + o.ln1g, mean: mean.p, rstd: rstd.p, R: R, C: C)
            dIn = dh.p
        }
        let dE = G + embedding
        for r in 0..<R {
            addAssign(dE + rowToken[r] * C, dIn + r * C, N: C)
            if let dP { addAssign(dP + rowPosition[r] * C, dIn + r * C, N: C) }
        }
    }
}

// MARK: - The prefix rows
//
// In a model of two blocks or more, block 0 runs at every position. At the positions before the second
// operand (x and op in x ∘ y =; x in x y =) its output depends on the first operand alone: causal
// attention there sees only those positions, whose tokens are x and constants. So block 0 is computed
// there once per operand value, as p sequences of k positions (k = 2 or 1), instead of once per row of
// the batch, the operand values split between the two shards. With three blocks or more, each sequence's
// block-1 input takes its first k positions from the rows of its x, and the gradients at those positions
// are added into the prefix rows (shard by shard) and taken back through block 0 once per pass. With two,
// block 1 reads the prefix rows only through its keys and values there (PrefixKeys, below).

final class PrefixRows<T: Scalar> {
    /// k: the prefix positions; p: the operands (prefix sequences); T: the full sequence length; C: d_model.
    let k: Int, p: Int, Tlen: Int, C: Int
    /// Block 0 over the p prefix sequences (queries at all k positions).
    let work: BlockWork<T>
    /// The prefix sequences' tokens [p, k], their token-table rows [p, k], their embeddings [p, k, C] and
    /// the gradient of those [p, k, C].
    let seq: UnsafeMutablePointer<Int32>
    let rows: UnsafeMutablePointer<Int32>
    let h0: Buffer<T>, dX: Buffer<T>
    /// Per shard: the gradient of block 0's output at the prefix rows [p, k, C].
    let shardOut: [Buffer<T>]
    /// Block 1's input assembled per sequence [capacity, T, C], and block 0's output gradient at the other
    /// positions [capacity, T − k, C] (models of three blocks or more).
    let input: Buffer<T>, dTail: Buffer<T>
    /// In a model of two blocks, block 1's keys and values at the prefix positions (then `input` and
    /// `dTail` are unused: each sequence's block 1 reads block 0's output at its other positions directly).
    let keys: PrefixKeys<T>?

    init(config: TransformerConfig, tables: TokenTables<T>, capacity: Int, shards: Int) {
        let tl = config.sequenceLength, pp = config.operands, kk = config.opToken ? 2 : 1, c = config.dModel
        k = kk; p = pp; Tlen = tl; C = c
        work = BlockWork(B: pp, Tlen: kk, TQ: kk, C: c, A: config.attentionWidth, M: config.dMLP, NH: config.heads, shards: shards,
                         layerNorm: config.layerNorm, rowQueries: false, rowKeys: false)
        seq = .allocate(capacity: pp * kk)
        rows = .allocate(capacity: pp * kk)
        for x in 0..<pp {
            seq[x * kk] = Int32(x)
            if kk == 2 { seq[x * kk + 1] = Int32(pp) }   // the op token
        }
        tables.index(sequences: seq, prefixLength: kk, count: pp, into: rows)
        h0 = Buffer(pp * kk * c); dX = Buffer(pp * kk * c)
        shardOut = (0..<shards).map { _ in Buffer(pp * kk * c) }
        // Block 1 is the last block and reads its queries at the answer position only.
        let twoBlocks = config.layers == 2 && !config.fullLastBlock
        keys = twoBlocks ? PrefixKeys(config: config, prefixLength: kk, capacity: capacity, shards: shards) : nil
        input = Buffer(twoBlocks ? 1 : capacity * tl * c); dTail = Buffer(twoBlocks ? 1 : capacity * (tl - kk) * c)
    }

    deinit { seq.deallocate(); rows.deallocate() }

    /// dst[b] = (block 0's prefix rows of x_b, then tail[b]) for B sequences whose tokens are seq[b·T ...]; returns dst.
    func assemble(_ dst: UnsafeMutablePointer<T>, tail: UnsafePointer<T>, seq tokens: UnsafePointer<Int32>, B: Int) -> UnsafeMutablePointer<T> {
        let head = k * C, rest = (Tlen - k) * C
        for b in 0..<B {
            let x = Int(tokens[b * Tlen]), d = dst + b * Tlen * C
            d.update(from: work.out.p + x * head, count: head)
            (d + head).update(from: tail + b * rest, count: rest)
        }
        return dst
    }

    /// The adjoint of `assemble`: shard `shard`'s prefix-row gradients += the first k positions of d[b], and
    /// tail[b] = the others; returns tail.
    func split(_ d: UnsafePointer<T>, tail: UnsafeMutablePointer<T>, seq tokens: UnsafePointer<Int32>, B: Int, shard: Int) -> UnsafeMutablePointer<T> {
        let head = k * C, rest = (Tlen - k) * C, out = shardOut[shard].p
        for b in 0..<B {
            let x = Int(tokens[b * Tlen]), s = d + b * Tlen * C
            addAssign(out + x * head, s, N: head)
            (tail + b * rest).update(from: s + head, count: rest)
        }
        return tail
    }

    /// Half `half` of shard 0's prefix-row gradients += shard 1's.
    func sumShardGradients(half: Int) {
        addHalf(shardOut[0].p, shardOut[1].p, count: p * k * C, half: half)
    }

    func zeroGradients() {
        for g in shardOut { g.zero() }
        keys?.zeroPrefixGradients()
    }
}

// MARK: - The last block's keys and values at the prefix positions
//
// In a model of two blocks, block 1 is the last: it reads its queries at the answer position only, so at
// the prefix positions it needs only keys and values, of LN1(block 0's output) there, which depend on x
// alone. They are computed once per operand value from the prefix rows, and each sequence computes
// block 1's keys and values at its other positions only. Keys and values sit in one buffer, the prefix
// rows first (row x·k + s) and then the sequences' rows (row P + b·(T − k) + s − k), which `rows` indexes
// for the attention. Their gradients at the prefix rows add up over the batch, shard by shard, and go
// back through LN1 and the projections into the prefix rows' output gradient once per pass.

final class PrefixKeys<T: Scalar> {
    /// P = p·k prefix rows; the positions after the prefix (T − k); the attention and model widths.
    let P: Int, tail: Int, k: Int, Tlen: Int, A: Int, C: Int
    /// Keys and values [P + capacity·tail, A], and per shard their gradients.
    let keys: Buffer<T>, values: Buffer<T>
    let dKeys: [Buffer<T>], dValues: [Buffer<T>]
    /// The prefix rows' LN1 output [P, C], its mean and reciprocal deviation, and its gradient.
    let z: Buffer<T>, mean: Buffer<T>, rstd: Buffer<T>, dz: Buffer<T>
    /// rows[b·T + s]: the key row of sequence b's position s.
    let rows: UnsafeMutablePointer<Int32>

    init(config: TransformerConfig, prefixLength kk: Int, capacity: Int, shards: Int) {
        let tl = config.sequenceLength, a = config.attentionWidth, c = config.dModel, pp = config.operands * kk
        P = pp; k = kk; tail = tl - kk; Tlen = tl; A = a; C = c
        let count = (pp + capacity * (tl - kk)) * a
        keys = Buffer(count); values = Buffer(count)
        dKeys = (0..<shards).map { _ in Buffer(count) }; dValues = (0..<shards).map { _ in Buffer(count) }
        z = Buffer(pp * c); mean = Buffer(pp); rstd = Buffer(pp); dz = Buffer(pp * c)
        rows = .allocate(capacity: max(1, capacity * tl))
    }

    deinit { rows.deallocate() }

    /// The key rows of sequences r (global indices) from their tokens seq[b·T + t].
    func index(sequences seq: UnsafePointer<Int32>, _ r: Range<Int>) {
        for b in r {
            let x = Int(seq[b * Tlen])
            for s in 0..<Tlen { rows[b * Tlen + s] = Int32(s < k ? x * k + s : P + b * tail + s - k) }
        }
    }

    /// The gradients' prefix rows, zeroed before a pass (the sequences' rows are zeroed by each shard).
    func zeroPrefixGradients() {
        for s in dKeys.indices {
            dKeys[s].p.update(repeating: 0, count: P * A)
            dValues[s].p.update(repeating: 0, count: P * A)
        }
    }

    /// Half `half` of shard 0's prefix-row gradients += shard 1's.
    func sumShardGradients(half: Int) {
        addHalf(dKeys[0].p, dKeys[1].p, count: P * A, half: half)
        addHalf(dValues[0].p, dValues[1].p, count: P * A, half: half)
    }
}

// Transformer: the decoder-only family of Power et al. 2022 and Nanda et al. 2023 for x ∘ y.
//
// Shape letters: B batch rows, T sequence length (3: x y = ; or 4: x op y =), C d_model,
// NH heads, HS head size (NH·HS = A, the attention width), M d_mlp, V vocabulary (p operands + op + =),
// K output classes. Rows are flattened: N = B·T for all positions, Q = B·TQ for the query positions.
//
//   tokens --E, P--> h0[N,C] --block 1--> ... --block L--> h[Q,C] --(final LN)--> --W_U--> logits[B,K]
//
//   block (ln = pre):  a = x + Attn(LN1(x));   out = a + MLP(LN2(a))
//         (ln = post): a = LN1(x + Attn(x));   out = LN2(a + MLP(a))
//         (ln = none): a = x + Attn(x);        out = a + MLP(a)
//   Attn(z) = concat_h softmax(q_h k_hᵀ / √HS + causal mask) v_h · W_Oᵀ, with q, k, v = z W_{Q,K,V}ᵀ (no biases)
//   MLP(z)  = f(z W_inᵀ + b_in) W_outᵀ + b_out
//
// The loss reads only the last position (the answer), so the last block computes its queries,
// attention output, MLP and everything after only at that position (TQ = 1); keys and values still
// cover every position. This is exact; `fullLastBlock` turns it off, and a test compares the two.
// The first block's attention input at a position depends only on the token there, so its queries, keys
// and values are tables of a few hundred rows (TokenTables.swift, `firstBlockTables`), read by index.
// A batch of 256 sequences or more runs as two fixed halves side by side (see "Shards" below).
// Every layer's forward and backward sit side by side; gradients accumulate with +=.
import Foundation
import Linalg

public enum LayerNormPlacement: String, CaseIterable, Sendable, Codable { case pre, post, none }
public enum PositionKind: String, CaseIterable, Sendable, Codable { case learned, sinusoidal }

public struct TransformerConfig: Sendable, Equatable {
    public var operands: Int            // p: tokens 0..<p are operands
    public var classes: Int             // K
    public var opToken: Bool            // sequence x op y = (true, Power et al.) or x y = (false, Nanda et al.)
    public var layers: Int
    public var dModel: Int              // C
    public var heads: Int               // NH
    public var dHead: Int               // HS
    public var dMLP: Int                // M
    public var activation: Activation
    public var layerNorm: LayerNormPlacement
    public var positions: PositionKind
    public var initScale: Double
    public var fullLastBlock = false
    /// The first block's queries, keys and values as tables over (position, token) (TokenTables.swift),
    /// exact; false computes them row by row, and a test compares the two.
    public var firstBlockTables = true
    /// In a model of two blocks or more, block 0 at the positions before the second operand computed once
    /// per operand value (PrefixRows in TokenTables.swift), exact; needs `firstBlockTables`.
    public var prefixRows = true

    public init(operands: Int, classes: Int, opToken: Bool = true, layers: Int = 2, dModel: Int = 128, heads: Int = 4,
                dHead: Int? = nil, dMLP: Int = 512, activation: Activation = .relu, layerNorm: LayerNormPlacement = .pre,
                positions: PositionKind = .learned, initScale: Double = 1) {
        self.operands = operands; self.classes = classes; self.opToken = opToken; self.layers = layers; self.dModel = dModel
        self.heads = heads; self.dHead = dHead ?? max(1, dModel / heads); self.dMLP = dMLP; self.activation = activation
        self.layerNorm = layerNorm; self.positions = positions; self.initScale = initScale
    }

    public var sequenceLength: Int { opToken ? 4 : 3 }
    public var vocabulary: Int { operands + 2 }          // operands, op, =
    public var attentionWidth: Int { heads * dHead }
    public var parameterCount: Int { layout.count }

    public var layout: ParameterLayout {
        var l = ParameterLayout()
        let C = dModel, A = attentionWidth, M = dMLP
        l.add("embed", rows: vocabulary, cols: C)
        if positions == .learned { l.add("pos", rows: sequenceLength, cols: C) }
        for i in 0..<layers {
            if layerNorm != .none { l.add("b\(i).ln1.g", rows: 1, cols: C); l.add("b\(i).ln1.b", rows: 1, cols: C) }
            l.add("b\(i).wq", rows: A, cols: C); l.add("b\(i).wk", rows: A, cols: C); l.add("b\(i).wv", rows: A, cols: C)
            l.add("b\(i).wo", rows: C, cols: A)
            if layerNorm != .none { l.add("b\(i).ln2.g", rows: 1, cols: C); l.add("b\(i).ln2.b", rows: 1, cols: C) }
            l.add("b\(i).w_in", rows: M, cols: C); l.add("b\(i).b_in", rows: 1, cols: M)
            l.add("b\(i).w_out", rows: C, cols: M); l.add("b\(i).b_out", rows: 1, cols: C)
        }
        if layerNorm == .pre { l.add("lnf.g", rows: 1, cols: C); l.add("lnf.b", rows: 1, cols: C) }
        l.add("unembed", rows: classes, cols: C)
        return l
    }
}

// MARK: - LayerNorm: out = (x − mean) · rstd · g + b over the last dimension (C), ε = 1e-5

/// out[R,C], mean[R], rstd[R] from inp[R,C]: per row, mean = Σ x / C and var = Σ (x − mean)² / C (sums in
/// increasing c), rstd = 1/√(var + ε), out = (x − mean)·rstd·g + b; in C (Linalg's Scalar.layerNormForwardKernel).
/// The buffers do not overlap.
@inline(__always)
public func layerNormForward<T: Scalar>(out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                        inp: UnsafePointer<T>, g: UnsafePointer<T>, b: UnsafePointer<T>, R: Int, C: Int) {
    T.layerNormForwardKernel(out: out, mean: mean, rstd: rstd, inp: inp, g: g, b: b, R: R, C: C)
}

/// dinp += ∂/∂x;  dg += Σ dout · x̂;  db += Σ dout   (x̂ = (x − mean)·rstd): per row, with dn = g·dout,
/// dinp += (dn − Σ dn / C − x̂ · Σ dn x̂ / C)·rstd (sums in increasing c; rows in increasing order into dg
/// and db); in C (Linalg's Scalar.layerNormBackwardKernel). The buffers do not overlap.
@inline(__always)
public func layerNormBackward<T: Scalar>(dinp: UnsafeMutablePointer<T>, dg: UnsafeMutablePointer<T>, db: UnsafeMutablePointer<T>,
                                         dout: UnsafePointer<T>, inp: UnsafePointer<T>, g: UnsafePointer<T>,
                                         mean: UnsafePointer<T>, rstd: UnsafePointer<T>, R: Int, C: Int) {
    T.layerNormBackwardKernel(dinp: dinp, dg: dg, db: db, dout: dout, inp: inp, g: g, mean: mean, rstd: rstd, R: R, C: C)
}

// MARK: - Causal multi-head attention core (after the q, k, v projections, before W_O)
//
// q[B,TQ,A] holds the queries of the last TQ positions; k, v [B,T,A]; att[B,NH,TQ,T] the softmax weights;
// y[B,TQ,A] = Σ_s att · v. Query i sits at position t = T − TQ + i and sees keys s ≤ t. With an index
// (`queries`, `keys`: one entry per sequence position) a sequence row reads q, or k and v (and writes their
// gradients), at the table row the index gives: the first block reads both from the token tables, the
// last block of a model with prefix rows only its keys and values.

public func attentionForward<T: Scalar>(y: UnsafeMutablePointer<T>, att: UnsafeMutablePointer<T>,
                                        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                        B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int,
                                        queries: UnsafePointer<Int32>? = nil, keys: UnsafePointer<Int32>? = nil) {
    // Per sequence b, head h and query i at position t: score_s = q_i · k_s / √HS for s ≤ t (dot products
    // in increasing e), att = softmax over s (less the max, sums in increasing s), y_i = Σ_s att_s v_s,
    // in C (Linalg's Scalar.attentionForwardKernel).
    T.attentionForwardKernel(y: y, att: att, q: q, k: k, v: v, B: B, Tlen: Tlen, TQ: TQ, NH: NH, HS: HS, queries: queries, keys: keys)
}

/// dq, dk, dv += the gradients of attentionForward given dy (with indexes, into the rows they give); dq, dk
/// and dv are distinct buffers, scratch holds Tlen values.
public func attentionBackward<T: Scalar>(dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                         dy: UnsafePointer<T>, att: UnsafePointer<T>,
                                         q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                         B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int, scratch: UnsafeMutablePointer<T>,
                                         queries: UnsafePointer<Int32>? = nil, keys: UnsafePointer<Int32>? = nil) {
    // dw_s = dy · v_s and dv_s += w_s dy; then dscore_s = w_s (dw_s − Σ_r w_r dw_r) / √HS, dq_i += dscore_s k_s
    // and dk_s += dscore_s q_i, in C (Linalg's Scalar.attentionBackwardKernel).
    T.attentionBackwardKernel(dq: dq, dk: dk, dv: dv, dy: dy, att: att, q: q, k: k, v: v, B: B, Tlen: Tlen, TQ: TQ, NH: NH, HS: HS,
                              scratch: scratch, queries: queries, keys: keys)
}

/// Sinusoidal positions (Vaswani et al. 2017): P[t, 2i] = sin(t / 10000^(2i/C)), P[t, 2i+1] = cos(...).
public func sinusoidalPositions<T: Scalar>(T tlen: Int, C: Int) -> [T] {
    var p = [T](repeating: 0, count: tlen * C)
    for t in 0..<tlen {
        for c in 0..<C {
            let i = Double(c / 2 * 2)
            let angle = Double(t) / pow(10000, i / Double(C))
            p[t * C + c] = T(c % 2 == 0 ? sin(angle) : cos(angle))
        }
    }
    return p
}

// MARK: - The model

/// Row gather of the last TQ positions: out[b, i, :] = inp[b, T − TQ + i, :].
@inline(__always)
func gatherTail<T: Scalar>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, B: Int, Tlen: Int, TQ: Int, C: Int) {
    for b in 0..<B { (out + b * TQ * C).update(from: inp + (b * Tlen + Tlen - TQ) * C, count: TQ * C) }
}

/// The adjoint: dinp[b, T − TQ + i, :] += dout[b, i, :].
@inline(__always)
func scatterTailAdd<T: Scalar>(_ dinp: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>, B: Int, Tlen: Int, TQ: Int, C: Int) {
    for b in 0..<B { addAssign(dinp + (b * Tlen + Tlen - TQ) * C, dout + b * TQ * C, N: TQ * C) }
}

final class Buffer<T: Scalar> {
    let p: UnsafeMutablePointer<T>
    let count: Int
    init(_ n: Int) { count = max(1, n); p = .allocate(capacity: count); p.initialize(repeating: 0, count: count) }
    deinit { p.deallocate() }
    func zero() { p.update(repeating: 0, count: count) }
}

/// The activations (and their gradients) of one block, for up to `capacity` sequences. Sequence b's rows
/// start at b times each buffer's width per sequence, so a shard of sequences owns a contiguous slice.
final class BlockWork<T: Scalar> {
    let TQ: Int
    let attnIn, ln1Mean, ln1Rstd, qIn, xq, q, k, v, att, y, o, r1, a, ln1bMean, ln1bRstd: Buffer<T>
    let mlpIn, ln2Mean, ln2Rstd, pre, hid, m, r2, out: Buffer<T>
    let dAttnIn, dqIn, dq, dk, dv, dy, dr1, dmlpIn, dpre, dhid, dr2, scratch: Buffer<T>
    /// a is r1, mlpIn is a and out is r2 (the same buffer) where the LayerNorm placement puts no LN between
    /// them, and without LN1 the attention input is the block input itself. `rowQueries`: the block projects
    /// its queries (and, with `rowKeys`, its keys and values) row by row into these buffers; a block fed by
    /// the token tables does neither, and the last block of a two-block model with prefix rows puts its keys
    /// and values in PrefixKeys. Buffers a block does not use are not allocated.
    init(B: Int, Tlen: Int, TQ: Int, C: Int, A: Int, M: Int, NH: Int, shards: Int, layerNorm: LayerNormPlacement,
         rowQueries: Bool = true, rowKeys: Bool = true) {
        self.TQ = TQ
        let N = B * Tlen, Q = B * TQ, post = layerNorm == .post
        let lnRows = rowQueries && layerNorm == .pre ? N : 0, queries = rowQueries ? Q : 0, keys = rowKeys ? N : 0
        attnIn = Buffer(lnRows * C); ln1Mean = Buffer(lnRows); ln1Rstd = Buffer(lnRows); qIn = Buffer(queries * C); xq = Buffer(Q * C)
        q = Buffer(queries * A); k = Buffer(keys * A); v = Buffer(keys * A); att = Buffer(B * NH * TQ * Tlen); y = Buffer(Q * A)
        o = Buffer(Q * C); r1 = Buffer(Q * C); a = post ? Buffer(Q * C) : r1; ln1bMean = Buffer(post ? Q : 1); ln1bRstd = Buffer(post ? Q : 1)
        mlpIn = layerNorm == .pre ? Buffer(Q * C) : a; ln2Mean = Buffer(Q); ln2Rstd = Buffer(Q); pre = Buffer(Q * M); hid = Buffer(Q * M)
        m = Buffer(Q * C); r2 = Buffer(Q * C); out = post ? Buffer(Q * C) : r2
        dAttnIn = Buffer(rowQueries ? N * C : 0); dqIn = Buffer(queries * C); dq = Buffer(queries * A); dk = Buffer(keys * A); dv = Buffer(keys * A)
        dy = Buffer(Q * A); dr1 = Buffer(post ? Q * C : 1); dmlpIn = Buffer(Q * C); dpre = Buffer(Q * M)
        dhid = Buffer(Q * M); dr2 = Buffer(post ? Q * C : 1); scratch = Buffer(shards * Tlen)
    }
}

/// Offsets of one block's tensors in the parameter (and gradient) buffer, resolved once; −1 for a
/// LayerNorm the placement leaves out.
struct BlockOffsets {
    let ln1g, ln1b, wq, wk, wv, wo, ln2g, ln2b, wIn, bIn, wOut, bOut: Int
    init(_ l: Int, _ layout: ParameterLayout) {
        func o(_ name: String) -> Int { layout.view("b\(l).\(name)")?.offset ?? -1 }
        ln1g = o("ln1.g"); ln1b = o("ln1.b"); wq = o("wq"); wk = o("wk"); wv = o("wv"); wo = o("wo")
        ln2g = o("ln2.g"); ln2b = o("ln2.b"); wIn = o("w_in"); bIn = o("b_in"); wOut = o("w_out"); bOut = o("b_out")
    }
}

public final class Transformer<T: Scalar>: Classifier {
    public let config: TransformerConfig
    public let store: ParameterStore<T>
    public let capacity: Int
    public var classes: Int { config.classes }

    let Tlen: Int
    let sinusoid: Buffer<T>           // [T, C] fixed positions (sinusoidal), unused for learned ones
    let h0: Buffer<T>                 // [N, C]
    let blocks: [BlockWork<T>]
    let dX: [Buffer<T>]               // dX[l]: gradient of block l's input [N, C]
    let lastFullGrad: Buffer<T>       // [N, C] when the last block is computed at every position
    let final: Buffer<T>, lnfMean: Buffer<T>, lnfRstd: Buffer<T>, lastOut: Buffer<T>, dFinal: Buffer<T>, dLast: Buffer<T>
    public let logits: UnsafeMutablePointer<T>
    let seq: UnsafeMutablePointer<Int32>   // [capacity, T] token sequences
    /// The first block's queries, keys and values as token tables (nil: computed row by row).
    let tables: TokenTables<T>?
    /// Block 0 at the positions before the second operand, once per operand value (nil: row by row).
    let prefix: PrefixRows<T>?
    /// Whether this model computes block 0's prefix positions once per operand value.
    public var computesPrefixRows: Bool { prefix != nil }
    let offsets: [BlockOffsets]
    let embedOffset: Int, posOffset: Int, lnfGain: Int, lnfBias: Int, unembedOffset: Int
    /// Shard 1's gradients (laid out as store.grads), added to shard 0's after a backward pass.
    let shardGrads: Buffer<T>
    /// Runs the shards side by side; one member until a trainer attaches more.
    var team = WorkerTeam(size: 1)

    public init(config: TransformerConfig, capacity: Int, rng: RNG) {
        precondition(config.layers >= 1 && config.dModel >= 1 && config.heads >= 1 && config.dHead >= 1 && config.dMLP >= 1)
        self.config = config
        self.capacity = capacity
        store = ParameterStore(layout: config.layout)
        let layout = store.layout
        offsets = (0..<config.layers).map { BlockOffsets($0, layout) }
        embedOffset = layout.view("embed")!.offset
        posOffset = layout.view("pos")?.offset ?? -1
        lnfGain = layout.view("lnf.g")?.offset ?? -1
        lnfBias = layout.view("lnf.b")?.offset ?? -1
        unembedOffset = layout.view("unembed")!.offset
        let tl = config.sequenceLength
        Tlen = tl
        let C = config.dModel, A = config.attentionWidth, M = config.dMLP, B = capacity, NH = config.heads
        let layers = config.layers, full = config.fullLastBlock
        let fixed = Buffer<T>(tl * C)
        if config.positions == .sinusoidal { sinusoidalPositions(T: tl, C: C).withUnsafeBufferPointer { fixed.p.update(from: $0.baseAddress!, count: tl * C) } }
        sinusoid = fixed
        h0 = Buffer(B * tl * C)
        let tokenTables = config.firstBlockTables ? TokenTables<T>(config: config, capacity: B, shards: 2) : nil
        tables = tokenTables
        let prefixRows = config.prefixRows && layers >= 2 ? tokenTables.map { PrefixRows(config: config, tables: $0, capacity: B, shards: 2) } : nil
        prefix = prefixRows
        let prefixLength = prefixRows?.k ?? 0, lastKeysFromPrefix = prefixRows?.keys != nil
        blocks = (0..<layers).map { l in
            let fromTables = l == 0 && tokenTables != nil, prefixKeys = l == 1 && lastKeysFromPrefix
            return BlockWork(B: B, Tlen: tl, TQ: (l == layers - 1 && !full) ? 1 : tl - (l == 0 ? prefixLength : 0), C: C, A: A, M: M, NH: NH,
                             shards: 2, layerNorm: config.layerNorm, rowQueries: !fromTables, rowKeys: !fromTables && !prefixKeys)
        }
        dX = (0..<layers).map { _ in Buffer(B * tl * C) }
        lastFullGrad = Buffer(full ? B * tl * C : 1)
        final = Buffer(B * C); lnfMean = Buffer(B); lnfRstd = Buffer(B); lastOut = Buffer(B * C); dFinal = Buffer(B * C); dLast = Buffer(B * C)
        logits = .allocate(capacity: B * config.classes)
        seq = .allocate(capacity: B * Tlen)
        shardGrads = Buffer(store.count)
        initialize(rng: rng)
    }

    deinit { logits.deallocate(); seq.deallocate() }

    /// Embeddings and positions N(0, 1/C)·scale... as in Nanda et al.: every matrix N(0, 1/fan-in)·initScale,
    /// LayerNorm gains 1 and biases 0.
    public func initialize(rng: RNG) {
        var r = rng
        for v in store.layout.views {
            let p = store.value(v)
            if v.name.hasSuffix(".g") { for i in 0..<v.count { p[i] = 1 }; continue }
            if v.name.hasSuffix(".b") || v.name.hasSuffix("b_in") || v.name.hasSuffix("b_out") { for i in 0..<v.count { p[i] = 0 }; continue }
            let fanIn = (v.name == "embed" || v.name == "pos") ? config.dModel : v.cols
            let sd = config.initScale / Double(fanIn).squareRoot()
            for i in 0..<v.count { p[i] = T(r.normal() * sd) }
        }
    }

    /// The positions' vectors [T, C]: learned (in the parameters) or sinusoidal (fixed).
    var positionRows: UnsafePointer<T> { config.positions == .learned ? UnsafePointer(store.values + posOffset) : UnsafePointer(sinusoid.p) }

    // MARK: Shards
    //
    // A batch of at least `shardThreshold` sequences is cut into two fixed halves whose passes run side by
    // side on the attached team, each half on single-threaded OpenBLAS into its own gradients (shard 0 into
    // store.grads, shard 1 into shardGrads, then added, shard 0 first). The cut depends on the batch alone,
    // so one thread or two give the same bits; the token tables are built before the halves and their
    // gradients taken back after, once per pass.

    public var shardThreshold = 256
    public func shardCount(rows: Int) -> Int { rows >= max(2, shardThreshold) ? 2 : 1 }
    public func attach(team: WorkerTeam) { self.team = team }

    enum Phase { case tablesForward, prefixForward, rowsForward, rowsBackward, sumPrefix, prefixBackward, sumShards, tablesBackward }
    struct Region { var tokens: UnsafePointer<Int32>?; var count: Int; var dlogits: UnsafePointer<T>?; var shards: Int }
    var phase = Phase.rowsForward
    var region = Region(tokens: nil, count: 0, dlogits: nil, shards: 1)
    lazy var task: (Int) -> Void = { [unowned self] t in self.perform(t) }

    func runRegion(_ p: Phase, tasks: Int) {
        phase = p
        team.run(tasks: tasks, task)
    }

    func perform(_ t: Int) {
        let r = shardRows(t, of: region.shards, rows: region.count)
        switch phase {
        case .tablesForward:
            tables!.forward(part: t, store: store, embedding: embedOffset, positions: positionRows, offsets: offsets[0])
        case .tablesBackward:
            tables!.backwardProducts(part: t, store: store, offsets: offsets[0])
        case .prefixForward:
            // Shard t's operand values of the prefix rows.
            let prefix = prefix!, k = prefix.k, C = config.dModel, rp = shardRows(t, of: region.shards, rows: prefix.p)
            _ = blockForward(0, prefix.work, x: prefix.h0.p + rp.lowerBound * k * C, B: rp.count, Tl: k, lo: rp.lowerBound,
                             index: prefix.rows + rp.lowerBound * k)
            if let keys = prefix.keys { prefixKeysForward(prefix, keys, rows: (rp.lowerBound * k)..<(rp.upperBound * k)) }
        case .rowsForward:
            forwardRows(region.tokens!, r)
        case .rowsBackward:
            // shardGrads is all zeros here: zeroed when made, and by .sumShards after each use (addHalfAndZero).
            backwardRows(region.dlogits!, r, grads: t == 0 ? store.grads : shardGrads.p, shard: t)
        case .sumPrefix:
            if let keys = prefix!.keys { keys.sumShardGradients(half: t) } else { prefix!.sumShardGradients(half: t) }
        case .prefixBackward:
            // Shard t's operand values of the prefix rows, into shard t's gradients (still to be added).
            let prefix = prefix!, k = prefix.k, C = config.dModel, rp = shardRows(t, of: region.shards, rows: prefix.p)
            let lo = rp.lowerBound, grads = t == 0 ? store.grads : shardGrads.p
            if let keys = prefix.keys { prefixKeysBackward(prefix, keys, rows: (lo * k)..<(rp.upperBound * k), grads: grads) }
            let dx = blockBackward(0, prefix.work, dOut: prefix.shardOut[0].p + lo * k * C, xIn: prefix.h0.p + lo * k * C, dx: prefix.dX.p + lo * k * C,
                                   B: rp.count, Tl: k, lo: lo, grads: grads, shard: t, index: prefix.rows + lo * k)
            embedBackward(dx, prefix.seq + lo * k, rows: rp.count * k, Tl: k, grads: grads)
        case .sumShards:
            // Shard 1's gradients into shard 0's, then zeroed for the next backward pass.
            addHalfAndZero(store.grads, shardGrads.p, count: store.count, half: t)
            tables?.sumShardGradients(half: t)
        }
    }

    /// A sharded pass runs its products on single-threaded OpenBLAS, so that its numbers do not depend on
    /// the threads (a trainer holds OpenBLAS at one thread around its steps, so this switches nothing).
    func onShardThreads(_ body: () -> Void) {
        if region.shards > 1 { withSingleThreadedBLAS(body) } else { body() }
    }

    @discardableResult
    public func forward(_ batch: InputBatch<T>) -> UnsafeMutablePointer<T> {
        let B = batch.count
        precondition(B <= capacity, "Transformer.forward: batch \(B) exceeds capacity \(capacity)")
        region = Region(tokens: batch.tokens!, count: B, dlogits: nil, shards: shardCount(rows: B))
        onShardThreads {
            // The token tables in two parts, side by side on the team (Linalg's productHalf: the bits of one pass).
            if tables != nil { runRegion(.tablesForward, tasks: 2) }
            if let prefix {
                embed(prefix.h0.p, prefix.seq, rows: prefix.p * prefix.k, Tl: prefix.k)
                runRegion(.prefixForward, tasks: region.shards)
            }
            runRegion(.rowsForward, tasks: region.shards)
        }
        region = Region(tokens: nil, count: 0, dlogits: nil, shards: 1)
        return logits
    }

    public func backward(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>) {
        region = Region(tokens: batch.tokens!, count: batch.count, dlogits: dlogits, shards: shardCount(rows: batch.count))
        onShardThreads {
            // The gradients that the shards' rows add into start at zero in every backward pass.
            tables?.zeroGradients()
            prefix?.zeroGradients()
            runRegion(.rowsBackward, tasks: region.shards)
            if prefix != nil {
                // The prefix rows' output gradients, summed over the row shards, then block 0 back from them.
                if region.shards > 1 { runRegion(.sumPrefix, tasks: 2) }
                runRegion(.prefixBackward, tasks: region.shards)
            }
            if region.shards > 1 { runRegion(.sumShards, tasks: 2) }
            if let tables {
                runRegion(.tablesBackward, tasks: 2)
                tables.backwardInputs(store: store, embedding: embedOffset, positions: config.positions == .learned ? store.grads + posOffset : nil, offsets: offsets[0])
            }
        }
        region = Region(tokens: nil, count: 0, dlogits: nil, shards: 1)
    }

    /// The forward pass of sequences r, writing only their rows of the workspaces.
    func forwardRows(_ tokens: UnsafePointer<Int32>, _ r: Range<Int>) {
        let lo = r.lowerBound, B = r.count
        let C = config.dModel, Tl = Tlen
        let W = store.values
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let p = Int32(config.operands)
        for b in r {
            let s = seq + b * Tl
            if config.opToken { s[0] = tokens[2 * b]; s[1] = p; s[2] = tokens[2 * b + 1]; s[3] = p + 1 }
            else { s[0] = tokens[2 * b]; s[1] = tokens[2 * b + 1]; s[2] = p + 1 }
        }
        tables?.index(sequences: seq, r)
        prefix?.keys?.index(sequences: seq, r)
        let x0 = at(h0, Tl * C)
        embed(x0, seq + lo * Tl, rows: B * Tl, Tl: Tl)
        var x: UnsafeMutablePointer<T> = x0
        for (l, bw) in blocks.enumerated() {
            if l == 1, let prefix {
                if let keys = prefix.keys {
                    // The last block, with its keys and values at the prefix positions from the prefix rows.
                    x = lastBlockOverPrefix(bw, xTail: x, B: B, lo: lo, keys: keys)
                    continue
                }
                // Block 1's input: the prefix positions from the prefix rows of each sequence's first operand,
                // the others from block 0.
                x = prefix.assemble(at(prefix.input, Tl * C), tail: x, seq: seq + lo * Tl, B: B)
            }
            x = blockForward(l, bw, x: x, B: B, Tl: Tl, lo: lo, index: l == 0 ? tables.map { UnsafePointer($0.rows + lo * Tl) } : nil)
        }
        // The answer position.
        let last = at(lastOut, C), fin = at(final, C)
        if blocks[blocks.count - 1].TQ == Tl { gatherTail(last, x, B: B, Tlen: Tl, TQ: 1, C: C) } else { last.update(from: x, count: B * C) }
        if config.layerNorm == .pre { layerNormForward(out: fin, mean: at(lnfMean, 1), rstd: at(lnfRstd, 1), inp: last, g: W + lnfGain, b: W + lnfBias, R: B, C: C) }
        else { fin.update(from: last, count: B * C) }
        linearForward(out: logits + lo * config.classes, inp: fin, weight: W + unembedOffset, bias: nil, B: B, I: C, O: config.classes)
    }

    /// out[i] = E[token i] + P[position i mod Tl] for `rows` rows of tokens.
    func embed(_ out: UnsafeMutablePointer<T>, _ tokens: UnsafePointer<Int32>, rows: Int, Tl: Int) {
        let C = config.dModel, E = store.values + embedOffset, P = positionRows
        for i in 0..<rows {
            let o = out + i * C
            o.update(from: E + Int(tokens[i]) * C, count: C)
            addAssign(o, P + (i % Tl) * C, N: C)
        }
    }

    /// The adjoint of `embed`: dE[token i] += d[i], and d[i] into its position's row when positions are learned.
    func embedBackward(_ d: UnsafePointer<T>, _ tokens: UnsafePointer<Int32>, rows: Int, Tl: Int, grads G: UnsafeMutablePointer<T>) {
        let C = config.dModel, dE = G + embedOffset
        let dP: UnsafeMutablePointer<T>? = config.positions == .learned ? G + posOffset : nil
        for i in 0..<rows {
            addAssign(dE + Int(tokens[i]) * C, d + i * C, N: C)
            if let dP { addAssign(dP + (i % Tl) * C, d + i * C, N: C) }
        }
    }

    /// Block l over B sequences of Tl positions (`bw`'s rows from sequence lo), queries at the last bw.TQ
    /// positions; x is the block input [B, Tl, C]. With `index` (block 0) the queries, keys and values are
    /// read from the token tables. Returns the block output [B, TQ, C].
    func blockForward(_ l: Int, _ bw: BlockWork<T>, x: UnsafeMutablePointer<T>, B: Int, Tl: Int, lo: Int, index: UnsafePointer<Int32>?) -> UnsafeMutablePointer<T> {
        let C = config.dModel, A = config.attentionWidth, NH = config.heads, HS = config.dHead
        let W = store.values, o = offsets[l]
        let pre = config.layerNorm == .pre
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let N = B * Tl, TQ = bw.TQ, Q = B * TQ
        let y = at(bw.y, TQ * A), att = at(bw.att, NH * TQ * Tl)
        let xq = TQ == Tl ? x : at(bw.xq, TQ * C)
        if TQ != Tl { gatherTail(xq, x, B: B, Tlen: Tl, TQ: TQ, C: C) }
        if let index, let tables {
            attentionForward(y: y, att: att, q: tables.q.p, k: tables.k.p, v: tables.v.p, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS, queries: index, keys: index)
        } else {
            // Attention input: LN1(x) (pre) or x itself.
            let attnIn = pre ? at(bw.attnIn, Tl * C) : x
            if pre { layerNormForward(out: attnIn, mean: at(bw.ln1Mean, Tl), rstd: at(bw.ln1Rstd, Tl), inp: x, g: W + o.ln1g, b: W + o.ln1b, R: N, C: C) }
            let qIn = TQ == Tl ? attnIn : at(bw.qIn, TQ * C)
            if TQ != Tl { gatherTail(qIn, attnIn, B: B, Tlen: Tl, TQ: TQ, C: C) }
            let q = at(bw.q, TQ * A), k = at(bw.k, Tl * A), v = at(bw.v, Tl * A)
            linearForward(out: q, inp: qIn, weight: W + o.wq, bias: nil, B: Q, I: C, O: A)
            linearForward(out: k, inp: attnIn, weight: W + o.wk, bias: nil, B: N, I: C, O: A)
            linearForward(out: v, inp: attnIn, weight: W + o.wv, bias: nil, B: N, I: C, O: A)
            attentionForward(y: y, att: att, q: q, k: k, v: v, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS)
        }
        return blockAfterAttention(l, bw, xq: xq, B: B, lo: lo)
    }

    /// The rest of block l after its attention core: o = y W_Oᵀ, the residual with xq (the block input at
    /// the query positions), LN and the MLP. Returns the block output [B, TQ, C].
    func blockAfterAttention(_ l: Int, _ bw: BlockWork<T>, xq: UnsafePointer<T>, B: Int, lo: Int) -> UnsafeMutablePointer<T> {
        let C = config.dModel, A = config.attentionWidth, M = config.dMLP
        let W = store.values, o = offsets[l]
        let pre = config.layerNorm == .pre, post = config.layerNorm == .post
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let TQ = bw.TQ, Q = B * TQ, y = at(bw.y, TQ * A)
        let ao = at(bw.o, TQ * C), r1 = at(bw.r1, TQ * C), a = at(bw.a, TQ * C)
        linearForward(out: ao, inp: y, weight: W + o.wo, bias: nil, B: Q, I: A, O: C)
        for i in 0..<(Q * C) { r1[i] = xq[i] + ao[i] }
        if post { layerNormForward(out: a, mean: at(bw.ln1bMean, TQ), rstd: at(bw.ln1bRstd, TQ), inp: r1, g: W + o.ln1g, b: W + o.ln1b, R: Q, C: C) }
        let mlpIn = at(bw.mlpIn, TQ * C), hpre = at(bw.pre, TQ * M), hid = at(bw.hid, TQ * M), m = at(bw.m, TQ * C)
        let r2 = at(bw.r2, TQ * C), out = at(bw.out, TQ * C)
        if pre { layerNormForward(out: mlpIn, mean: at(bw.ln2Mean, TQ), rstd: at(bw.ln2Rstd, TQ), inp: a, g: W + o.ln2g, b: W + o.ln2b, R: Q, C: C) }
        linearForward(out: hpre, inp: mlpIn, weight: W + o.wIn, bias: W + o.bIn, B: Q, I: C, O: M)
        activationForward(config.activation, out: hid, inp: hpre, N: Q * M)
        linearForward(out: m, inp: hid, weight: W + o.wOut, bias: W + o.bOut, B: Q, I: M, O: C)
        for i in 0..<(Q * C) { r2[i] = a[i] + m[i] }
        if post { layerNormForward(out: out, mean: at(bw.ln2Mean, TQ), rstd: at(bw.ln2Rstd, TQ), inp: r2, g: W + o.ln2g, b: W + o.ln2b, R: Q, C: C) }
        return out
    }

    /// The backward pass of sequences r into `G` (laid out as store.grads) and, for the first block's
    /// token tables and the prefix rows, into shard `shard`'s gradients of them.
    func backwardRows(_ dlogits: UnsafePointer<T>, _ r: Range<Int>, grads G: UnsafeMutablePointer<T>, shard: Int) {
        let lo = r.lowerBound, B = r.count
        let C = config.dModel, Tl = Tlen
        let K = config.classes, W = store.values
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let dFin = at(dFinal, C), dL = at(dLast, C), fin = at(final, C), last = at(lastOut, C)
        dFin.update(repeating: 0, count: B * C)
        linearBackward(dinp: dFin, dweight: G + unembedOffset, dbias: nil, dout: dlogits + lo * K, inp: fin, weight: W + unembedOffset, B: B, I: C, O: K)
        if config.layerNorm == .pre {
            dL.update(repeating: 0, count: B * C)
            layerNormBackward(dinp: dL, dg: G + lnfGain, db: G + lnfBias, dout: dFin, inp: last, g: W + lnfGain, mean: at(lnfMean, 1), rstd: at(lnfRstd, 1), R: B, C: C)
        } else { dL.update(from: dFin, count: B * C) }
        // dOut: gradient of the last block's output rows.
        var dOut: UnsafeMutablePointer<T>
        if blocks[blocks.count - 1].TQ == Tl {
            dOut = at(lastFullGrad, Tl * C)   // the full last block's output gradient is [N, C], nonzero at the answer rows only
            dOut.update(repeating: 0, count: B * Tl * C)
            scatterTailAdd(dOut, dL, B: B, Tlen: Tl, TQ: 1, C: C)
        } else {
            dOut = dL
        }
        for l in stride(from: blocks.count - 1, through: 0, by: -1) {
            let bw = blocks[l]
            if l == 1, let keys = prefix?.keys {
                dOut = lastBlockOverPrefixBackward(bw, dOut: dOut, xTail: at(blocks[0].out, keys.tail * C), dx: at(dX[1], Tl * C), B: B, lo: lo,
                                                   grads: G, shard: shard, keys: keys)
                continue
            }
            if l == 0, let prefix, prefix.keys == nil {
                // dOut is block 1's input gradient [B, Tl, C]: its prefix positions go to the prefix rows of
                // each sequence's first operand, the others to block 0's output.
                dOut = prefix.split(dOut, tail: at(prefix.dTail, bw.TQ * C), seq: seq + lo * Tl, B: B, shard: shard)
            }
            let xIn: UnsafeMutablePointer<T> = l == 0 ? at(h0, Tl * C) : (l == 1 && prefix != nil ? at(prefix!.input, Tl * C) : at(blocks[l - 1].out, Tl * C))
            dOut = blockBackward(l, bw, dOut: dOut, xIn: xIn, dx: at(dX[l], Tl * C), B: B, Tl: Tl, lo: lo, grads: G, shard: shard,
                                 index: l == 0 ? tables.map { UnsafePointer($0.rows + lo * Tl) } : nil)
        }
        embedBackward(dOut, seq + lo * Tl, rows: B * Tl, Tl: Tl, grads: G)
    }

    /// The adjoint of `blockForward`: given dOut [B, TQ, C], accumulates block l's parameter gradients into
    /// G (and with `index`, its query, key and value gradients into shard `shard`'s token-table gradients)
    /// and writes the block input's gradient into dx [B, Tl, C], which it returns.
    func blockBackward(_ l: Int, _ bw: BlockWork<T>, dOut: UnsafeMutablePointer<T>, xIn: UnsafeMutablePointer<T>, dx: UnsafeMutablePointer<T>,
                       B: Int, Tl: Int, lo: Int, grads G: UnsafeMutablePointer<T>, shard: Int, index: UnsafePointer<Int32>?) -> UnsafeMutablePointer<T> {
        let C = config.dModel, A = config.attentionWidth, NH = config.heads, HS = config.dHead
        let W = store.values, o = offsets[l]
        let pre = config.layerNorm == .pre
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let N = B * Tl, TQ = bw.TQ, Q = B * TQ
        let (dy, dr1) = blockAfterAttentionBackward(l, bw, dOut: dOut, B: B, lo: lo, grads: G)
        let att = at(bw.att, NH * TQ * Tl), scratch = bw.scratch.p + shard * Tl
        if let index, let tables {
            // Into the token tables' gradients; the block input's gradient is the residual's alone.
            let d = tables.gradients(shard: shard)
            attentionBackward(dq: d.q, dk: d.k, dv: d.v, dy: dy, att: att, q: tables.q.p, k: tables.k.p, v: tables.v.p,
                              B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS, scratch: scratch, queries: index, keys: index)
            dx.update(repeating: 0, count: N * C)
        } else {
            let dq = at(bw.dq, TQ * A), dk = at(bw.dk, Tl * A), dv = at(bw.dv, Tl * A)
            dq.update(repeating: 0, count: Q * A); dk.update(repeating: 0, count: N * A); dv.update(repeating: 0, count: N * A)
            attentionBackward(dq: dq, dk: dk, dv: dv, dy: dy, att: att, q: at(bw.q, TQ * A), k: at(bw.k, Tl * A), v: at(bw.v, Tl * A),
                              B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS, scratch: scratch)
            let attnIn = pre ? at(bw.attnIn, Tl * C) : xIn, dAttnIn = at(bw.dAttnIn, Tl * C)
            let qIn = TQ == Tl ? attnIn : at(bw.qIn, TQ * C), dqIn = at(bw.dqIn, TQ * C)
            linearBackward(dinp: dqIn, dweight: G + o.wq, dbias: nil, dout: dq, inp: qIn, weight: W + o.wq, B: Q, I: C, O: A, assignInput: true)
            linearBackward(dinp: dAttnIn, dweight: G + o.wk, dbias: nil, dout: dk, inp: attnIn, weight: W + o.wk, B: N, I: C, O: A, assignInput: true)
            linearBackward(dinp: dAttnIn, dweight: G + o.wv, dbias: nil, dout: dv, inp: attnIn, weight: W + o.wv, B: N, I: C, O: A)
            if TQ == Tl { addAssign(dAttnIn, dqIn, N: N * C) } else { scatterTailAdd(dAttnIn, dqIn, B: B, Tlen: Tl, TQ: TQ, C: C) }
            // Into the block input x: through LN1 (pre) or directly, plus the residual at the query rows.
            if pre {
                dx.update(repeating: 0, count: N * C)
                layerNormBackward(dinp: dx, dg: G + o.ln1g, db: G + o.ln1b, dout: dAttnIn, inp: xIn, g: W + o.ln1g, mean: at(bw.ln1Mean, Tl), rstd: at(bw.ln1Rstd, Tl), R: N, C: C)
            } else { dx.update(from: dAttnIn, count: N * C) }
        }
        if TQ == Tl { addAssign(dx, dr1, N: N * C) } else { scatterTailAdd(dx, dr1, B: B, Tlen: Tl, TQ: TQ, C: C) }
        return dx
    }

    /// Block 1 of a two-block model with prefix rows: LN1, keys and values at each sequence's positions
    /// after the prefix (xTail [B, T − k, C], block 0's output there), its query at the answer position, and
    /// attention over the keys and values of the prefix rows (of its x) and of its own positions.
    func lastBlockOverPrefix(_ bw: BlockWork<T>, xTail: UnsafeMutablePointer<T>, B: Int, lo: Int, keys: PrefixKeys<T>) -> UnsafeMutablePointer<T> {
        let C = config.dModel, A = config.attentionWidth, NH = config.heads, HS = config.dHead, Tl = Tlen
        let W = store.values, o = offsets[1], tail = keys.tail, N = B * tail
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let pre = config.layerNorm == .pre, attnIn = pre ? at(bw.attnIn, tail * C) : xTail
        if pre { layerNormForward(out: attnIn, mean: at(bw.ln1Mean, tail), rstd: at(bw.ln1Rstd, tail), inp: xTail, g: W + o.ln1g, b: W + o.ln1b, R: N, C: C) }
        let own = (keys.P + lo * tail) * A
        linearForward(out: keys.keys.p + own, inp: attnIn, weight: W + o.wk, bias: nil, B: N, I: C, O: A)
        linearForward(out: keys.values.p + own, inp: attnIn, weight: W + o.wv, bias: nil, B: N, I: C, O: A)
        let qIn = at(bw.qIn, C), q = at(bw.q, A), xq = at(bw.xq, C)
        gatherTail(qIn, attnIn, B: B, Tlen: tail, TQ: 1, C: C)
        linearForward(out: q, inp: qIn, weight: W + o.wq, bias: nil, B: B, I: C, O: A)
        attentionForward(y: at(bw.y, A), att: at(bw.att, NH * Tl), q: q, k: keys.keys.p, v: keys.values.p, B: B, Tlen: Tl, TQ: 1, NH: NH, HS: HS,
                         keys: keys.rows + lo * Tl)
        gatherTail(xq, xTail, B: B, Tlen: tail, TQ: 1, C: C)
        return blockAfterAttention(1, bw, xq: xq, B: B, lo: lo)
    }

    /// The adjoint of `lastBlockOverPrefix`: parameter gradients into G, the key and value gradients of the
    /// prefix rows into shard `shard`'s (added over its sequences), and xTail's gradient into dx, returned.
    func lastBlockOverPrefixBackward(_ bw: BlockWork<T>, dOut: UnsafeMutablePointer<T>, xTail: UnsafeMutablePointer<T>, dx: UnsafeMutablePointer<T>,
                                     B: Int, lo: Int, grads G: UnsafeMutablePointer<T>, shard: Int, keys: PrefixKeys<T>) -> UnsafeMutablePointer<T> {
        let C = config.dModel, A = config.attentionWidth, NH = config.heads, HS = config.dHead, Tl = Tlen
        let W = store.values, o = offsets[1], tail = keys.tail, N = B * tail
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let (dy, dr1) = blockAfterAttentionBackward(1, bw, dOut: dOut, B: B, lo: lo, grads: G)
        let dK = keys.dKeys[shard].p, dV = keys.dValues[shard].p, own = (keys.P + lo * tail) * A
        (dK + own).update(repeating: 0, count: N * A); (dV + own).update(repeating: 0, count: N * A)
        let dq = at(bw.dq, A)
        dq.update(repeating: 0, count: B * A)
        attentionBackward(dq: dq, dk: dK, dv: dV, dy: dy, att: at(bw.att, NH * Tl), q: at(bw.q, A), k: keys.keys.p, v: keys.values.p,
                          B: B, Tlen: Tl, TQ: 1, NH: NH, HS: HS, scratch: bw.scratch.p + shard * Tl, keys: keys.rows + lo * Tl)
        let pre = config.layerNorm == .pre, attnIn = pre ? at(bw.attnIn, tail * C) : xTail
        let dAttnIn = at(bw.dAttnIn, tail * C), qIn = at(bw.qIn, C), dqIn = at(bw.dqIn, C)
        linearBackward(dinp: dqIn, dweight: G + o.wq, dbias: nil, dout: dq, inp: qIn, weight: W + o.wq, B: B, I: C, O: A, assignInput: true)
        linearBackward(dinp: dAttnIn, dweight: G + o.wk, dbias: nil, dout: dK + own, inp: attnIn, weight: W + o.wk, B: N, I: C, O: A, assignInput: true)
        linearBackward(dinp: dAttnIn, dweight: G + o.wv, dbias: nil, dout: dV + own, inp: attnIn, weight: W + o.wv, B: N, I: C, O: A)
        scatterTailAdd(dAttnIn, dqIn, B: B, Tlen: tail, TQ: 1, C: C)
        if pre {
            dx.update(repeating: 0, count: N * C)
            layerNormBackward(dinp: dx, dg: G + o.ln1g, db: G + o.ln1b, dout: dAttnIn, inp: xTail, g: W + o.ln1g, mean: at(bw.ln1Mean, tail), rstd: at(bw.ln1Rstd, tail), R: N, C: C)
        } else { dx.update(from: dAttnIn, count: N * C) }
        scatterTailAdd(dx, dr1, B: B, Tlen: tail, TQ: 1, C: C)
        return dx
    }

    /// Block 1's keys and values at prefix rows r, from block 0's output there: LN1, then W_K and W_V.
    func prefixKeysForward(_ prefix: PrefixRows<T>, _ keys: PrefixKeys<T>, rows r: Range<Int>) {
        let C = config.dModel, A = config.attentionWidth, W = store.values, o = offsets[1], n = r.count, lo = r.lowerBound
        let src = prefix.work.out.p + lo * C, z = keys.z.p + lo * C
        if config.layerNorm == .pre {
            layerNormForward(out: z, mean: keys.mean.p + lo, rstd: keys.rstd.p + lo, inp: src, g: W + o.ln1g, b: W + o.ln1b, R: n, C: C)
        } else { z.update(from: src, count: n * C) }
        linearForward(out: keys.keys.p + lo * A, inp: z, weight: W + o.wk, bias: nil, B: n, I: C, O: A)
        linearForward(out: keys.values.p + lo * A, inp: z, weight: W + o.wv, bias: nil, B: n, I: C, O: A)
    }

    /// The adjoint for prefix rows r, from the (summed) key and value gradients: W_K and W_V's gradients into
    /// G, and block 0's output gradient at those rows into the prefix rows' (prefix.shardOut[0]).
    func prefixKeysBackward(_ prefix: PrefixRows<T>, _ keys: PrefixKeys<T>, rows r: Range<Int>, grads G: UnsafeMutablePointer<T>) {
        let C = config.dModel, A = config.attentionWidth, W = store.values, o = offsets[1], n = r.count, lo = r.lowerBound
        let z = keys.z.p + lo * C, dz = keys.dz.p + lo * C, dOut = prefix.shardOut[0].p + lo * C
        linearBackward(dinp: dz, dweight: G + o.wk, dbias: nil, dout: keys.dKeys[0].p + lo * A, inp: z, weight: W + o.wk, B: n, I: C, O: A, assignInput: true)
        linearBackward(dinp: dz, dweight: G + o.wv, dbias: nil, dout: keys.dValues[0].p + lo * A, inp: z, weight: W + o.wv, B: n, I: C, O: A)
        if config.layerNorm == .pre {
            dOut.update(repeating: 0, count: n * C)
            layerNormBackward(dinp: dOut, dg: G + o.ln1g, db: G + o.ln1b, dout: dz, inp: prefix.work.out.p + lo * C, g: W + o.ln1g,
                              mean: keys.mean.p + lo, rstd: keys.rstd.p + lo, R: n, C: C)
        } else { dOut.update(from: dz, count: n * C) }
    }

    /// The adjoint of `blockAfterAttention`: given dOut [B, TQ, C], accumulates the gradients of W_O, the
    /// LayerNorms and the MLP into G and returns dy [B, TQ, A] (the attention core's output gradient) and
    /// dr1 [B, TQ, C] (the residual's, at the query positions).
    func blockAfterAttentionBackward(_ l: Int, _ bw: BlockWork<T>, dOut: UnsafeMutablePointer<T>, B: Int, lo: Int,
                                     grads G: UnsafeMutablePointer<T>) -> (UnsafeMutablePointer<T>, UnsafeMutablePointer<T>) {
        let C = config.dModel, A = config.attentionWidth, M = config.dMLP
        let W = store.values, o = offsets[l]
        let pre = config.layerNorm == .pre, post = config.layerNorm == .post
        @inline(__always) func at(_ buffer: Buffer<T>, _ perSequence: Int) -> UnsafeMutablePointer<T> { buffer.p + lo * perSequence }
        let TQ = bw.TQ, Q = B * TQ
        let dhid = at(bw.dhid, TQ * M), dpre = at(bw.dpre, TQ * M), dmlpIn = at(bw.dmlpIn, TQ * C), dy = at(bw.dy, TQ * A)
        // out = LN2(r2) (post) or r2. Without LN2, dOut (which nothing reads after this block) serves as dr2.
        var dr2 = dOut
        if post {
            dr2 = at(bw.dr2, TQ * C)
            dr2.update(repeating: 0, count: Q * C)
            layerNormBackward(dinp: dr2, dg: G + o.ln2g, db: G + o.ln2b, dout: dOut, inp: at(bw.r2, TQ * C), g: W + o.ln2g, mean: at(bw.ln2Mean, TQ), rstd: at(bw.ln2Rstd, TQ), R: Q, C: C)
        }
        // r2 = a + m;  m = MLP(mlpIn). da starts as dr2 in the same buffer: W_out's backward reads dr2 before
        // anything is added to it.
        let da = dr2
        linearBackward(dinp: dhid, dweight: G + o.wOut, dbias: G + o.bOut, dout: dr2, inp: at(bw.hid, TQ * M), weight: W + o.wOut, B: Q, I: M, O: C, assignInput: true)
        activationBackwardAssign(config.activation, dinp: dpre, dout: dhid, inp: at(bw.pre, TQ * M), N: Q * M)
        linearBackward(dinp: dmlpIn, dweight: G + o.wIn, dbias: G + o.bIn, dout: dpre, inp: at(bw.mlpIn, TQ * C), weight: W + o.wIn, B: Q, I: C, O: M, assignInput: true)
        if pre { layerNormBackward(dinp: da, dg: G + o.ln2g, db: G + o.ln2b, dout: dmlpIn, inp: at(bw.a, TQ * C), g: W + o.ln2g, mean: at(bw.ln2Mean, TQ), rstd: at(bw.ln2Rstd, TQ), R: Q, C: C) }
        else { addAssign(da, dmlpIn, N: Q * C) }
        // a = LN1(r1) (post) or r1;  r1 = xq + o
        var dr1 = da
        if post {
            dr1 = at(bw.dr1, TQ * C)
            dr1.update(repeating: 0, count: Q * C)
            layerNormBackward(dinp: dr1, dg: G + o.ln1g, db: G + o.ln1b, dout: da, inp: at(bw.r1, TQ * C), g: W + o.ln1g, mean: at(bw.ln1bMean, TQ), rstd: at(bw.ln1bRstd, TQ), R: Q, C: C)
        }
        // o = y W_Oᵀ
        linearBackward(dinp: dy, dweight: G + o.wo, dbias: nil, dout: dr1, inp: at(bw.y, TQ * A), weight: W + o.wo, B: Q, I: A, O: C, assignInput: true)
        return (dy, dr1)
    }

    public var parameterCount: Int { store.count }

    /// The token embeddings of the operands, [p, C] (for the Fourier and PCA views of what was learned).
    public var operandEmbeddings: [T] { Array(UnsafeBufferPointer(start: store.values + embedOffset, count: config.operands * config.dModel)) }
}

/// Models whose operand tokens have a learned representation, for the probes (spectrum, projections).
public protocol OperandEmbedding {
    /// The representation of operands 0..<count as rows of `width` values, or nil when there is none.
    func operandEmbeddingRows() -> (values: [Double], count: Int, width: Int)?
}

extension Transformer: OperandEmbedding {
    public func operandEmbeddingRows() -> (values: [Double], count: Int, width: Int)? {
        (operandEmbeddings.map(Double.init), config.operands, config.dModel)
    }
}

extension MLP: OperandEmbedding {
    /// Learned embeddings E [V, D]; for one-hot inputs the first layer's columns for the first operand, [V, H].
    public func operandEmbeddingRows() -> (values: [Double], count: Int, width: Int)? {
        let V = config.vocabulary
        switch config.input {
        case .embedding(let D):
            let e = store.value(store.layout.view("embedding")!)
            return ((0..<(V * D)).map { Double(e[$0]) }, V, D)
        case .oneHot:
            let H = config.hidden[0], L = config.positions
            let w = store.value(store.layout.view("layer0.weight")!)
            var rows = [Double](repeating: 0, count: V * H)
            for v in 0..<V { for h in 0..<H { rows[v * H + h] = Double(w[h * L * V + v]) } }
            return (rows, V, H)
        case .dense:
            return nil
        }
    }
}

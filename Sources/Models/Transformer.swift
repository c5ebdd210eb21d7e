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

/// out[R,C], mean[R], rstd[R] from inp[R,C].
public func layerNormForward<T: Scalar>(out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                        inp: UnsafePointer<T>, g: UnsafePointer<T>, b: UnsafePointer<T>, R: Int, C: Int) {
    for r in 0..<R {
        let x = inp + r * C, o = out + r * C
        var m: T = 0
        for c in 0..<C { m += x[c] }
        m /= T(C)
        var v: T = 0
        for c in 0..<C { let d = x[c] - m; v += d * d }
        v /= T(C)
        let s = 1 / T.squareRoot(v + T(1e-5))
        for c in 0..<C { o[c] = (x[c] - m) * s * g[c] + b[c] }
        mean[r] = m; rstd[r] = s
    }
}

/// dinp += ∂/∂x;  dg += Σ dout · x̂;  db += Σ dout   (x̂ = (x − mean)·rstd)
public func layerNormBackward<T: Scalar>(dinp: UnsafeMutablePointer<T>, dg: UnsafeMutablePointer<T>, db: UnsafeMutablePointer<T>,
                                         dout: UnsafePointer<T>, inp: UnsafePointer<T>, g: UnsafePointer<T>,
                                         mean: UnsafePointer<T>, rstd: UnsafePointer<T>, R: Int, C: Int) {
    for r in 0..<R {
        let x = inp + r * C, d = dout + r * C, di = dinp + r * C
        let m = mean[r], s = rstd[r]
        var dnormMean: T = 0, dnormNormMean: T = 0
        for c in 0..<C {
            let xh = (x[c] - m) * s
            let dn = g[c] * d[c]
            dnormMean += dn
            dnormNormMean += dn * xh
        }
        dnormMean /= T(C); dnormNormMean /= T(C)
        for c in 0..<C {
            let xh = (x[c] - m) * s
            let dn = g[c] * d[c]
            db[c] += d[c]
            dg[c] += xh * d[c]
            di[c] += (dn - dnormMean - xh * dnormNormMean) * s
        }
    }
}

// MARK: - Causal multi-head attention core (after the q, k, v projections, before W_O)
//
// q[B,TQ,A] holds the queries of the last TQ positions; k, v [B,T,A]; att[B,NH,TQ,T] the softmax weights;
// y[B,TQ,A] = Σ_s att · v. Query i sits at position t = T − TQ + i and sees keys s ≤ t.

public func attentionForward<T: Scalar>(y: UnsafeMutablePointer<T>, att: UnsafeMutablePointer<T>,
                                        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                        B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int) {
    let A = NH * HS
    let scale = 1 / T.squareRoot(T(HS))
    for b in 0..<B {
        for h in 0..<NH {
            for i in 0..<TQ {
                let t = Tlen - TQ + i
                let qi = q + (b * TQ + i) * A + h * HS
                let w = att + ((b * NH + h) * TQ + i) * Tlen
                var maxv = -T.infinity
                for s in 0...t {
                    let ks = k + (b * Tlen + s) * A + h * HS
                    var dot: T = 0
                    for e in 0..<HS { dot += qi[e] * ks[e] }
                    w[s] = dot * scale
                    if w[s] > maxv { maxv = w[s] }
                }
                var sum: T = 0
                for s in 0...t { w[s] = T.exp(w[s] - maxv); sum += w[s] }
                for s in 0...t { w[s] /= sum }
                for s in (t + 1)..<max(t + 1, Tlen) { w[s] = 0 }
                let yi = y + (b * TQ + i) * A + h * HS
                for e in 0..<HS { yi[e] = 0 }
                for s in 0...t {
                    let vs = v + (b * Tlen + s) * A + h * HS
                    let a = w[s]
                    for e in 0..<HS { yi[e] += a * vs[e] }
                }
            }
        }
    }
}

/// dq, dk, dv += the gradients of attentionForward given dy.
public func attentionBackward<T: Scalar>(dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                         dy: UnsafePointer<T>, att: UnsafePointer<T>,
                                         q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                         B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int, scratch: UnsafeMutablePointer<T>) {
    let A = NH * HS
    let scale = 1 / T.squareRoot(T(HS))
    let datt = scratch   // [T]
    for b in 0..<B {
        for h in 0..<NH {
            for i in 0..<TQ {
                let t = Tlen - TQ + i
                let w = att + ((b * NH + h) * TQ + i) * Tlen
                let dyi = dy + (b * TQ + i) * A + h * HS
                // y = Σ_s w_s v_s:  dw_s = dy · v_s;  dv_s += w_s dy
                for s in 0...t {
                    let vs = v + (b * Tlen + s) * A + h * HS
                    let dvs = dv + (b * Tlen + s) * A + h * HS
                    var d: T = 0
                    for e in 0..<HS { d += dyi[e] * vs[e]; dvs[e] += w[s] * dyi[e] }
                    datt[s] = d
                }
                // softmax: dscore_s = w_s (dw_s − Σ_r w_r dw_r)
                var dot: T = 0
                for s in 0...t { dot += w[s] * datt[s] }
                let qi = q + (b * TQ + i) * A + h * HS
                let dqi = dq + (b * TQ + i) * A + h * HS
                for s in 0...t {
                    let ds = w[s] * (datt[s] - dot) * scale
                    let ks = k + (b * Tlen + s) * A + h * HS
                    let dks = dk + (b * Tlen + s) * A + h * HS
                    for e in 0..<HS { dqi[e] += ds * ks[e]; dks[e] += ds * qi[e] }
                }
            }
        }
    }
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

/// Row gather: out[b,:] = inp[b·T + T−1, :] (the last position of every sequence).
@inline(__always)
func gatherLast<T: Scalar>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, B: Int, Tlen: Int, C: Int) {
    for b in 0..<B { (out + b * C).update(from: inp + (b * Tlen + Tlen - 1) * C, count: C) }
}

/// The adjoint: dinp[b·T + T−1, :] += dout[b,:].
@inline(__always)
func scatterLastAdd<T: Scalar>(_ dinp: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>, B: Int, Tlen: Int, C: Int) {
    for b in 0..<B { addAssign(dinp + (b * Tlen + Tlen - 1) * C, dout + b * C, N: C) }
}

final class Buffer<T: Scalar> {
    let p: UnsafeMutablePointer<T>
    let count: Int
    init(_ n: Int) { count = max(1, n); p = .allocate(capacity: count); p.initialize(repeating: 0, count: count) }
    deinit { p.deallocate() }
    func zero() { p.update(repeating: 0, count: count) }
}

/// The activations (and their gradients) of one block, for up to `capacity` sequences.
final class BlockWork<T: Scalar> {
    let TQ: Int
    let attnIn, ln1Mean, ln1Rstd, qIn, xq, q, k, v, att, y, o, r1, a, ln1bMean, ln1bRstd: Buffer<T>
    let mlpIn, ln2Mean, ln2Rstd, pre, hid, m, r2, out: Buffer<T>
    let dAttnIn, dqIn, dq, dk, dv, dy, dr1, da, dmlpIn, dpre, dhid, dr2, scratch: Buffer<T>
    init(B: Int, Tlen: Int, TQ: Int, C: Int, A: Int, M: Int, NH: Int) {
        self.TQ = TQ
        let N = B * Tlen, Q = B * TQ
        attnIn = Buffer(N * C); ln1Mean = Buffer(N); ln1Rstd = Buffer(N); qIn = Buffer(Q * C); xq = Buffer(Q * C)
        q = Buffer(Q * A); k = Buffer(N * A); v = Buffer(N * A); att = Buffer(B * NH * TQ * Tlen); y = Buffer(Q * A)
        o = Buffer(Q * C); r1 = Buffer(Q * C); a = Buffer(Q * C); ln1bMean = Buffer(Q); ln1bRstd = Buffer(Q)
        mlpIn = Buffer(Q * C); ln2Mean = Buffer(Q); ln2Rstd = Buffer(Q); pre = Buffer(Q * M); hid = Buffer(Q * M)
        m = Buffer(Q * C); r2 = Buffer(Q * C); out = Buffer(Q * C)
        dAttnIn = Buffer(N * C); dqIn = Buffer(Q * C); dq = Buffer(Q * A); dk = Buffer(N * A); dv = Buffer(N * A)
        dy = Buffer(Q * A); dr1 = Buffer(Q * C); da = Buffer(Q * C); dmlpIn = Buffer(Q * C); dpre = Buffer(Q * M)
        dhid = Buffer(Q * M); dr2 = Buffer(Q * C); scratch = Buffer(Tlen)
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

    public init(config: TransformerConfig, capacity: Int, rng: RNG) {
        precondition(config.layers >= 1 && config.dModel >= 1 && config.heads >= 1 && config.dHead >= 1 && config.dMLP >= 1)
        self.config = config
        self.capacity = capacity
        store = ParameterStore(layout: config.layout)
        offsets = Dictionary(uniqueKeysWithValues: store.layout.views.map { ($0.name, $0.offset) })
        let tl = config.sequenceLength
        Tlen = tl
        let C = config.dModel, A = config.attentionWidth, M = config.dMLP, B = capacity, NH = config.heads
        let layers = config.layers, full = config.fullLastBlock
        let fixed = Buffer<T>(tl * C)
        if config.positions == .sinusoidal { sinusoidalPositions(T: tl, C: C).withUnsafeBufferPointer { fixed.p.update(from: $0.baseAddress!, count: tl * C) } }
        sinusoid = fixed
        h0 = Buffer(B * tl * C)
        blocks = (0..<layers).map { l in
            BlockWork(B: B, Tlen: tl, TQ: (l == layers - 1 && !full) ? 1 : tl, C: C, A: A, M: M, NH: NH)
        }
        dX = (0..<layers).map { _ in Buffer(B * tl * C) }
        lastFullGrad = Buffer(full ? B * tl * C : 1)
        final = Buffer(B * C); lnfMean = Buffer(B); lnfRstd = Buffer(B); lastOut = Buffer(B * C); dFinal = Buffer(B * C); dLast = Buffer(B * C)
        logits = .allocate(capacity: B * config.classes)
        seq = .allocate(capacity: B * Tlen)
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

    /// Offsets of the named tensors, resolved once (the names are looked up per layer, never per row).
    let offsets: [String: Int]
    func w(_ name: String) -> UnsafeMutablePointer<T> { store.values + offsets[name]! }
    func g(_ name: String) -> UnsafeMutablePointer<T> { store.grads + offsets[name]! }

    @discardableResult
    public func forward(_ batch: InputBatch<T>) -> UnsafeMutablePointer<T> {
        let B = batch.count, C = config.dModel, A = config.attentionWidth, M = config.dMLP, NH = config.heads, HS = config.dHead
        precondition(B <= capacity, "Transformer.forward: batch \(B) exceeds capacity \(capacity)")
        let p = Int32(config.operands), tokens = batch.tokens!
        for b in 0..<B {
            let s = seq + b * Tlen
            if config.opToken { s[0] = tokens[2 * b]; s[1] = p; s[2] = tokens[2 * b + 1]; s[3] = p + 1 }
            else { s[0] = tokens[2 * b]; s[1] = tokens[2 * b + 1]; s[2] = p + 1 }
        }
        // Embedding and positions.
        let E = w("embed")
        let P: UnsafePointer<T> = config.positions == .learned ? UnsafePointer(w("pos")) : UnsafePointer(sinusoid.p)
        for r in 0..<(B * Tlen) {
            let o = h0.p + r * C, t = r % Tlen
            o.update(from: E + Int(seq[r]) * C, count: C)
            addAssign(o, P + t * C, N: C)
        }
        var x: UnsafeMutablePointer<T> = h0.p
        for (l, bw) in blocks.enumerated() {
            let N = B * Tlen, TQ = bw.TQ, Q = B * TQ
            let pre = config.layerNorm == .pre, post = config.layerNorm == .post
            // Attention input: LN1(x) (pre) or x.
            if pre { layerNormForward(out: bw.attnIn.p, mean: bw.ln1Mean.p, rstd: bw.ln1Rstd.p, inp: x, g: w("b\(l).ln1.g"), b: w("b\(l).ln1.b"), R: N, C: C) }
            else { bw.attnIn.p.update(from: x, count: N * C) }
            if TQ == Tlen { bw.qIn.p.update(from: bw.attnIn.p, count: N * C); bw.xq.p.update(from: x, count: N * C) }
            else { gatherLast(bw.qIn.p, bw.attnIn.p, B: B, Tlen: Tlen, C: C); gatherLast(bw.xq.p, x, B: B, Tlen: Tlen, C: C) }
            linearForward(out: bw.q.p, inp: bw.qIn.p, weight: w("b\(l).wq"), bias: nil, B: Q, I: C, O: A)
            linearForward(out: bw.k.p, inp: bw.attnIn.p, weight: w("b\(l).wk"), bias: nil, B: N, I: C, O: A)
            linearForward(out: bw.v.p, inp: bw.attnIn.p, weight: w("b\(l).wv"), bias: nil, B: N, I: C, O: A)
            attentionForward(y: bw.y.p, att: bw.att.p, q: bw.q.p, k: bw.k.p, v: bw.v.p, B: B, Tlen: Tlen, TQ: TQ, NH: NH, HS: HS)
            linearForward(out: bw.o.p, inp: bw.y.p, weight: w("b\(l).wo"), bias: nil, B: Q, I: A, O: C)
            for i in 0..<(Q * C) { bw.r1.p[i] = bw.xq.p[i] + bw.o.p[i] }
            if post { layerNormForward(out: bw.a.p, mean: bw.ln1bMean.p, rstd: bw.ln1bRstd.p, inp: bw.r1.p, g: w("b\(l).ln1.g"), b: w("b\(l).ln1.b"), R: Q, C: C) }
            else { bw.a.p.update(from: bw.r1.p, count: Q * C) }
            if pre { layerNormForward(out: bw.mlpIn.p, mean: bw.ln2Mean.p, rstd: bw.ln2Rstd.p, inp: bw.a.p, g: w("b\(l).ln2.g"), b: w("b\(l).ln2.b"), R: Q, C: C) }
            else { bw.mlpIn.p.update(from: bw.a.p, count: Q * C) }
            linearForward(out: bw.pre.p, inp: bw.mlpIn.p, weight: w("b\(l).w_in"), bias: w("b\(l).b_in"), B: Q, I: C, O: M)
            activationForward(config.activation, out: bw.hid.p, inp: bw.pre.p, N: Q * M)
            linearForward(out: bw.m.p, inp: bw.hid.p, weight: w("b\(l).w_out"), bias: w("b\(l).b_out"), B: Q, I: M, O: C)
            for i in 0..<(Q * C) { bw.r2.p[i] = bw.a.p[i] + bw.m.p[i] }
            if post { layerNormForward(out: bw.out.p, mean: bw.ln2Mean.p, rstd: bw.ln2Rstd.p, inp: bw.r2.p, g: w("b\(l).ln2.g"), b: w("b\(l).ln2.b"), R: Q, C: C) }
            else { bw.out.p.update(from: bw.r2.p, count: Q * C) }
            x = bw.out.p
        }
        // The answer position.
        let lastBlock = blocks[blocks.count - 1]
        if lastBlock.TQ == Tlen { gatherLast(lastOut.p, x, B: B, Tlen: Tlen, C: C) } else { lastOut.p.update(from: x, count: B * C) }
        if config.layerNorm == .pre { layerNormForward(out: final.p, mean: lnfMean.p, rstd: lnfRstd.p, inp: lastOut.p, g: w("lnf.g"), b: w("lnf.b"), R: B, C: C) }
        else { final.p.update(from: lastOut.p, count: B * C) }
        linearForward(out: logits, inp: final.p, weight: w("unembed"), bias: nil, B: B, I: C, O: config.classes)
        return logits
    }

    public func backward(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>) {
        let B = batch.count, C = config.dModel, A = config.attentionWidth, M = config.dMLP, NH = config.heads, HS = config.dHead
        let K = config.classes
        let pre = config.layerNorm == .pre, post = config.layerNorm == .post
        dFinal.zero()
        linearBackward(dinp: dFinal.p, dweight: g("unembed"), dbias: nil, dout: dlogits, inp: final.p, weight: w("unembed"), B: B, I: C, O: K)
        dLast.zero()
        if pre { layerNormBackward(dinp: dLast.p, dg: g("lnf.g"), db: g("lnf.b"), dout: dFinal.p, inp: lastOut.p, g: w("lnf.g"), mean: lnfMean.p, rstd: lnfRstd.p, R: B, C: C) }
        else { dLast.p.update(from: dFinal.p, count: B * C) }
        // dOut: gradient of the last block's output rows.
        var dOut: UnsafeMutablePointer<T>
        let last = blocks[blocks.count - 1]
        if last.TQ == Tlen {
            lastFullGrad.zero()   // the full last block's output gradient is [N, C], nonzero at the answer rows only
            dOut = lastFullGrad.p
            scatterLastAdd(dOut, dLast.p, B: B, Tlen: Tlen, C: C)
        } else {
            dOut = dLast.p
        }
        for l in stride(from: blocks.count - 1, through: 0, by: -1) {
            let bw = blocks[l]
            let N = B * Tlen, TQ = bw.TQ, Q = B * TQ
            let xIn: UnsafeMutablePointer<T> = l == 0 ? h0.p : blocks[l - 1].out.p
            // out = LN2(r2) (post) or r2.
            bw.dr2.zero()
            if post { layerNormBackward(dinp: bw.dr2.p, dg: g("b\(l).ln2.g"), db: g("b\(l).ln2.b"), dout: dOut, inp: bw.r2.p, g: w("b\(l).ln2.g"), mean: bw.ln2Mean.p, rstd: bw.ln2Rstd.p, R: Q, C: C) }
            else { bw.dr2.p.update(from: dOut, count: Q * C) }
            // r2 = a + m;  m = MLP(mlpIn)
            bw.da.p.update(from: bw.dr2.p, count: Q * C)
            bw.dhid.zero()
            linearBackward(dinp: bw.dhid.p, dweight: g("b\(l).w_out"), dbias: g("b\(l).b_out"), dout: bw.dr2.p, inp: bw.hid.p, weight: w("b\(l).w_out"), B: Q, I: M, O: C)
            activationBackwardAssign(config.activation, dinp: bw.dpre.p, dout: bw.dhid.p, inp: bw.pre.p, N: Q * M)
            bw.dmlpIn.zero()
            linearBackward(dinp: bw.dmlpIn.p, dweight: g("b\(l).w_in"), dbias: g("b\(l).b_in"), dout: bw.dpre.p, inp: bw.mlpIn.p, weight: w("b\(l).w_in"), B: Q, I: C, O: M)
            if pre { layerNormBackward(dinp: bw.da.p, dg: g("b\(l).ln2.g"), db: g("b\(l).ln2.b"), dout: bw.dmlpIn.p, inp: bw.a.p, g: w("b\(l).ln2.g"), mean: bw.ln2Mean.p, rstd: bw.ln2Rstd.p, R: Q, C: C) }
            else { addAssign(bw.da.p, bw.dmlpIn.p, N: Q * C) }
            // a = LN1(r1) (post) or r1;  r1 = xq + o
            bw.dr1.zero()
            if post { layerNormBackward(dinp: bw.dr1.p, dg: g("b\(l).ln1.g"), db: g("b\(l).ln1.b"), dout: bw.da.p, inp: bw.r1.p, g: w("b\(l).ln1.g"), mean: bw.ln1bMean.p, rstd: bw.ln1bRstd.p, R: Q, C: C) }
            else { bw.dr1.p.update(from: bw.da.p, count: Q * C) }
            // o = y W_Oᵀ
            bw.dy.zero()
            linearBackward(dinp: bw.dy.p, dweight: g("b\(l).wo"), dbias: nil, dout: bw.dr1.p, inp: bw.y.p, weight: w("b\(l).wo"), B: Q, I: A, O: C)
            bw.dq.zero(); bw.dk.zero(); bw.dv.zero()
            attentionBackward(dq: bw.dq.p, dk: bw.dk.p, dv: bw.dv.p, dy: bw.dy.p, att: bw.att.p, q: bw.q.p, k: bw.k.p, v: bw.v.p,
                              B: B, Tlen: Tlen, TQ: TQ, NH: NH, HS: HS, scratch: bw.scratch.p)
            bw.dAttnIn.zero(); bw.dqIn.zero()
            linearBackward(dinp: bw.dqIn.p, dweight: g("b\(l).wq"), dbias: nil, dout: bw.dq.p, inp: bw.qIn.p, weight: w("b\(l).wq"), B: Q, I: C, O: A)
            linearBackward(dinp: bw.dAttnIn.p, dweight: g("b\(l).wk"), dbias: nil, dout: bw.dk.p, inp: bw.attnIn.p, weight: w("b\(l).wk"), B: N, I: C, O: A)
            linearBackward(dinp: bw.dAttnIn.p, dweight: g("b\(l).wv"), dbias: nil, dout: bw.dv.p, inp: bw.attnIn.p, weight: w("b\(l).wv"), B: N, I: C, O: A)
            if TQ == Tlen { addAssign(bw.dAttnIn.p, bw.dqIn.p, N: N * C) } else { scatterLastAdd(bw.dAttnIn.p, bw.dqIn.p, B: B, Tlen: Tlen, C: C) }
            // Into the block input x: through LN1 (pre) or directly, plus the residual at the query rows.
            let dx = dX[l].p
            dX[l].zero()
            if pre { layerNormBackward(dinp: dx, dg: g("b\(l).ln1.g"), db: g("b\(l).ln1.b"), dout: bw.dAttnIn.p, inp: xIn, g: w("b\(l).ln1.g"), mean: bw.ln1Mean.p, rstd: bw.ln1Rstd.p, R: N, C: C) }
            else { dx.update(from: bw.dAttnIn.p, count: N * C) }
            if TQ == Tlen { addAssign(dx, bw.dr1.p, N: N * C) } else { scatterLastAdd(dx, bw.dr1.p, B: B, Tlen: Tlen, C: C) }
            dOut = dx
        }
        // Embedding and learned positions.
        let dE = g("embed")
        let dP: UnsafeMutablePointer<T>? = config.positions == .learned ? g("pos") : nil
        for r in 0..<(B * Tlen) {
            addAssign(dE + Int(seq[r]) * C, dOut + r * C, N: C)
            if let dP { addAssign(dP + (r % Tlen) * C, dOut + r * C, N: C) }
        }
    }


    public var parameterCount: Int { store.count }

    /// The token embeddings of the operands, [p, C] (for the Fourier and PCA views of what was learned).
    public var operandEmbeddings: [T] { Array(UnsafeBufferPointer(start: w("embed"), count: config.operands * config.dModel)) }
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

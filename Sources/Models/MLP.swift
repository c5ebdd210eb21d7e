// MLP: the multilayer perceptron family for the algorithmic tasks (token inputs through learned
// embeddings or one-hot codes) and for tabular data (dense feature inputs).
//
// Shape letters: B batch rows, V vocabulary, L operand positions, D embedding dimension,
// F dense input features, H_k width of hidden layer k, C output classes.
//
//   tokens[B,L] --(embedding E[V,D] | one-hot)--> concat[B, L·D] --W0,b0--> z0[B,H_0] --f--> a0
//   a_{k-1} --W_k,b_k--> z_k[B,H_k] --f--> a_k   ...   a_last --Wout,bout--> logits[B,C]
//
// The first layer over tokens is computed as a sum of per-position tables (see Layers.swift), which
// is exact; `referenceFirstLayer` is the direct computation kept beside it for the tests.
//
// Dropout (Srivastava et al. 2014), inverted as in torch.nn.Dropout: during a training step each hidden
// activation is kept with probability 1 − q and then scaled by 1/(1 − q), so its expectation is
// unchanged and evaluation uses the whole network unscaled. The masks are drawn once per step by
// `prepareTrainingStep` (from the trainer's random stream, so a resumed run draws the same masks) and
// used by that step's forward and backward passes.
import Linalg

public enum MLPInput: Sendable, Equatable, Codable {
    case embedding(dimension: Int)
    case oneHot
    case dense(features: Int)
}

public struct MLPConfig: Sendable, Equatable {
    public var input: MLPInput
    public var vocabulary: Int      // V (token inputs); ignored for dense inputs
    public var positions: Int       // L (token inputs); ignored for dense inputs
    public var hidden: [Int]        // H_0 ... H_{k-1}, at least one layer
    public var activation: Activation
    public var classes: Int         // C
    public var initScale: Double    // multiplies every initial weight (1 = PyTorch defaults)
    public var dropout: Double      // q: the probability of dropping a hidden activation in training, in [0, 1)

    public init(input: MLPInput, vocabulary: Int = 0, positions: Int = 2, hidden: [Int], activation: Activation = .relu,
                classes: Int, initScale: Double = 1, dropout: Double = 0) {
        self.input = input; self.vocabulary = vocabulary; self.positions = positions
        self.hidden = hidden; self.activation = activation; self.classes = classes; self.initScale = initScale
        self.dropout = dropout
    }

    /// The size table: embedding (if any), then W_k, b_k per layer, then the output layer.
    public var layout: ParameterLayout {
        var l = ParameterLayout()
        var fanIn: Int
        switch input {
        case .embedding(let d):
            l.add("embedding", rows: vocabulary, cols: d)
            fanIn = positions * d
        case .oneHot: fanIn = positions * vocabulary
        case .dense(let f): fanIn = f
        }
        for (k, h) in hidden.enumerated() {
            l.add("layer\(k).weight", rows: h, cols: fanIn)
            l.add("layer\(k).bias", rows: 1, cols: h)
            fanIn = h
        }
        l.add("out.weight", rows: classes, cols: fanIn)
        l.add("out.bias", rows: 1, cols: classes)
        return l
    }

    public var parameterCount: Int { layout.count }
}

/// One batch of inputs: tokens [B, L] for token models, features [B, F] for dense ones.
public struct InputBatch<T: Scalar> {
    public let count: Int
    public let tokens: UnsafePointer<Int32>?
    public let features: UnsafePointer<T>?
    public init(count: Int, tokens: UnsafePointer<Int32>) { self.count = count; self.tokens = tokens; self.features = nil }
    public init(count: Int, features: UnsafePointer<T>) { self.count = count; self.tokens = nil; self.features = features }
}

public final class MLP<T: Scalar> {
    public let config: MLPConfig
    public let store: ParameterStore<T>
    /// The largest batch the workspaces hold; larger evaluations go in chunks of this size.
    public let capacity: Int

    let embeddingView: ParameterView?
    let weights: [ParameterView]
    let biases: [ParameterView]
    let outWeight: ParameterView
    let outBias: ParameterView

    // Workspaces, allocated once per model (no allocation inside a step).
    let tables: UnsafeMutablePointer<T>    // [L, V, H_0] (token inputs)
    let dtables: UnsafeMutablePointer<T>   // [L, V, H_0]
    let z: [UnsafeMutablePointer<T>]       // [capacity, H_k] pre-activations
    let a: [UnsafeMutablePointer<T>]       // [capacity, H_k] activations
    public let logits: UnsafeMutablePointer<T>  // [capacity, C]
    let gradA: UnsafeMutablePointer<T>     // [capacity, max H]
    let gradZ: UnsafeMutablePointer<T>     // [capacity, max H]
    let tableCount: Int
    /// Dropout masks, 0 or 1/(1 − q) per hidden activation ([capacity, H_k]; empty without dropout).
    let masks: [UnsafeMutablePointer<T>]
    /// Rows of the masks drawn for the current training step; 0 outside a training step.
    private(set) var maskRows = 0

    public init(config: MLPConfig, capacity: Int, rng: RNG) {
        precondition(!config.hidden.isEmpty && config.hidden.allSatisfy { $0 > 0 }, "MLP needs at least one hidden layer of positive width")
        precondition(capacity > 0 && config.classes > 0, "MLP needs a positive capacity and class count")
        precondition(config.dropout >= 0 && config.dropout < 1, "MLP dropout must be in [0, 1)")
        self.config = config
        self.capacity = capacity
        let layout = config.layout
        store = ParameterStore(layout: layout)
        embeddingView = layout.view("embedding")
        weights = config.hidden.indices.map { layout.view("layer\($0).weight")! }
        biases = config.hidden.indices.map { layout.view("layer\($0).bias")! }
        outWeight = layout.view("out.weight")!
        outBias = layout.view("out.bias")!

        switch config.input {
        case .dense: tableCount = 0
        default: tableCount = config.positions * config.vocabulary * config.hidden[0]
        }
        tables = .allocate(capacity: max(1, tableCount))
        dtables = .allocate(capacity: max(1, tableCount))
        z = config.hidden.map { UnsafeMutablePointer<T>.allocate(capacity: capacity * $0) }
        a = config.hidden.map { UnsafeMutablePointer<T>.allocate(capacity: capacity * $0) }
        logits = .allocate(capacity: capacity * config.classes)
        let maxH = max(config.hidden.max()!, config.classes)
        gradA = .allocate(capacity: capacity * maxH)
        gradZ = .allocate(capacity: capacity * maxH)
        masks = config.dropout > 0 ? config.hidden.map { UnsafeMutablePointer<T>.allocate(capacity: capacity * $0) } : []
        initialize(rng: rng)
    }

    deinit {
        masks.forEach { $0.deallocate() }
        tables.deallocate(); dtables.deallocate()
        z.forEach { $0.deallocate() }; a.forEach { $0.deallocate() }
        logits.deallocate(); gradA.deallocate(); gradZ.deallocate()
    }

    /// PyTorch's defaults times `initScale`: embeddings N(0, 1); weights and biases of a layer with
    /// fan-in I uniform in (−1/√I, 1/√I).
    public func initialize(rng: RNG) {
        var r = rng
        let s = config.initScale
        for v in store.layout.views {
            let p = store.value(v)
            if v.name == "embedding" {
                for i in 0..<v.count { p[i] = T(r.normal() * s) }
            } else {
                let fanIn = v.name.hasSuffix(".bias") ? store.layout.views.first { $0.name == v.name.replacingOccurrences(of: ".bias", with: ".weight") }!.cols : v.cols
                let bound = 1 / Double(fanIn).squareRoot()
                for i in 0..<v.count { p[i] = T((2 * r.uniform() - 1) * bound * s) }
            }
        }
    }

    public var parameterCount: Int { store.count }

    /// logits[B, C] for the batch (B ≤ capacity). The activations stay in the workspaces for `backward`.
    @discardableResult
    public func forward(_ batch: InputBatch<T>) -> UnsafeMutablePointer<T> {
        let B = batch.count
        precondition(B <= capacity, "MLP.forward: batch \(B) exceeds workspace capacity \(capacity)")
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        let w0 = store.value(weights[0]), b0 = store.value(biases[0])
        switch config.input {
        case .embedding(let D):
            embeddingTablesForward(tables: tables, embedding: store.value(embeddingView!), weight: w0, V: V, D: D, H: H0, L: L)
            tokenGatherActivationForward(config.activation, z: z[0], a: a[0], tables: tables, bias: b0, tokens: batch.tokens!, B: B, V: V, H: H0, L: L)
        case .oneHot:
            oneHotTablesForward(tables: tables, weight: w0, V: V, H: H0, L: L)
            tokenGatherActivationForward(config.activation, z: z[0], a: a[0], tables: tables, bias: b0, tokens: batch.tokens!, B: B, V: V, H: H0, L: L)
        case .dense(let F):
            linearForward(out: z[0], inp: batch.features!, weight: w0, bias: b0, B: B, I: F, O: H0)
            activationForward(config.activation, out: a[0], inp: z[0], N: B * H0)
        }
        let dropping = dropoutActive(B)
        if dropping { multiplyInPlace(a[0], masks[0], N: B * H0) }
        for k in 1..<config.hidden.count {
            let I = config.hidden[k - 1], O = config.hidden[k]
            linearForward(out: z[k], inp: a[k - 1], weight: store.value(weights[k]), bias: store.value(biases[k]), B: B, I: I, O: O)
            activationForward(config.activation, out: a[k], inp: z[k], N: B * O)
            if dropping { multiplyInPlace(a[k], masks[k], N: B * O) }
        }
        let HL = config.hidden.last!
        linearForward(out: logits, inp: a.last!, weight: store.value(outWeight), bias: store.value(outBias), B: B, I: HL, O: config.classes)
        return logits
    }

    /// Accumulates d(loss)/d(parameters) into store.grads, given dlogits[B, C] for the batch that was
    /// last passed to `forward`. The caller zeroes the gradients (ParameterStore.zeroGrads).
    public func backward(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>) {
        let B = batch.count
        let C = config.classes, n = config.hidden.count
        let HL = config.hidden[n - 1]
        // gradA is assigned by the product (beta 0), not zeroed and accumulated into.
        linearBackward(dinp: gradA, dweight: store.grad(outWeight), dbias: store.grad(outBias), dout: dlogits,
                       inp: a[n - 1], weight: store.value(outWeight), B: B, I: HL, O: C, assignInput: true)
        // Through dropout: a_k = f(z_k) · mask_k, so d/df(z_k) = d/da_k · mask_k.
        let dropping = dropoutActive(B)
        if dropping { multiplyInPlace(gradA, masks[n - 1], N: B * HL) }
        for k in stride(from: n - 1, through: 1, by: -1) {
            let I = config.hidden[k - 1], O = config.hidden[k]
            activationBackwardAssign(config.activation, dinp: gradZ, dout: gradA, inp: z[k], N: B * O)
            linearBackward(dinp: gradA, dweight: store.grad(weights[k]), dbias: store.grad(biases[k]), dout: gradZ,
                           inp: a[k - 1], weight: store.value(weights[k]), B: B, I: I, O: O, assignInput: true)
            if dropping { multiplyInPlace(gradA, masks[k - 1], N: B * I) }
        }
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        switch config.input {
        case .embedding(let D):
            dtables.update(repeating: 0, count: tableCount)
            activationTokenScatterBackward(config.activation, dtables: dtables, dbias: store.grad(biases[0]), row: gradZ, da: gradA, z: z[0],
                                           tokens: batch.tokens!, B: B, V: V, H: H0, L: L)
            embeddingTablesBackward(dembedding: store.grad(embeddingView!), dweight: store.grad(weights[0]), dtables: dtables,
                                    embedding: store.value(embeddingView!), weight: store.value(weights[0]), V: V, D: D, H: H0, L: L)
        case .oneHot:
            dtables.update(repeating: 0, count: tableCount)
            activationTokenScatterBackward(config.activation, dtables: dtables, dbias: store.grad(biases[0]), row: gradZ, da: gradA, z: z[0],
                                           tokens: batch.tokens!, B: B, V: V, H: H0, L: L)
            oneHotTablesBackward(dweight: store.grad(weights[0]), dtables: dtables, V: V, H: H0, L: L)
        case .dense(let F):
            activationBackwardAssign(config.activation, dinp: gradZ, dout: gradA, inp: z[0], N: B * H0)
            linearBackward(dinp: nil, dweight: store.grad(weights[0]), dbias: store.grad(biases[0]), dout: gradZ,
                           inp: batch.features!, weight: store.value(weights[0]), B: B, I: F, O: H0)
        }
    }

    /// Draws this training step's dropout masks for `rows` rows (no-op without dropout). Until
    /// `endTrainingStep`, forward and backward passes over exactly `rows` rows use them.
    public func prepareTrainingStep(rows: Int, rng: inout RNG) {
        guard !masks.isEmpty else { return }
        precondition(rows <= capacity, "MLP.prepareTrainingStep: \(rows) rows exceed workspace capacity \(capacity)")
        let q = config.dropout, keep = T(1 / (1 - q))
        for (k, mask) in masks.enumerated() {
            for i in 0..<(rows * config.hidden[k]) { mask[i] = rng.uniform() < q ? 0 : keep }
        }
        maskRows = rows
    }

    public func endTrainingStep() { maskRows = 0 }

    @inline(__always) func dropoutActive(_ rows: Int) -> Bool { maskRows > 0 && maskRows == rows }

    /// The first layer's pre-activation computed directly (concatenate the embeddings or one-hot codes,
    /// then one product), for comparison with the table form used by `forward`. Returns [B, H_0].
    public func referenceFirstLayer(tokens: [Int32], count B: Int) -> [T] {
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        let width: Int
        switch config.input {
        case .embedding(let D): width = L * D
        case .oneHot: width = L * V
        case .dense: preconditionFailure("referenceFirstLayer is for token inputs")
        }
        var concat = [T](repeating: 0, count: B * width)
        for b in 0..<B {
            for l in 0..<L {
                let tok = Int(tokens[b * L + l])
                switch config.input {
                case .embedding(let D):
                    let e = store.value(embeddingView!) + tok * D
                    for d in 0..<D { concat[b * width + l * D + d] = e[d] }
                default:
                    concat[b * width + l * V + tok] = 1
                }
            }
        }
        var out = [T](repeating: 0, count: B * H0)
        gemmReference(transA: false, transB: true, m: B, n: H0, k: width, alpha: 1, a: concat, lda: width,
                      b: store.value(weights[0]), ldb: width, beta: 0, c: &out, ldc: H0)
        let bias = store.value(biases[0])
        for b in 0..<B { for h in 0..<H0 { out[b * H0 + h] += bias[h] } }
        return out
    }

    /// The first layer's pre-activation [B, H_0] of the last forward pass.
    public func firstLayerOutput(count B: Int) -> [T] { Array(UnsafeBufferPointer(start: z[0], count: B * config.hidden[0])) }

    /// Hidden layer k's activations [B, H_k] of the last forward pass (after dropout, in a training step).
    public func hiddenActivations(layer k: Int, count B: Int) -> [T] { Array(UnsafeBufferPointer(start: a[k], count: B * config.hidden[k])) }
}

/// What the training loop needs of a classifier: its parameters, a workspace capacity, and
/// forward (logits) / backward (gradient accumulation) over one batch.
public protocol Classifier: AnyObject {
    associatedtype T: Scalar
    var store: ParameterStore<T> { get }
    var capacity: Int { get }
    var classes: Int { get }
    @discardableResult func forward(_ batch: InputBatch<T>) -> UnsafeMutablePointer<T>
    func backward(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>)
    /// Called by the trainer before a training step's forward pass (a model with dropout draws its
    /// masks here), and `endTrainingStep` after its backward pass; evaluation happens outside the pair.
    func prepareTrainingStep(rows: Int, rng: inout RNG)
    func endTrainingStep()
}

extension Classifier {
    public func prepareTrainingStep(rows: Int, rng: inout RNG) {}
    public func endTrainingStep() {}
}

extension MLP: Classifier {
    public var classes: Int { config.classes }
}

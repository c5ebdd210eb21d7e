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
    /// Shard 1's gradients (laid out as store.grads) and token tables' gradient, added to shard 0's after a backward pass.
    let shardGrads: UnsafeMutablePointer<T>
    let shardTables: UnsafeMutablePointer<T>
    /// The widest layer (or the classes): the row stride of gradA and gradZ.
    let maxWidth: Int
    /// Runs the shards (and the token tables' positions) side by side; one member until a trainer attaches more.
    var team = WorkerTeam(size: 1)

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
        maxWidth = max(config.hidden.max()!, config.classes)
        gradA = .allocate(capacity: capacity * maxWidth)
        gradZ = .allocate(capacity: capacity * maxWidth)
        shardGrads = .allocate(capacity: max(1, layout.count)); shardGrads.initialize(repeating: 0, count: max(1, layout.count))
        shardTables = .allocate(capacity: max(1, tableCount))
        masks = config.dropout > 0 ? config.hidden.map { UnsafeMutablePointer<T>.allocate(capacity: capacity * $0) } : []
        initialize(rng: rng)
    }

    deinit {
        masks.forEach { $0.deallocate() }
        tables.deallocate(); dtables.deallocate()
        z.forEach { $0.deallocate() }; a.forEach { $0.deallocate() }
        logits.deallocate(); gradA.deallocate(); gradZ.deallocate()
        shardGrads.deallocate(); shardTables.deallocate()
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

    /// Batches of at least this many rows are cut into two fixed halves whose passes run side by side
    /// on the attached team (see `shardCount`). The cut depends on the rows alone, never on the threads.
    public var shardThreshold = 256

    /// Two shards for batches of at least `shardThreshold` rows, else one. Cutting a batch changes the
    /// order in which a weight gradient sums over rows (each half, then the two halves), so it is fixed
    /// by the batch alone: one thread or two give the same numbers.
    public func shardCount(rows: Int) -> Int { rows >= max(2, shardThreshold) ? 2 : 1 }

    public func attach(team: WorkerTeam) { self.team = team }

    /// logits[B, C] for the batch (B ≤ capacity). The activations stay in the workspaces for `backward`.
    @discardableResult
    public func forward(_ batch: InputBatch<T>) -> UnsafeMutablePointer<T> {
        let B = batch.count
        precondition(B <= capacity, "MLP.forward: batch \(B) exceeds workspace capacity \(capacity)")
        region = Region(batch: batch, dlogits: nil, shards: shardCount(rows: B))
        onShardThreads {
            switch config.input {
            case .embedding, .oneHot: runRegion(.tablesForward, tasks: config.positions)
            case .dense: break
            }
            runRegion(.rowsForward, tasks: region.shards)
        }
        region = Region(batch: nil, dlogits: nil, shards: 1)
        return logits
    }

    /// A sharded pass runs its products on single-threaded OpenBLAS, on a team of one thread or several:
    /// OpenBLAS does not give the same bits on one thread and on two, and the shards' numbers must not
    /// depend on the threads. (A trainer holds OpenBLAS at one thread around its steps, so this switches nothing.)
    func onShardThreads(_ body: () -> Void) {
        if region.shards > 1 { withSingleThreadedBLAS(body) } else { body() }
    }

    /// The parallel regions of a pass. Their inputs are in `region`, and one closure built once runs
    /// them all (`task`), so a region allocates nothing.
    enum Phase { case tablesForward, rowsForward, rowsBackward, sumShards, tablesBackward }
    struct Region { var batch: InputBatch<T>?; var dlogits: UnsafePointer<T>?; var shards: Int }
    var phase = Phase.tablesForward
    var region = Region(batch: nil, dlogits: nil, shards: 1)
    lazy var task: (Int) -> Void = { [unowned self] t in self.perform(t) }

    func runRegion(_ p: Phase, tasks: Int) {
        phase = p
        team.run(tasks: tasks, task)
    }

    /// Task t of the current phase.
    func perform(_ t: Int) {
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        let batch = region.batch!, B = batch.count
        switch phase {
        case .tablesForward:
            // Position t's table; the positions write different tables.
            let w0 = store.value(weights[0])
            if case .embedding(let D) = config.input {
                embeddingTablesForward(tables: tables, embedding: store.value(embeddingView!), weight: w0, V: V, D: D, H: H0, L: L, positions: t..<(t + 1))
            } else {
                oneHotTablesForward(tables: tables, weight: w0, V: V, H: H0, L: L, positions: t..<(t + 1))
            }
        case .rowsForward:
            forwardRows(batch, shardRows(t, of: region.shards, rows: B))
        case .rowsBackward:
            // shardGrads is all zeros here: zeroed when made, and by .sumShards after each use (addHalfAndZero).
            let grads = t == 0 ? store.grads : shardGrads
            backwardRows(batch, dlogits: region.dlogits!, shardRows(t, of: region.shards, rows: B), grads: grads, dtables: t == 0 ? dtables : shardTables)
        case .sumShards:
            // Half t of grads += shard 1's gradients (which are then zeroed for the next backward pass), and
            // of dtables += shard 1's tables.
            addHalfAndZero(store.grads, shardGrads, count: store.count, half: t)
            addHalf(dtables, shardTables, count: tableCount, half: t)
        case .tablesBackward:
            if case .embedding(let D) = config.input {
                // dE += Σ_l dtable_l · W_l (task 0) and dW_l += dtable_lᵀ · E (task 1) write different tensors.
                embeddingTablesBackward(dembedding: t == 0 ? store.grad(embeddingView!) : nil, dweight: t == 1 ? store.grad(weights[0]) : nil,
                                        dtables: dtables, embedding: store.value(embeddingView!), weight: store.value(weights[0]),
                                        V: V, D: D, H: H0, L: L)
            } else {
                oneHotTablesBackward(dweight: store.grad(weights[0]), dtables: dtables, V: V, H: H0, L: L, positions: t..<(t + 1))
            }
        }
    }

    /// The forward pass of rows r of the batch, writing only those rows of the workspaces.
    func forwardRows(_ batch: InputBatch<T>, _ r: Range<Int>) {
        let lo = r.lowerBound, n = r.count
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        let w0 = store.value(weights[0]), b0 = store.value(biases[0])
        let z0 = z[0] + lo * H0, a0 = a[0] + lo * H0
        switch config.input {
        case .embedding, .oneHot:
            tokenGatherActivationForward(config.activation, z: z0, a: a0, tables: tables, bias: b0, tokens: batch.tokens! + lo * L, B: n, V: V, H: H0, L: L)
        case .dense(let F):
            linearForward(out: z0, inp: batch.features! + lo * F, weight: w0, bias: b0, B: n, I: F, O: H0)
            activationForward(config.activation, out: a0, inp: z0, N: n * H0)
        }
        let dropping = dropoutActive(batch.count)
        if dropping { multiplyInPlace(a0, masks[0] + lo * H0, N: n * H0) }
        for k in 1..<config.hidden.count {
            let I = config.hidden[k - 1], O = config.hidden[k]
            linearForward(out: z[k] + lo * O, inp: a[k - 1] + lo * I, weight: store.value(weights[k]), bias: store.value(biases[k]), B: n, I: I, O: O)
            activationForward(config.activation, out: a[k] + lo * O, inp: z[k] + lo * O, N: n * O)
            if dropping { multiplyInPlace(a[k] + lo * O, masks[k] + lo * O, N: n * O) }
        }
        let HL = config.hidden.last!, C = config.classes
        linearForward(out: logits + lo * C, inp: a.last! + lo * HL, weight: store.value(outWeight), bias: store.value(outBias), B: n, I: HL, O: C)
    }

    /// Accumulates d(loss)/d(parameters) into store.grads, given dlogits[B, C] for the batch that was
    /// last passed to `forward`. The caller zeroes the gradients (ParameterStore.zeroGrads).
    ///
    /// Each shard's rows go back to the first layer on their own (shard 0 into store.grads and the token
    /// tables' gradient, shard 1 into its own copies); the copies are then added, shard 0 first, and the
    /// embedding and first-layer weight gradients follow from the summed tables.
    public func backward(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>) {
        region = Region(batch: batch, dlogits: dlogits, shards: shardCount(rows: batch.count))
        onShardThreads {
            runRegion(.rowsBackward, tasks: region.shards)
            if region.shards > 1 { runRegion(.sumShards, tasks: 2) }
            switch config.input {
            case .embedding: runRegion(.tablesBackward, tasks: 2)
            case .oneHot: runRegion(.tablesBackward, tasks: config.positions)
            case .dense: break
            }
        }
        region = Region(batch: nil, dlogits: nil, shards: 1)
    }

    /// The backward pass of rows r, into `grads` (laid out as store.grads) and, for token inputs, into
    /// the token tables' gradient `dt` (zeroed here). The first layer's embedding and weight gradients
    /// are left to `backward`, which derives them from the tables of all shards.
    func backwardRows(_ batch: InputBatch<T>, dlogits: UnsafePointer<T>, _ r: Range<Int>, grads: UnsafeMutablePointer<T>, dtables dt: UnsafeMutablePointer<T>) {
        let lo = r.lowerBound, B = r.count
        let C = config.classes, n = config.hidden.count
        let HL = config.hidden[n - 1]
        // This shard's rows of the [capacity, max width] buffers start at row lo of the widest layout, so
        // the shards' regions never meet whatever layer each has reached.
        let gA = gradA + lo * maxWidth, gZ = gradZ + lo * maxWidth
        // gradA is assigned by the product (beta 0), not zeroed and accumulated into.
        linearBackward(dinp: gA, dweight: grads + outWeight.offset, dbias: grads + outBias.offset, dout: dlogits + lo * C,
                       inp: a[n - 1] + lo * HL, weight: store.value(outWeight), B: B, I: HL, O: C, assignInput: true)
        // Through dropout: a_k = f(z_k) · mask_k, so d/df(z_k) = d/da_k · mask_k.
        let dropping = dropoutActive(batch.count)
        if dropping { multiplyInPlace(gA, masks[n - 1] + lo * HL, N: B * HL) }
        for k in stride(from: n - 1, through: 1, by: -1) {
            let I = config.hidden[k - 1], O = config.hidden[k]
            activationBackwardAssign(config.activation, dinp: gZ, dout: gA, inp: z[k] + lo * O, N: B * O)
            linearBackward(dinp: gA, dweight: grads + weights[k].offset, dbias: grads + biases[k].offset, dout: gZ,
                           inp: a[k - 1] + lo * I, weight: store.value(weights[k]), B: B, I: I, O: O, assignInput: true)
            if dropping { multiplyInPlace(gA, masks[k - 1] + lo * I, N: B * I) }
        }
        let H0 = config.hidden[0], L = config.positions, V = config.vocabulary
        switch config.input {
        case .embedding, .oneHot:
            dt.update(repeating: 0, count: tableCount)
            activationTokenScatterBackward(config.activation, dtables: dt, dbias: grads + biases[0].offset, row: gZ, da: gA, z: z[0] + lo * H0,
                                           tokens: batch.tokens! + lo * L, B: B, V: V, H: H0, L: L)
        case .dense(let F):
            activationBackwardAssign(config.activation, dinp: gZ, dout: gA, inp: z[0] + lo * H0, N: B * H0)
            linearBackward(dinp: nil, dweight: grads + weights[0].offset, dbias: grads + biases[0].offset, dout: gZ,
                           inp: batch.features! + lo * F, weight: store.value(weights[0]), B: B, I: F, O: H0)
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
    /// How many fixed, contiguous row shards (`shardRows`) a batch of `rows` rows is cut into. A model
    /// whose passes run shard by shard on its team reports more than one; the trainer cuts the loss the
    /// same way, so its sums do not depend on the threads either.
    func shardCount(rows: Int) -> Int
    /// The team the model's passes may run on (kept until another is attached).
    func attach(team: WorkerTeam)
}

extension Classifier {
    public func prepareTrainingStep(rows: Int, rng: inout RNG) {}
    public func endTrainingStep() {}
    public func shardCount(rows: Int) -> Int { 1 }
    public func attach(team: WorkerTeam) {}
}

extension MLP: Classifier {
    public var classes: Int { config.classes }
}

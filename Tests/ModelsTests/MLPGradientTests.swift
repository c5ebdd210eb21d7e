// Finite-difference gradient checks, in Double, for the MLP family as a whole (every input kind and
// activation, dropout, shards on a team of threads), and the first layer's table form against the
// direct product, the parameter count against the size table (checkGradient, in CheckGradient.swift).
import XCTest
import Linalg
import Models

final class MLPGradientTests: XCTestCase {
    /// The whole MLP, every parameter, with the loss Σ r ⊙ logits (so dlogits = r): each input kind,
    /// two hidden layers, every activation.
    /// With dropout, the masks of one training step are drawn first and held through every evaluation
    /// of the loss (the function being differentiated is the step's, masks fixed).
    /// Sharded: the batch is cut into two halves (shardThreshold 2) whose passes run on a team of two.
    func check(input: MLPInput, activation: Activation, dropout: Double = 0, sharded: Bool = false) {
        var rng = RNG(seed: 3)
        let V = 7, C = 7, B = 5
        let cfg = MLPConfig(input: input, vocabulary: V, positions: 2, hidden: [6, 5], activation: activation, classes: C, dropout: dropout)
        let model = MLP<Double>(config: cfg, capacity: B, rng: RNG(seed: 4))
        if sharded {
            model.shardThreshold = 2
            model.attach(team: WorkerTeam(size: 2))
            XCTAssertEqual(model.shardCount(rows: B), 2)
        } else {
            XCTAssertEqual(model.shardCount(rows: B), 1)
        }
        var maskRNG = RNG(seed: 5)
        model.prepareTrainingStep(rows: B, rng: &maskRNG)
        defer { model.endTrainingStep() }
        let tokens: [Int32] = (0..<(B * 2)).map { _ in Int32(rng.int(below: V)) }
        var features: [Double] = []
        if case .dense(let F) = input { features = (0..<(B * F)).map { _ in rng.normal() } }
        let r = (0..<(B * C)).map { _ in rng.normal() }
        func withBatch<R>(_ body: (InputBatch<Double>) -> R) -> R {
            if case .dense = input { return features.withUnsafeBufferPointer { body(InputBatch(count: B, features: $0.baseAddress!)) } }
            return tokens.withUnsafeBufferPointer { body(InputBatch(count: B, tokens: $0.baseAddress!)) }
        }
        func loss(_ params: [Double]) -> Double {
            model.store.load(params)
            return withBatch { b in
                let z = model.forward(b)
                return (0..<(B * C)).reduce(0.0) { $0 + z[$1] * r[$1] }
            }
        }
        let x = model.store.valueArray
        _ = loss(x)
        model.store.zeroGrads()
        withBatch { b in r.withUnsafeBufferPointer { model.backward(b, dlogits: $0.baseAddress!) } }
        let analytic = model.store.gradArray
        checkGradient("MLP \(input) \(activation.rawValue) dropout \(dropout)\(sharded ? " sharded" : "")", at: x, analytic: analytic, loss)
    }

    /// The data-parallel passes: two shards, each back to the first layer on its own, their gradients
    /// (and token tables' gradients) summed, the first layer's from the summed tables.
    func testShardedPasses() {
        for input in [MLPInput.embedding(dimension: 3), .oneHot, .dense(features: 4)] {
            for a in [Activation.relu, .tanh] {
                check(input: input, activation: a, sharded: true)
                check(input: input, activation: a, dropout: 0.4, sharded: true)
            }
        }
    }

    /// In Float, two shards give the logits of one and the same gradient up to the order of the sums
    /// over rows; on a team of one or of two, the same bits. Token and dense inputs.
    func testShardsAgreeWithTheWholeBatch() {
        let V = 23, B = 300, F = 12
        var rng = RNG(seed: 9)
        let tokens: [Int32] = (0..<(2 * B)).map { _ in Int32(rng.int(below: V)) }
        let features: [Float] = (0..<(B * F)).map { _ in Float(rng.normal()) }
        let dlogits: [Float] = (0..<(B * V)).map { _ in Float(rng.normal()) / Float(B) }
        for input in [MLPInput.embedding(dimension: 16), .dense(features: F)] {
            func pass(threshold: Int, team: Int) -> (logits: [Float], grads: [Float]) {
                let cfg = MLPConfig(input: input, vocabulary: V, hidden: [64, 32], classes: V)
                let model = MLP<Float>(config: cfg, capacity: B, rng: RNG(seed: 4))
                model.shardThreshold = threshold
                model.attach(team: WorkerTeam(size: team))
                func go(_ batch: InputBatch<Float>) -> (logits: [Float], grads: [Float]) {
                    let logits = Array(UnsafeBufferPointer(start: model.forward(batch), count: B * V))
                    model.store.zeroGrads()
                    dlogits.withUnsafeBufferPointer { model.backward(batch, dlogits: $0.baseAddress!) }
                    return (logits, model.store.gradArray)
                }
                if case .dense = input { return features.withUnsafeBufferPointer { go(InputBatch(count: B, features: $0.baseAddress!)) } }
                return tokens.withUnsafeBufferPointer { go(InputBatch(count: B, tokens: $0.baseAddress!)) }
            }
            let whole = pass(threshold: .max, team: 1), halves = pass(threshold: 256, team: 1), parallel = pass(threshold: 256, team: 2)
            XCTAssertEqual(parallel.logits, halves.logits, "\(input): a team of two computes the shards' logits bit for bit as one thread does")
            XCTAssertEqual(parallel.grads, halves.grads, "\(input): and their gradient")
            let scale = whole.grads.map(abs).max()!
            XCTAssertGreaterThan(scale, 0)
            for i in whole.logits.indices { XCTAssertEqual(halves.logits[i], whole.logits[i], accuracy: 1e-5 * max(1, abs(whole.logits[i])), "\(input)") }
            var worst: Float = 0
            for i in whole.grads.indices { worst = max(worst, abs(halves.grads[i] - whole.grads[i])) }
            XCTAssertLessThan(worst, 1e-5 * scale, "\(input): two shards' gradient differs from the whole batch's by more than rounding")
        }
    }

    func testDropoutHeldMasks() {
        for input in [MLPInput.embedding(dimension: 3), .oneHot, .dense(features: 4)] {
            for a in [Activation.relu, .tanh] { check(input: input, activation: a, dropout: 0.4) }
        }
    }

    /// Inverted dropout: a share q of the hidden activations is zeroed, the rest scaled by 1/(1 − q),
    /// so the mean activation is kept; outside a training step the network is the one without dropout.
    func testDropoutMasksKeepTheMeanAndStopAfterTheStep() {
        let q = 0.3, B = 400, H = 50
        let cfg = MLPConfig(input: .dense(features: 3), hidden: [H], activation: .relu, classes: 2, dropout: q)
        let model = MLP<Double>(config: cfg, capacity: B, rng: RNG(seed: 8))
        var plainCfg = cfg; plainCfg.dropout = 0
        let plain = MLP<Double>(config: plainCfg, capacity: B, rng: RNG(seed: 8))
        var rng = RNG(seed: 9)
        let x = (0..<(B * 3)).map { _ in rng.normal() }
        x.withUnsafeBufferPointer { xb in
            let batch = InputBatch<Double>(count: B, features: xb.baseAddress!)
            var maskRNG = RNG(seed: 10)
            model.prepareTrainingStep(rows: B, rng: &maskRNG)
            model.forward(batch)
            let dropped = model.hiddenActivations(layer: 0, count: B)
            plain.forward(batch)
            let full = plain.hiddenActivations(layer: 0, count: B)
            var zeroed = 0, alive = 0
            var sumDropped = 0.0, sumFull = 0.0
            for i in 0..<(B * H) where full[i] > 0 {
                alive += 1
                if dropped[i] == 0 { zeroed += 1 } else { XCTAssertEqual(dropped[i], full[i] / (1 - q), accuracy: 1e-12) }
                sumDropped += dropped[i]; sumFull += full[i]
            }
            let share = Double(zeroed) / Double(alive)
            let se = (q * (1 - q) / Double(alive)).squareRoot()
            XCTAssertEqual(share, q, accuracy: 4 * se, "share of active units dropped")
            XCTAssertEqual(sumDropped / sumFull, 1, accuracy: 0.03, "inverted dropout keeps the mean activation")
            model.endTrainingStep()
            let evalLogits = Array(UnsafeBufferPointer(start: model.forward(batch), count: B * 2))
            let plainLogits = Array(UnsafeBufferPointer(start: plain.forward(batch), count: B * 2))
            XCTAssertEqual(evalLogits, plainLogits, "outside a training step there is no dropout")
        }
    }

    func testEmbeddingInput() { for a in Activation.allCases { check(input: .embedding(dimension: 3), activation: a) } }
    func testOneHotInput() { for a in Activation.allCases { check(input: .oneHot, activation: a) } }
    func testDenseInput() { for a in Activation.allCases { check(input: .dense(features: 4), activation: a) } }

    /// The table form of the first layer equals the direct concatenate-then-multiply, in Float, on odd shapes.
    func testTableFormMatchesDirectFirstLayer() {
        for (V, D, H, B) in [(7, 3, 5, 11), (31, 17, 33, 50), (97, 128, 64, 97)] {
            for input in [MLPInput.embedding(dimension: D), .oneHot] {
                let cfg = MLPConfig(input: input, vocabulary: V, positions: 2, hidden: [H], classes: V)
                let model = MLP<Float>(config: cfg, capacity: B, rng: RNG(seed: UInt64(V)))
                var rng = RNG(seed: 8)
                let tokens: [Int32] = (0..<(B * 2)).map { _ in Int32(rng.int(below: V)) }
                tokens.withUnsafeBufferPointer { _ = model.forward(InputBatch(count: B, tokens: $0.baseAddress!)) }
                let fast = model.firstLayerOutput(count: B), direct = model.referenceFirstLayer(tokens: tokens, count: B)
                for i in 0..<fast.count {
                    XCTAssertEqual(Double(fast[i]), Double(direct[i]), accuracy: 1e-4 * max(1, abs(Double(direct[i]))), "V=\(V) D=\(D) H=\(H) \(input) at \(i)")
                }
            }
        }
    }

    func testParameterCountFollowsTheSizeTable() {
        let cfg = MLPConfig(input: .embedding(dimension: 128), vocabulary: 97, positions: 2, hidden: [512], classes: 97)
        XCTAssertEqual(cfg.parameterCount, 97 * 128 + 512 * 256 + 512 + 97 * 512 + 97)
        let views = cfg.layout.views
        for (a, b) in zip(views, views.dropFirst()) { XCTAssertEqual(a.offset + a.count, b.offset) }
    }
}

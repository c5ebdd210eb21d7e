// Finite-difference gradient checks, in Double, for every layer and for the MLP family as a whole.
// See Tests/TestSupport/GradientCheck.swift for the method and tolerances; failures print the worst components side by side.
import XCTest
import Linalg
import TestSupport
import Models

func checkGradient(_ name: String, at x: [Double], analytic: [Double], file: StaticString = #filePath, line: UInt = #line,
                   _ f: ([Double]) -> Double) {
    let r = gradientCheck(name, at: x, analytic: analytic, f)
    if !r.passed { XCTFail(r.description, file: file, line: line) }
}

final class LayerGradientTests: XCTestCase {
    var rng = RNG(seed: 11)
    func randoms(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    func testLinear() {
        let B = 3, I = 5, O = 4
        let inp = randoms(B * I), w = randoms(O * I), b = randoms(O), r = randoms(B * O)
        func loss(_ inp: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var out = [Double](repeating: 0, count: B * O)
            linearForward(out: &out, inp: inp, weight: w, bias: b, B: B, I: I, O: O)
            return zip(out, r).map(*).reduce(0, +)
        }
        var dinp = [Double](repeating: 0, count: B * I), dw = [Double](repeating: 0, count: O * I), db = [Double](repeating: 0, count: O)
        linearBackward(dinp: &dinp, dweight: &dw, dbias: &db, dout: r, inp: inp, weight: w, B: B, I: I, O: O)
        checkGradient("linear d/dinp", at: inp, analytic: dinp) { loss($0, w, b) }
        checkGradient("linear d/dweight", at: w, analytic: dw) { loss(inp, $0, b) }
        checkGradient("linear d/dbias", at: b, analytic: db) { loss(inp, w, $0) }
    }

    func testActivations() {
        let N = 40
        let x = randoms(N), r = randoms(N)
        for f in Activation.allCases {
            func loss(_ x: [Double]) -> Double {
                var out = [Double](repeating: 0, count: N)
                activationForward(f, out: &out, inp: x, N: N)
                return zip(out, r).map(*).reduce(0, +)
            }
            var dx = [Double](repeating: 0, count: N)
            activationBackward(f, dinp: &dx, dout: r, inp: x, N: N)
            checkGradient("activation \(f.rawValue)", at: x, analytic: dx, loss)
            var dxAssign = [Double](repeating: 7, count: N)
            activationBackwardAssign(f, dinp: &dxAssign, dout: r, inp: x, N: N)
            XCTAssertEqual(dxAssign, dx, "activationBackwardAssign \(f.rawValue) differs from the accumulating form")
        }
    }

    func testReluKernelsMatchDefinition() {
        var xs: [Float] = (0..<37).map { _ in Float(rng.normal()) }
        xs[3] = 0; xs[4] = -0.0; xs[5] = .leastNonzeroMagnitude; xs[6] = -.leastNonzeroMagnitude
        let d: [Float] = (0..<37).map { _ in Float(rng.normal()) }
        var out = [Float](repeating: 9, count: 37), back = [Float](repeating: 9, count: 37)
        reluForward(out: &out, inp: xs, N: 37)
        reluBackwardAssign(dinp: &back, dout: d, inp: xs, N: 37)
        for i in 0..<37 {
            XCTAssertEqual(out[i], xs[i] > 0 ? xs[i] : 0, "relu(\(xs[i]))")
            XCTAssertEqual(back[i], xs[i] > 0 ? d[i] : 0, "relu'(\(xs[i]))")
        }
    }

    func testTokenTablesAndGather() {
        let V = 5, D = 3, H = 4, L = 2, B = 6
        let E = randoms(V * D), W = randoms(H * L * D), bias = randoms(H), r = randoms(B * H)
        let tokens: [Int32] = (0..<(B * L)).map { _ in Int32(rng.int(below: V)) }
        func loss(_ E: [Double], _ W: [Double], _ bias: [Double]) -> Double {
            var tables = [Double](repeating: 0, count: L * V * H), z = [Double](repeating: 0, count: B * H)
            embeddingTablesForward(tables: &tables, embedding: E, weight: W, V: V, D: D, H: H, L: L)
            tokenGatherForward(out: &z, tables: tables, bias: bias, tokens: tokens, B: B, V: V, H: H, L: L)
            return zip(z, r).map(*).reduce(0, +)
        }
        var dtables = [Double](repeating: 0, count: L * V * H), dbias = [Double](repeating: 0, count: H)
        tokenGatherBackward(dtables: &dtables, dbias: &dbias, dout: r, tokens: tokens, B: B, V: V, H: H, L: L)
        var dE = [Double](repeating: 0, count: V * D), dW = [Double](repeating: 0, count: H * L * D)
        embeddingTablesBackward(dembedding: &dE, dweight: &dW, dtables: dtables, embedding: E, weight: W, V: V, D: D, H: H, L: L)
        checkGradient("embedding tables d/dE", at: E, analytic: dE) { loss($0, W, bias) }
        checkGradient("embedding tables d/dW", at: W, analytic: dW) { loss(E, $0, bias) }
        checkGradient("token gather d/dbias", at: bias, analytic: dbias) { loss(E, W, $0) }

        // One-hot tables: W is [H, L·V].
        let W1 = randoms(H * L * V)
        func loss1(_ W1: [Double]) -> Double {
            var tables = [Double](repeating: 0, count: L * V * H), z = [Double](repeating: 0, count: B * H)
            oneHotTablesForward(tables: &tables, weight: W1, V: V, H: H, L: L)
            tokenGatherForward(out: &z, tables: tables, bias: bias, tokens: tokens, B: B, V: V, H: H, L: L)
            return zip(z, r).map(*).reduce(0, +)
        }
        var dW1 = [Double](repeating: 0, count: H * L * V)
        oneHotTablesBackward(dweight: &dW1, dtables: dtables, V: V, H: H, L: L)
        checkGradient("one-hot tables d/dW", at: W1, analytic: dW1, loss1)
    }
}

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

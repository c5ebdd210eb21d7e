import XCTest
import Datasets
import Linalg
import TestSupport
import Models
import Training

final class LossTests: XCTestCase {
    func testLossGradientsByFiniteDifferences() {
        var rng = RNG(seed: 2)
        let B = 4, C = 6
        let z = (0..<(B * C)).map { _ in 3 * rng.normal() }
        let labels: [Int32] = (0..<B).map { _ in Int32(rng.int(below: C)) }
        for kind in LossKind.allCases {
            var d = [Double](repeating: 0, count: B * C)
            _ = lossForwardBackward(kind, logits: z, labels: labels, B: B, C: C, dlogits: &d, scale: 1.0 / Double(B))
            let r = gradientCheck("loss \(kind.rawValue)", at: z, analytic: d) { zz in
                lossForwardBackward(kind, logits: zz, labels: labels, B: B, C: C, dlogits: nil, scale: 1).meanLoss
            }
            XCTAssertTrue(r.passed, r.description)
        }
    }

    func testCrossEntropyValueAndAccuracy() {
        // Two rows, three classes: ℓ = log Σ exp(z) − z_y, computed by hand.
        let z: [Double] = [1, 2, 3, 0, 0, 5]
        let s = lossForwardBackward(.crossEntropy, logits: z, labels: [2, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        let l0 = log(exp(1.0) + exp(2) + exp(3)) - 3, l1 = log(2 + exp(5.0)) - 0
        XCTAssertEqual(s.loss, l0 + l1, accuracy: 1e-12)
        XCTAssertEqual(s.correct, 1)
        // Large logits must not overflow (the row max is subtracted).
        let big = lossForwardBackward(.crossEntropy, logits: [Float(1000), 0], labels: [0], B: 1, C: 2, dlogits: nil, scale: 1)
        XCTAssertTrue(big.loss.isFinite)
    }

    /// The whole MLP with cross-entropy, every parameter, against finite differences.
    func testMLPWithCrossEntropy() {
        let cfg = MLPConfig(input: .embedding(dimension: 4), vocabulary: 5, positions: 2, hidden: [8], activation: .gelu, classes: 5)
        let model = MLP<Double>(config: cfg, capacity: 6, rng: RNG(seed: 1))
        let tokens: [Int32] = [0, 1, 2, 3, 4, 0, 1, 1, 2, 2, 3, 3]
        let labels: [Int32] = [1, 4, 0, 3, 4, 1]
        var d = [Double](repeating: 0, count: 30)
        func loss(_ p: [Double]) -> Double {
            model.store.load(p)
            return tokens.withUnsafeBufferPointer { t in
                let z = model.forward(InputBatch(count: 6, tokens: t.baseAddress!))
                return lossForwardBackward(.crossEntropy, logits: z, labels: labels, B: 6, C: 5, dlogits: &d, scale: 1.0 / 6).meanLoss
            }
        }
        let x = model.store.valueArray
        _ = loss(x)
        model.store.zeroGrads()
        tokens.withUnsafeBufferPointer { model.backward(InputBatch(count: 6, tokens: $0.baseAddress!), dlogits: d) }
        let r = gradientCheck("MLP + cross-entropy", at: x, analytic: model.store.gradArray, loss)
        XCTAssertTrue(r.passed, r.description)
    }
}

final class OptimizerTests: XCTestCase {
    func layout(_ n: Int) -> ParameterLayout { var l = ParameterLayout(); l.add("w", rows: 1, cols: n); return l }

    /// Two AdamW steps against the update written out by hand (torch.optim.AdamW's algorithm).
    func testAdamWMatchesHandComputation() {
        var c = OptimizerConfig(); c.kind = .adamw; c.learningRate = 0.1; c.weightDecay = 0.5; c.beta1 = 0.9; c.beta2 = 0.98; c.epsilon = 1e-8
        let store = ParameterStore<Double>(layout: layout(2))
        store.load([1.0, -2.0])
        let opt = Optimizer<Double>(config: c, layout: store.layout)
        var p = [1.0, -2.0], m = [0.0, 0], v = [0.0, 0]
        for (t, g) in [(1, [0.5, -1.0]), (2, [0.25, 2.0])] {
            for i in 0..<2 { store.grads[i] = g[i] }
            opt.step(store)
            for i in 0..<2 {
                p[i] *= 1 - 0.1 * 0.5
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.98 * v[i] + 0.02 * g[i] * g[i]
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.98, Double(t)))
                p[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
                XCTAssertEqual(store.values[i], p[i], accuracy: 1e-12, "step \(t) parameter \(i)")
            }
        }
    }

    func testAdamL2AndSGDMomentum() {
        var c = OptimizerConfig(); c.kind = .adam; c.learningRate = 0.01; c.weightDecay = 0.1
        let s1 = ParameterStore<Double>(layout: layout(1)); s1.load([2])
        let adam = Optimizer<Double>(config: c, layout: s1.layout)
        s1.grads[0] = 1
        adam.step(s1)
        // First Adam step moves by lr·sign(g + λθ) (bias-corrected m̂/√v̂ = ±1 up to ε).
        XCTAssertEqual(s1.values[0], 2 - 0.01, accuracy: 1e-8)

        c.kind = .sgd; c.momentum = 0.9; c.learningRate = 0.1; c.weightDecay = 0
        let s2 = ParameterStore<Double>(layout: layout(1)); s2.load([0])
        let sgd = Optimizer<Double>(config: c, layout: s2.layout)
        s2.grads[0] = 1; sgd.step(s2)
        s2.grads[0] = 1; sgd.step(s2)
        XCTAssertEqual(s2.values[0], -0.1 - 0.1 * 1.9, accuracy: 1e-12)
    }

    func testWarmup() {
        var c = OptimizerConfig(); c.learningRate = 1e-3; c.warmupSteps = 10
        XCTAssertEqual(c.learningRate(atStep: 1), 1e-4, accuracy: 1e-15)
        XCTAssertEqual(c.learningRate(atStep: 10), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(c.learningRate(atStep: 500), 1e-3, accuracy: 1e-15)
    }
}

final class ScheduleTests: XCTestCase {
    func testLogScheduleIsDenseEarlySparseLate() {
        let s = evaluationSteps(.log, maxSteps: 10_000, points: 100)
        XCTAssertEqual(s.first, 0); XCTAssertEqual(s.last, 10_000)
        XCTAssertEqual(s, s.sorted()); XCTAssertEqual(Set(s).count, s.count)
        XCTAssertTrue(s.contains(1) && s.contains(2) && s.contains(10))
        XCTAssertLessThanOrEqual(s.count, 101)
        XCTAssertGreaterThan(s.filter { $0 <= 100 }.count, s.filter { $0 > 1000 }.count / 2)
    }

    func testLinearSchedule() {
        XCTAssertEqual(evaluationSteps(.linear, maxSteps: 100, points: 4), [0, 25, 50, 75, 100])
        XCTAssertEqual(evaluationSteps(.linear, maxSteps: 10, points: 3), [0, 4, 8, 10])
    }
}

final class TrainerTests: XCTestCase {
    func makeData(p: Int = 11, fraction: Double = 0.6) throws -> TrainingData<Float> {
        let table = try OperationTable(operation: .add, modulus: p)
        let (tr, va) = try table.split(trainFraction: fraction, rng: RNG(seed: 1))
        return TrainingData(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: p)
    }

    func testMemorizesASmallTable() throws {
        let data = try makeData()
        let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 16), vocabulary: 11, hidden: [64], classes: 11),
                               capacity: data.train.count, rng: RNG(seed: 2))
        var tc = TrainingConfig(); tc.maxSteps = 300; tc.evalPoints = 10
        var oc = OptimizerConfig(); oc.learningRate = 3e-3; oc.weightDecay = 0
        let out = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3)).run()
        XCTAssertEqual(out.status, .done)
        XCTAssertEqual(out.records.last!.trainAccuracy, 1.0)
        XCTAssertLessThan(out.records.last!.trainLoss, out.records.first!.trainLoss / 10)
    }

    func testMinibatchAndStopRule() throws {
        let data = try makeData()
        let model = MLP<Float>(config: MLPConfig(input: .oneHot, vocabulary: 11, hidden: [64], classes: 11), capacity: 16, rng: RNG(seed: 2))
        var tc = TrainingConfig(); tc.maxSteps = 2000; tc.batchSize = 16; tc.evalPoints = 50
        tc.stopEvent = EventRule(metric: .trainAccuracy, atLeast: 1.0); tc.patience = 20
        var oc = OptimizerConfig(); oc.learningRate = 3e-3; oc.weightDecay = 0
        let out = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3)).run()
        XCTAssertTrue(out.stoppedByEvent)
        let first = out.records.first { $0.trainAccuracy >= 1.0 }!.step
        XCTAssertGreaterThanOrEqual(out.stepsRun, first + 20)
        XCTAssertLessThan(out.stepsRun, 2000)
    }

    /// An absurd learning rate makes the loss overflow: the trial ends as `diverged`, with a message, not a crash.
    func testDivergenceIsRecorded() throws {
        let data = try makeData()
        let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [32], activation: .quadratic, classes: 11, initScale: 10),
                               capacity: data.train.count, rng: RNG(seed: 2))
        var tc = TrainingConfig(); tc.maxSteps = 500; tc.loss = .mse
        var oc = OptimizerConfig(); oc.kind = .sgd; oc.learningRate = 10; oc.weightDecay = 0
        let out = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3)).run()
        XCTAssertEqual(out.status, .diverged)
        XCTAssertNotNil(out.message)
        XCTAssertLessThan(out.stepsRun, 500)
    }

    func testInterruptStopsBetweenSteps() throws {
        let data = try makeData()
        let model = MLP<Float>(config: MLPConfig(input: .oneHot, vocabulary: 11, hidden: [8], classes: 11), capacity: data.train.count, rng: RNG(seed: 2))
        var tc = TrainingConfig(); tc.maxSteps = 1000
        var calls = 0
        let out = Trainer(model: model, optimizer: OptimizerConfig(), config: tc, data: data, rng: RNG(seed: 3)).run(shouldStop: { calls += 1; return calls > 5 })
        XCTAssertEqual(out.status, .interrupted)
        XCTAssertEqual(out.stepsRun, 5)
    }
}

final class ResumeTests: XCTestCase {
    /// Interrupt at an arbitrary step, resume from the captured state: the records equal those of an
    /// uninterrupted run exactly (minibatches, so the batch order and RNG state matter too).
    /// With dropout and gradient noise too: their draws come from the checkpointed stream.
    func testResumedRunMatchesUninterruptedRun() throws {
        try checkResume(dropout: 0, gradientNoise: 0)
    }

    func testResumedRunWithDropoutAndGradientNoiseMatches() throws {
        try checkResume(dropout: 0.3, gradientNoise: 0.5)
    }

    func checkResume(dropout: Double, gradientNoise: Double) throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        var tc = TrainingConfig(); tc.maxSteps = 400; tc.batchSize = 20; tc.evalPoints = 30; tc.transforms = gradientNoise > 0 ? [GradientNoise(ratio: gradientNoise)] : []
        let cfg = MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [32], classes: 11, dropout: dropout)
        func trainer() -> Trainer<MLP<Float>> {
            Trainer(model: MLP<Float>(config: cfg, capacity: 20, rng: RNG(seed: 2)), optimizer: OptimizerConfig(), config: tc, data: data, rng: RNG(seed: 3))
        }
        let full = trainer().run()
        for stopAt in [1, 57, 137, 399] {
            var saved: Trainer<MLP<Float>>.State? = nil
            var calls = 0
            let first = trainer().run(shouldStop: { calls += 1; return calls > stopAt }, checkpointEvery: 1000, checkpoint: { saved = $0 })
            XCTAssertEqual(first.status, .interrupted)
            let state = try XCTUnwrap(saved, "an interrupted run leaves a checkpoint")
            XCTAssertEqual(state.step, stopAt)
            let resumed = trainer().run(resume: state)
            XCTAssertEqual(resumed.status, .done)
            XCTAssertEqual(resumed.records, full.records, "resumed at step \(stopAt)")
            XCTAssertEqual(resumed.stepsRun, full.stepsRun)
        }
        if dropout > 0 || gradientNoise > 0 {
            var plainTC = tc; plainTC.transforms = []
            var plainCfg = cfg; plainCfg.dropout = 0
            let plain = Trainer(model: MLP<Float>(config: plainCfg, capacity: 20, rng: RNG(seed: 2)), optimizer: OptimizerConfig(), config: plainTC,
                                data: data, rng: RNG(seed: 3)).run()
            XCTAssertNotEqual(plain.records.last!.weightNorm, full.records.last!.weightNorm, "dropout and gradient noise change the run")
        }
    }
}

final class GradientNoiseTests: XCTestCase {
    /// The noise added to the gradient has mean 0 and standard deviation s · rms(g), whatever g's scale.
    func testNoiseScalesWithTheGradient() throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Double>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        let model = MLP<Double>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [64], classes: 11), capacity: tr.count, rng: RNG(seed: 2))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
        let n = model.store.count
        for (scale, s) in [(1e-3, 0.5), (10.0, 2.0)] {
            var r = RNG(seed: 4)
            let g = (0..<n).map { _ in scale * r.normal() }
            for i in 0..<n { model.store.grads[i] = g[i] }
            GradientNoise.add(ratio: s, to: model.store.grads, count: n, rng: &r)
            let noise = (0..<n).map { model.store.grads[$0] - g[$0] }
            let rms = (g.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
            let mean = noise.reduce(0, +) / Double(n)
            let sd = (noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
            let sigma = s * rms
            XCTAssertEqual(mean, 0, accuracy: 4 * sigma / Double(n).squareRoot())
            // The sample SD of n normals has a standard error of about σ/√(2n).
            XCTAssertEqual(sd, sigma, accuracy: 4 * sigma / (2 * Double(n)).squareRoot())
        }
    }
}

final class SaturationTests: XCTestCase {
    /// A margin of 30 saturates float32's softmax (e^-30 ≈ 9e-14 < ulp(1)/2 ≈ 6e-8) but not float64's (1.1e-16).
    func testSoftmaxSaturationDependsOnPrecision() {
        let f = lossForwardBackward(.crossEntropy, logits: [Float(30), 0, 0, 5, 1, 2], labels: [0, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        XCTAssertEqual(f.saturated, 1)
        XCTAssertEqual(f.saturatedFraction, 0.5)
        let d = lossForwardBackward(.crossEntropy, logits: [Double(30), 0, 0, 5, 1, 2], labels: [0, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        XCTAssertEqual(d.saturated, 0)
        // A wrong prediction is never counted as saturated, however large its margin.
        XCTAssertEqual(lossForwardBackward(.crossEntropy, logits: [Float(0), 40, 0], labels: [0], B: 1, C: 3, dlogits: nil, scale: 1).saturated, 0)
    }
}

final class DataParallelTests: XCTestCase {
    /// A full batch of 317 rows is cut into two shards. On one thread or two, with dropout and gradient
    /// noise or without, the run's records and final parameters are the same bits: the cut depends on
    /// the batch alone, and the shards' sums are added in one order.
    func testOneThreadOrTwoGiveTheSameRun() throws {
        let table = try OperationTable(operation: .add, modulus: 23)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 23)
        for (dropout, noise) in [(0.0, 0.0), (0.2, 0.3)] {
            var tc = TrainingConfig(); tc.maxSteps = 60; tc.evalPoints = 12; tc.transforms = noise > 0 ? [GradientNoise(ratio: noise)] : []
            var oc = OptimizerConfig(); oc.weightDecay = 1
            let cfg = MLPConfig(input: .embedding(dimension: 16), vocabulary: 23, hidden: [64], classes: 23, dropout: dropout)
            func run(threads: Int) -> (TrainingOutcome, [Float], Int) {
                let model = MLP<Float>(config: cfg, capacity: tr.count, rng: RNG(seed: 2))
                let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3), threads: threads)
                return (trainer.run(), model.store.valueArray, trainer.team.size)
            }
            let (one, pOne, sizeOne) = run(threads: 1), (two, pTwo, sizeTwo) = run(threads: 2)
            XCTAssertEqual(sizeOne, 1)
            XCTAssertEqual(sizeTwo, 2, "the shards run on a team of two")
            XCTAssertEqual(one.records, two.records, "dropout \(dropout), noise \(noise)")
            XCTAssertEqual(pOne, pTwo, "dropout \(dropout), noise \(noise)")
            XCTAssertLessThan(one.records.last!.trainLoss, one.records.first!.trainLoss, "the run trains")
        }
    }
}

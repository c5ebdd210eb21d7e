// The training loop on a small table: it memorizes, minibatches and the stop rule, divergence
// recorded as such, interruption between steps.
import XCTest
import Datasets
import Linalg
import Models
import Training

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

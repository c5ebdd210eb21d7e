// Resuming from a checkpoint reproduces the uninterrupted run exactly, with dropout and gradient noise too.
import XCTest
import Datasets
import Linalg
import Models
import Training

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

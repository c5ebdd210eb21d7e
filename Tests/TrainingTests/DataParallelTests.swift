// The data-parallel step: one thread or two give the same run, bit for bit.
import XCTest
import Datasets
import Linalg
import Models
import Training

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
            assertSameRunOnOneThreadOrTwo("dropout \(dropout), noise \(noise)", optimizer: oc, config: tc, data: data) {
                MLP<Float>(config: cfg, capacity: tr.count, rng: RNG(seed: 2))
            }
        }
    }

    /// Trains a fresh model from `make` on one thread and on two: the shards run on a team of that size,
    /// and the records and final parameters are the same bits; the run trains.
    func assertSameRunOnOneThreadOrTwo<M: Classifier>(_ what: String, optimizer: OptimizerConfig, config: TrainingConfig, data: TrainingData<Float>,
                                                      make: () -> M, file: StaticString = #filePath, line: UInt = #line) where M.T == Float {
        func run(threads: Int) -> (TrainingOutcome, [Float], Int) {
            let model = make()
            let trainer = Trainer(model: model, optimizer: optimizer, config: config, data: data, rng: RNG(seed: 3), threads: threads)
            return (trainer.run(), model.store.valueArray, trainer.team.size)
        }
        let (one, pOne, sizeOne) = run(threads: 1), (two, pTwo, sizeTwo) = run(threads: 2)
        XCTAssertEqual(sizeOne, 1, what, file: file, line: line)
        XCTAssertEqual(sizeTwo, 2, "\(what): the shards run on a team of two", file: file, line: line)
        XCTAssertEqual(one.records, two.records, what, file: file, line: line)
        XCTAssertEqual(pOne, pTwo, what, file: file, line: line)
        XCTAssertLessThan(one.records.last!.trainLoss, one.records.first!.trainLoss, "\(what): the run trains", file: file, line: line)
    }

    /// The transformers' data-parallel step: a batch of 317 sequences (full batch, 1 layer without
    /// LayerNorm as Nanda et al.) or minibatches of 256 (2 layers, pre-LN, as Power et al.) is cut into two
    /// shards; one thread or two give the same records and parameters, bit for bit.
    func testTransformerOneThreadOrTwoGiveTheSameRun() throws {
        let table = try OperationTable(operation: .add, modulus: 23)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 23)
        for (layers, ln, batch) in [(1, LayerNormPlacement.none, nil), (2, .pre, 256)] as [(Int, LayerNormPlacement, Int?)] {
            var tc = TrainingConfig(); tc.maxSteps = 30; tc.evalPoints = 6; tc.batchSize = batch
            var oc = OptimizerConfig(); oc.weightDecay = 1; oc.beta2 = 0.98
            let cfg = TransformerConfig(operands: 23, classes: 23, opToken: layers == 2, layers: layers, dModel: 32, heads: 4, dMLP: 64, layerNorm: ln)
            assertSameRunOnOneThreadOrTwo("layers \(layers)", optimizer: oc, config: tc, data: data) {
                Transformer<Float>(config: cfg, capacity: batch ?? tr.count, rng: RNG(seed: 2))
            }
        }
    }
}

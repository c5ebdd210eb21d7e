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
            func run(threads: Int) -> (TrainingOutcome, [Float], Int) {
                let model = Transformer<Float>(config: cfg, capacity: batch ?? tr.count, rng: RNG(seed: 2))
                let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3), threads: threads)
                return (trainer.run(), model.store.valueArray, trainer.team.size)
            }
            let (one, pOne, sizeOne) = run(threads: 1), (two, pTwo, sizeTwo) = run(threads: 2)
            XCTAssertEqual(sizeOne, 1)
            XCTAssertEqual(sizeTwo, 2, "the shards run on a team of two")
            XCTAssertEqual(one.records, two.records, "layers \(layers)")
            XCTAssertEqual(pOne, pTwo, "layers \(layers)")
            XCTAssertLessThan(one.records.last!.trainLoss, one.records.first!.trainLoss, "the run trains")
        }
    }
}

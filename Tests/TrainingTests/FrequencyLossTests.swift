import XCTest
import Datasets
import Linalg
import Models
import Training

final class FrequencyLossTests: XCTestCase {
    /// The whole table of x + y mod p with logits β cos(2πk(a + b − c)/p): a model that uses frequency k only
    /// (Nanda et al.'s algorithm with one frequency). The training rows are those with (a + 2b) mod 3 ≠ 0.
    func table(p: Int, k: Int, beta: Double, noise: Double = 0, seed: UInt64 = 1) -> TableLogits {
        var rng = RNG(seed: seed)
        var logits: [Double] = [], a: [Int] = [], b: [Int] = [], labels: [Int] = [], train: [Bool] = []
        for x in 0..<p {
            for y in 0..<p {
                for c in 0..<p { logits.append(beta * cos(2 * .pi * Double(k * ((x + y - c + 2 * p) % p)) / Double(p)) + noise * rng.normal()) }
                a.append(x); b.append(y); labels.append((x + y) % p); train.append((x + 2 * y) % 3 != 0)
            }
        }
        return TableLogits(p: p, classes: p, logits: logits, a: a, b: b, labels: labels, isTrain: train)!
    }

    /// Excluding the model's frequency leaves constant logits (the loss of a uniform guess, log p); excluding
    /// another leaves the model as it was. The restricted loss is the reverse.
    func testExcludingTheUsedFrequencyRaisesTheLossAndExcludingAnotherDoesNot() {
        let p = 23, k = 4
        let t = table(p: p, k: k, beta: 200)
        // The model's own loss, over the training rows and over the table, directly.
        let own = t.losses(frequencies: [])
        XCTAssertLessThan(own.excluded, 0.05)                    // nothing excluded: the training loss itself
        XCTAssertEqual(own.restricted, log(Double(p)), accuracy: 1e-9)   // nothing kept but the constant 0
        let withoutK = t.losses(frequencies: [k])
        XCTAssertEqual(withoutK.excluded, log(Double(p)), accuracy: 1e-9)
        XCTAssertEqual(withoutK.restricted, own.excluded, accuracy: 0.05)
        for other in [1, 7, 11] {
            let l = t.losses(frequencies: [other])
            XCTAssertEqual(l.excluded, own.excluded, accuracy: 1e-9, "excluding \(other)")
            XCTAssertEqual(l.restricted, log(Double(p)), accuracy: 1e-9, "restricting to \(other)")
        }
        XCTAssertEqual(t.keyFrequencies(count: 1), [k])
        XCTAssertEqual(t.losses(strongest: 1), withoutK, "the probe's one-pass form chooses k and gives the same losses")
        // k and p − k are the same real frequency: the key is reported as the smaller.
        XCTAssertEqual(table(p: p, k: p - k, beta: 200).keyFrequencies(count: 1), [k])
    }

    /// A memorizing table (independent noise per pair) has no a + b structure to remove: the excluded loss
    /// stays near the training loss and the restricted loss near log p.
    func testMemorizationIsUntouchedByTheExclusion() {
        let p = 17
        var rng = RNG(seed: 3)
        var logits: [Double] = [], a: [Int] = [], b: [Int] = [], labels: [Int] = [], train: [Bool] = []
        for x in 0..<p {
            for y in 0..<p {
                let label = (x + y) % p
                for c in 0..<p { logits.append((c == label ? 6 : 0) + 0.3 * rng.normal()) }
                a.append(x); b.append(y); labels.append(label); train.append(true)
            }
        }
        // A lookup table of the answer does carry a + b structure (its logits are a function of a + b): remove
        // it and the answer goes, so the excluded loss over all frequencies is that of a uniform guess.
        let t = TableLogits(p: p, classes: p, logits: logits, a: a, b: b, labels: labels, isTrain: train)!
        let all = t.losses(frequencies: Array(1...(p / 2)))
        XCTAssertEqual(all.excluded, log(Double(p)), accuracy: 0.1)
        // Logits that do not depend on a + b (random per pair, label ignored): nothing to remove.
        let random = TableLogits(p: p, classes: p, logits: logits.indices.map { _ in rng.normal() }, a: a, b: b, labels: labels, isTrain: train)!
        let none = random.losses(frequencies: []), some = random.losses(frequencies: random.keyFrequencies(count: 5))
        XCTAssertEqual(some.excluded, none.excluded, accuracy: 0.1)
    }

    /// Tables with a pair missing or repeated are refused, as are tokens outside the table.
    func testIncompleteTablesAreRefused() {
        let p = 5
        let pairs = (0..<p).flatMap { x in (0..<p).map { (x, $0) } }
        let logits = [Double](repeating: 0, count: p * p * p)
        XCTAssertNotNil(TableLogits(p: p, classes: p, logits: logits, a: pairs.map(\.0), b: pairs.map(\.1), labels: pairs.map { ($0.0 + $0.1) % p }, isTrain: pairs.map { _ in true }))
        var b = pairs.map(\.1); b[3] = b[2]
        XCTAssertNil(TableLogits(p: p, classes: p, logits: logits, a: pairs.map(\.0), b: b, labels: pairs.map { ($0.0 + $0.1) % p }, isTrain: pairs.map { _ in true }))
        XCTAssertNil(TableLogits(p: p, classes: p, logits: Array(logits.dropLast()), a: pairs.map(\.0), b: pairs.map(\.1), labels: pairs.map { ($0.0 + $0.1) % p }, isTrain: pairs.map { _ in true }))
        b = pairs.map(\.1); b[0] = p
        XCTAssertNil(TableLogits(p: p, classes: p, logits: logits, a: pairs.map(\.0), b: b, labels: pairs.map { ($0.0 + $0.1) % p }, isTrain: pairs.map { _ in true }))
    }

    /// The trainer's table covers the training and validation rows once each, and its logits are the model's:
    /// the excluded loss over no frequency is the trainer's own training loss.
    func testTheTrainersTableIsTheModelsLogits() throws {
        let p = 13
        let table = try OperationTable(operation: .add, modulus: p)
        let (train, val) = try table.split(trainFraction: 0.5, rng: RNG(seed: 2))
        let data = TrainingData<Double>(train: ClassificationSplit(examples: train), validation: ClassificationSplit(examples: val), classes: table.classes)
        // A workspace smaller than either split, so both are read in chunks.
        let model = MLP<Double>(config: MLPConfig(input: .embedding(dimension: 6), vocabulary: table.vocabulary, hidden: [16], classes: table.classes), capacity: 40, rng: RNG(seed: 4))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: TrainingConfig(), data: data, rng: RNG(seed: 5))
        let t = try XCTUnwrap(trainer.tableLogits(modulus: p))
        XCTAssertEqual(t.isTrain.filter { $0 }.count, train.count)
        XCTAssertEqual(t.losses(frequencies: []).excluded, trainer.evaluate(data.train).meanLoss, accuracy: 1e-9)
    }
}

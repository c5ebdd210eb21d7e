import XCTest
import Datasets
import Linalg
import Models
import Training

final class ProbeTests: XCTestCase {
    /// Embeddings built from two frequencies put all their power there, split by amplitude².
    func testSpectrumFindsTheFrequencies() {
        let p = 31, C = 6
        var e = [Double](repeating: 0, count: p * C)
        for x in 0..<p {
            for c in 0..<C {
                let phase = Double(c) * 0.7
                e[x * C + c] = 2 * cos(2 * .pi * 5 * Double(x) / Double(p) + phase) + 1 * sin(2 * .pi * 12 * Double(x) / Double(p) + phase)
            }
        }
        let s = embeddingSpectrum(e, p: p, C: C)
        XCTAssertEqual(s.count, 16)
        XCTAssertEqual(s.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(s[5], 0.8, accuracy: 1e-9)       // amplitude² 4 : 1
        XCTAssertEqual(s[12], 0.2, accuracy: 1e-9)
        let top = topFrequencies(s, count: 2)
        XCTAssertEqual(top.frequencies, [5, 12])
        XCTAssertEqual(top.share, 1, accuracy: 1e-9)
        // Random embeddings spread their power: no frequency dominates.
        var rng = RNG(seed: 1)
        let noise = (0..<(p * C)).map { _ in rng.normal() }
        XCTAssertLessThan(topFrequencies(embeddingSpectrum(noise, p: p, C: C), count: 2).share, 0.5)
    }

    /// Points on a circle in a random 2-D plane of R^8 come back as a circle.
    func testPrincipalComponentsRecoverACircle() throws {
        let n = 40, d = 8
        var rng = RNG(seed: 2)
        let u = (0..<d).map { _ in rng.normal() }, w0 = (0..<d).map { _ in rng.normal() }
        let un = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let a = u.map { $0 / un }
        let proj = zip(w0, a).map(*).reduce(0, +)
        var b = zip(w0, a).map { $0 - proj * $1 }
        let bn = b.reduce(0) { $0 + $1 * $1 }.squareRoot(); b = b.map { $0 / bn }
        var x = [Double]()
        for i in 0..<n {
            let t = 2 * Double.pi * Double(i) / Double(n)
            for j in 0..<d { x.append(3 + 2 * cos(t) * a[j] + 2 * sin(t) * b[j]) }
        }
        let (points, explained) = try principalComponents2(x, rows: n, cols: d)
        XCTAssertEqual(explained, 1, accuracy: 1e-9)
        for (px, py) in points { XCTAssertEqual((px * px + py * py).squareRoot(), 2, accuracy: 1e-9) }
    }

    func testSharpnessIsReproducibleAndRestoresParameters() throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        var tc = TrainingConfig(); tc.maxSteps = 200
        let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [32], classes: 11), capacity: tr.count, rng: RNG(seed: 2))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: tc, data: data, rng: RNG(seed: 3))
        _ = trainer.run()
        let before = model.store.valueArray
        let s1 = trainer.sharpness(relative: 0.05, samples: 4, rng: RNG(seed: 9))
        let s2 = trainer.sharpness(relative: 0.05, samples: 4, rng: RNG(seed: 9))
        XCTAssertEqual(s1, s2)
        XCTAssertEqual(model.store.valueArray, before)
        XCTAssertGreaterThan(s1, 0, "a perturbation of a trained minimum raises the loss")
        XCTAssertEqual(trainer.sharpness(relative: 0, samples: 2, rng: RNG(seed: 9)), 0)
        XCTAssertGreaterThan(trainer.sharpness(relative: 0.2, samples: 4, rng: RNG(seed: 9)), s1)
    }
}

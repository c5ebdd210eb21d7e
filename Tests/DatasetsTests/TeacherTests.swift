// The teacher network's samples: the labels are the teacher's arg-max, centred hidden units keep those
// classes about balanced, and the labels are a deterministic function of the seed.
import XCTest
import Datasets
import Linalg

final class TeacherTests: XCTestCase {
    func testClassesAreRoughlyBalancedForEveryTeacherSeed() {
        for (d, h, k) in [(5, 20, 3), (20, 100, 10), (8, 32, 4)] {
            for seed in 0..<5 as Range<UInt64> {
                var rng = RNG(seed: seed)
                let t = TeacherNetwork(inputs: d, hidden: h, outputs: k, rng: &rng)
                let counts = t.classification(6000, rng: &rng).classCounts
                let share = counts.map { Double($0) / 6000 }
                // Uncentred, 10-class teachers gave shares under 0.01 (and over 0.4); centred ones stay near 1/K.
                XCTAssertGreaterThan(share.min()!, 0.25 / Double(k), "d \(d), h \(h), K \(k), seed \(seed): \(share)")
                XCTAssertLessThan(share.max()!, 2.5 / Double(k), "d \(d), h \(h), K \(k), seed \(seed): \(share)")
            }
        }
    }

    func testHiddenUnitsAreCentred() {
        // E[relu(wᵀx) − ‖w‖/√(2π)] = 0 for x ~ N(0, I): the outputs' sample means are near zero.
        var rng = RNG(seed: 4)
        let t = TeacherNetwork(inputs: 6, hidden: 30, outputs: 3, rng: &rng)
        let n = 20000
        let x = Matrix(rows: n, cols: 6, data: (0..<(n * 6)).map { _ in rng.normal() })
        let f = t.evaluate(x)
        for c in 0..<3 {
            let m = (0..<n).reduce(0.0) { $0 + f[$1, c] } / Double(n)
            XCTAssertEqual(m, 0, accuracy: 0.03, "output \(c)")
        }
    }

    func testSameSeedSameData() {
        func draw(_ s: UInt64) -> ClassificationData {
            var rng = RNG(seed: s)
            let t = TeacherNetwork(inputs: 5, hidden: 20, outputs: 3, rng: &rng)
            return t.classification(100, rng: &rng)
        }
        XCTAssertEqual(draw(7).labels, draw(7).labels)
        XCTAssertEqual(draw(7).x, draw(7).x)
        XCTAssertNotEqual(draw(7).labels, draw(8).labels)
    }

    /// Classification samples have the teacher's shapes and its arg-max labels; regression samples their count.
    func testClassificationAndRegressionSamples() {
        var rng = RNG(seed: 11)
        let t = TeacherNetwork(inputs: 8, hidden: 32, outputs: 4, rng: &rng)
        let d = t.classification(2000, rng: &rng)
        XCTAssertEqual(d.features, 8); XCTAssertEqual(d.classes, 4)
        XCTAssertTrue(d.classCounts.allSatisfy { $0 > 0 }, "\(d.classCounts)")
        // The labels are the teacher's arg-max: recomputing them from x agrees.
        let f = t.evaluate(Matrix(converting: d.x))
        for i in 0..<20 { XCTAssertEqual((0..<4).max { f[i, $0] < f[i, $1] }!, d.labels[i]) }
        let single = TeacherNetwork(inputs: 8, hidden: 16, outputs: 1, rng: &rng)
        XCTAssertEqual(single.regression(10, noise: 0.1, rng: &rng).count, 10)
    }
}

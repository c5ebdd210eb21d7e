// Label noise: the realized rate, always an incorrect label (uniform over the others), once per seed,
// coupled across rates, and errors against both the clean and the observed labels; exact noise on a fixed
// set (the operation tables) corrupts exactly round(q·n) labels.
import XCTest
import Datasets
import Linalg

final class LabelNoiseTests: XCTestCase {
    func testLabelNoiseRateAndAlwaysIncorrect() {
        let n = 20000, k = 10, q = 0.2
        var rng = RNG(seed: 1).split("label-noise")
        let clean = (0..<n).map { $0 % k }
        let noisy = corruptLabels(clean, classes: k, rate: q, rng: &rng)
        let flipped = zip(clean, noisy).filter { $0 != $1 }
        let rate = Double(flipped.count) / Double(n)
        let se = (q * (1 - q) / Double(n)).squareRoot()              // 0.0028
        XCTAssertEqual(rate, q, accuracy: 4 * se, "realized noise rate \(rate)")
        // Uniform over the K − 1 incorrect labels: each offset (noisy − clean) mod K in 1...9 gets
        // about 1/9 of the flips (4 binomial standard errors).
        var offsets = [Int](repeating: 0, count: k)
        for (c, y) in flipped { offsets[(y - c + k) % k] += 1 }
        XCTAssertEqual(offsets[0], 0, "a corrupted label is never the clean one")
        let expected = Double(flipped.count) / 9, sd = (expected * 8 / 9).squareRoot()
        for o in 1..<k { XCTAssertEqual(Double(offsets[o]), expected, accuracy: 4 * sd, "offset \(o)") }
        // Rates 0 and 1.
        var r0 = RNG(seed: 2), r1 = RNG(seed: 2)
        XCTAssertEqual(corruptLabels(clean, classes: k, rate: 0, rng: &r0), clean)
        XCTAssertTrue(zip(clean, corruptLabels(clean, classes: k, rate: 1, rng: &r1)).allSatisfy { $0 != $1 })
    }

    func testLabelNoiseIsOncePerSeedAndCoupled() throws {
        let d = try ClassificationData.load(TabularTests.data("digits.csv.gz"), format: .digits)
        var a = RNG(seed: 3).split("label-noise"), b = RNG(seed: 3).split("label-noise"), c = RNG(seed: 4).split("label-noise")
        let na = d.withLabelNoise(rate: 0.2, rng: &a), nb = d.withLabelNoise(rate: 0.2, rng: &b)
        let nc = d.withLabelNoise(rate: 0.2, rng: &c)
        XCTAssertEqual(na.labels, nb.labels, "same seed, same noise")
        XCTAssertNotEqual(na.labels, nc.labels)
        XCTAssertEqual(na.cleanLabels, d.labels)
        XCTAssertGreaterThan(na.corruptedFraction, 0)
        XCTAssertEqual(na.corruptedFraction, 0.2, accuracy: 4 * (0.16 / 1797.0).squareRoot())
        // Applying noise again redraws from the clean labels (no compounding).
        var a2 = RNG(seed: 3).split("label-noise")
        XCTAssertEqual(na.withLabelNoise(rate: 0.2, rng: &a2).labels, na.labels)
        // Coupling: with the same rng, rate 0.3 corrupts a superset of rate 0.1's examples, same wrong labels.
        var lo = RNG(seed: 8), hi = RNG(seed: 8)
        let l = d.withLabelNoise(rate: 0.1, rng: &lo), h = d.withLabelNoise(rate: 0.3, rng: &hi)
        for i in 0..<d.count where l.corrupted[i] { XCTAssertEqual(h.labels[i], l.labels[i]) }
        // Errors against both label sets.
        let e = na.errors(of: na.cleanLabels)
        XCTAssertEqual(e.clean, 0)
        XCTAssertEqual(e.observed, na.corruptedFraction)
    }

    func testExactNoiseCorruptsExactlyTheFractionOncePerSeedAndNested() {
        let n = 2817, k = 97
        let clean = (0..<n).map { ($0 * 31) % k }
        var previous: Set<Int> = []
        for q in [0.0, 0.05, 0.1, 0.3, 0.875, 1.0] {
            var rng = RNG(seed: 5).split("label-noise")
            let (noisy, rows) = corruptExactly(clean, classes: k, fraction: q, rng: &rng)
            XCTAssertEqual(rows.count, Int((q * Double(n)).rounded()), "q = \(q)")
            XCTAssertEqual(rows, rows.sorted())
            XCTAssertEqual(Set(rows).count, rows.count)
            let changed = Set((0..<n).filter { noisy[$0] != clean[$0] })
            XCTAssertEqual(changed, Set(rows), "q = \(q): exactly the listed rows carry a wrong label")
            XCTAssertTrue(noisy.allSatisfy { (0..<k).contains($0) })
            XCTAssertTrue(previous.isSubset(of: changed), "a larger fraction corrupts a superset, q = \(q)")
            // Same seed, same rows and labels; a larger fraction keeps the wrong labels a smaller one drew.
            var again = RNG(seed: 5).split("label-noise")
            XCTAssertEqual(corruptExactly(clean, classes: k, fraction: q, rng: &again).labels, noisy)
            previous = changed
        }
        var a = RNG(seed: 5).split("label-noise"), b = RNG(seed: 6).split("label-noise")
        XCTAssertNotEqual(corruptExactly(clean, classes: k, fraction: 0.1, rng: &a).corrupted, corruptExactly(clean, classes: k, fraction: 0.1, rng: &b).corrupted)
        // Uniform over the K − 1 wrong labels: with q = 1 and K = 3 each offset gets about half the rows.
        var r = RNG(seed: 7)
        let three = (0..<6000).map { $0 % 3 }
        let (noisy3, _) = corruptExactly(three, classes: 3, fraction: 1, rng: &r)
        let plusOne = zip(three, noisy3).filter { ($0 + 1) % 3 == $1 }.count
        XCTAssertEqual(Double(plusOne), 3000, accuracy: 4 * (6000 * 0.25).squareRoot())
    }
}

// The seeded splittable RNG: reproducible streams, independent splits, moments, a fixed stable hash.
import XCTest
import Linalg

final class RNGTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = RNG(seed: 42), b = RNG(seed: 42)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testSplitIsIndependentOfParentDraws() {
        var parent = RNG(seed: 1)
        let before = parent.split("init")
        _ = parent.next(); _ = parent.next()
        XCTAssertEqual(before, parent.split("init"))
        XCTAssertNotEqual(parent.split("init"), parent.split("data"))
    }

    func testUniformAndNormalMoments() {
        var rng = RNG(seed: 3)
        let n = 200_000
        var s = 0.0, s2 = 0.0, u = 0.0
        for _ in 0..<n { let z = rng.normal(); s += z; s2 += z * z; u += rng.uniform() }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.01)          // 4.5 standard errors
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.015)
        XCTAssertEqual(u / Double(n), 0.5, accuracy: 0.003)
    }

    func testIntBelowIsUniform() {
        var rng = RNG(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.int(below: 7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 450) }
    }

    func testStableHashIsFixed() {
        // FNV-1a 64 of "a" is a published constant.
        XCTAssertEqual(stableHash("a"), 0xAF63_DC4C_8601_EC8C)
    }
}

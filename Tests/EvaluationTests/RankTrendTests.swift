// RankTrend, the one Spearman test of a trend (the trend expectation and `descent stats` both use it):
// censored trials rank above every reached one, the permutation p-values point the right way, and too
// little data gives no test.
import Evaluation
import XCTest

final class RankTrendTests: XCTestCase {
    func testCensoredTrialsRankAboveEveryReachedTrial() throws {
        let xs: [Double] = [1, 1, 2, 2, 3, 3, 4, 4]
        let ys: [Double?] = [nil, nil, 800, 700, 500, 450, 300, 200]
        let t = try XCTUnwrap(RankTrend(x: "k", y: "generalization_step", xs: xs, ys: ys))
        // Ranked last means: the same ρ as with any finite value above every reached step in their place.
        let stand = ys.map { $0 ?? 1e9 }
        XCTAssertEqual(t.rho, RankTrend.spearman(xs, stand), accuracy: 1e-12)
        // Left out instead, the two censored trials would not count: a different test, and a different ρ.
        XCTAssertNotEqual(t.rho, RankTrend.spearman(Array(xs[2...]), stand.suffix(6).map { $0 }), accuracy: 1e-6)
        XCTAssertEqual(t.n, 8)
        XCTAssertEqual(t.censored, 2)
        XCTAssertEqual(t.variant, "censored trials ranked last")
        XCTAssertTrue(t.sentence.contains("censored trials ranked last"), t.sentence)
    }

    func testPermutationPValuesPointTheWayOfTheTrend() throws {
        let xs: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let down = try XCTUnwrap(RankTrend(x: "x", y: "y", xs: xs, ys: [80, 70, 60, 50, 40, 30, 20, 10]))
        XCTAssertEqual(down.rho, -1, accuracy: 1e-12)
        // One ordering in 8! = 40320 is as extreme: about 0.5 of 20000 permutations, so p is near 1/20001.
        XCTAssertLessThan(down.pDecreasing, 5e-4)
        XCTAssertEqual(down.pIncreasing, 1, accuracy: 1e-12)
        let up = try XCTUnwrap(RankTrend(x: "x", y: "y", xs: xs, ys: [10, 30, 20, 40, 60, 50, 80, nil]))
        XCTAssertGreaterThan(up.rho, 0.9)
        XCTAssertLessThan(up.pIncreasing, 0.01)
        XCTAssertGreaterThan(up.pDecreasing, 0.99)
    }

    func testTooFewTrialsOrOneXValueGiveNoTest() {
        XCTAssertNil(RankTrend(x: "x", y: "y", xs: [1, 2], ys: [3, 4]))
        XCTAssertNil(RankTrend(x: "x", y: "y", xs: [1, 1, 1, 1], ys: [3, 4, 5, 6]))
    }
}

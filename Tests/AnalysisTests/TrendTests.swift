// Spearman (with ties), Pearson and the trend verdict against scipy.stats.

import Analysis
import XCTest

final class TrendTests: XCTestCase {
    func testSpearmanWithTiesMatchesScipy() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        let y: [Double] = [2, 1, 4, 4, 3, 7, 6, 6, 6, 12, 10, 11]
        let r = spearman(x, y)
        XCTAssertEqual(r.coefficient!, 0.8995058743597039, accuracy: 1e-13)
        XCTAssertEqual(r.pValue!, 6.804403709392289e-05, accuracy: 1e-12)
        XCTAssertEqual(r.pValueMethod, "t approximation (n-2 dof)")
        let xt: [Double] = [1, 1, 2, 3, 3, 3, 4, 5], yt: [Double] = [5, 6, 6, 4, 3, 3, 2, 2.5]
        let rt = spearman(xt, yt)
        XCTAssertEqual(rt.coefficient!, -0.9007775105401477, accuracy: 1e-13)
        XCTAssertEqual(rt.pValue!, 0.0022640090646742616, accuracy: 1e-12)
        // Exact permutation p (itertools over all 8! orderings of the y-ranks).
        XCTAssertEqual(spearman(xt, yt, exact: true).pValue!, 0.004166666666666667, accuracy: 1e-12)
        let xe: [Double] = [1, 2, 3, 4, 5, 6, 7], ye = [1.5, 1.0, 3.0, 2.5, 5.0, 4.5, 7.0]
        let re = spearman(xe, ye, exact: true)
        XCTAssertEqual(re.coefficient!, 0.8928571428571429, accuracy: 1e-13)
        XCTAssertEqual(re.pValue!, 0.012301587301587301, accuracy: 1e-12)
        XCTAssertEqual(averageRanks([10, 20, 10, 30]), [1.5, 3, 1.5, 4])
        XCTAssertNil(spearman([1, 2, 3], [5, 5, 5]).coefficient)
    }

    func testPearsonMatchesScipy() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        let y: [Double] = [2, 1, 4, 4, 3, 7, 6, 6, 6, 12, 10, 11]
        let r = pearson(x, y)
        XCTAssertEqual(r.coefficient!, 0.910680941861193, accuracy: 1e-13)
        XCTAssertEqual(r.pValue!, 3.8476716666861864e-05, accuracy: 1e-12)
    }

    func testVerdicts() {
        let x: [Double] = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
        let down = x.map { 1e5 * exp(-4 * $0) * (1 + 0.05 * sin(17 * $0)) }
        let v = trend(x: x, y: down, logY: true)
        XCTAssertEqual(v.direction, .decreasing, v.reason)
        XCTAssertEqual(v.spearman.pValueMethod, "exact permutation")
        XCTAssertTrue(v.slope!.interval!.upper < 0)
        XCTAssertEqual(trend(x: x, y: down.reversed(), logY: true).direction, .increasing)
        // No trend: a zig-zag.
        let zig: [Double] = [5, 1, 6, 2, 5.5, 1.5, 5.2]
        XCTAssertEqual(trend(x: x, y: zig).direction, TrendDirection.none)
        // Two points say nothing.
        XCTAssertEqual(trend(x: [1, 2], y: [1, 2]).direction, TrendDirection.none)
    }
}

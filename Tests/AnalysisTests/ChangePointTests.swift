import XCTest
import Analysis

final class ChangePointTests: XCTestCase {
    /// A hinge without noise: the knot is found exactly, with both slopes.
    func testAnExactHingeIsFound() throws {
        let x = (0..<40).map { Double($0) * 0.25 }
        let y = x.map { 2 - 0.5 * $0 + 3 * max(0, $0 - 6.5) }
        let c = try XCTUnwrap(hingeChangePoint(x: x, y: y))
        XCTAssertEqual(c.x, 6.5)
        XCTAssertEqual(c.index, 26)
        XCTAssertEqual(c.slopeBefore, -0.5, accuracy: 1e-9)
        XCTAssertEqual(c.slopeAfter, 2.5, accuracy: 1e-9)
        XCTAssertEqual(c.rss, 0, accuracy: 1e-9)
        XCTAssertGreaterThan(c.lineRSS, 1)
    }

    /// With noise the knot is within a point or two of the true one, and non-finite points are skipped.
    func testANoisyHingeIsFoundNearItsKnot() throws {
        var state: UInt64 = 7
        func noise() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
        let x = (0..<60).map { Double($0) }
        var y = x.map { 10 + 4 * max(0, $0 - 35) + 0.5 * noise() }
        y[5] = .nan
        let c = try XCTUnwrap(hingeChangePoint(x: x, y: y))
        XCTAssertEqual(c.x, 35, accuracy: 2)
        XCTAssertEqual(c.slopeAfter, 4, accuracy: 0.1)
    }

    /// The knot leaves `minimumSide` points on each side; too few points give nil.
    func testTheKnotKeepsPointsOnEachSide() throws {
        let x = (0..<10).map(Double.init)
        let y = x.map { max(0, $0 - 1) }           // the true knot at 1 is too close to the edge
        let c = try XCTUnwrap(hingeChangePoint(x: x, y: y, minimumSide: 3))
        XCTAssertEqual(c.index, 3)
        XCTAssertNil(hingeChangePoint(x: Array(x.prefix(6)), y: Array(y.prefix(6)), minimumSide: 3))
        // A constant (a measure that never moves, such as a softmax collapse of 0 throughout) has no change point.
        XCTAssertNil(hingeChangePoint(x: x, y: x.map { _ in 0 }))
    }
}

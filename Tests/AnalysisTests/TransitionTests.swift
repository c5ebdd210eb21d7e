// The logistic transition fit in log steps recovers a known midpoint and width from noisy accuracy,
// with the plateaus free or pinned, and a falling curve gets a negative width.
import Analysis
import XCTest

final class TransitionTests: XCTestCase {
    func testLogisticInLogStepsRecoversMidpointAndWidth() throws {
        var noise = Normal(seed: 11)
        let L = (0..<61).map { 2 + 3 * Double($0) / 60 }          // 10^2 ... 10^5 steps
        let steps = L.map { pow(10, $0) }
        let truth = (lo: 0.01, hi: 0.99, mid: 3.5, width: 0.12)
        let acc = L.map { truth.lo + (truth.hi - truth.lo) / (1 + exp(-($0 - truth.mid) / truth.width)) + 0.02 * noise.next() }
        let t = try fitTransition(steps: [0] + steps, accuracy: [0.01] + acc)
        XCTAssertTrue(t.fit.converged, t.fit.stopReason)
        XCTAssertEqual(t.droppedPoints, 1, "step 0 has no log10")
        let mid = t.fit["mid"]!, width = t.width
        XCTAssertEqual(mid.estimate, truth.mid, accuracy: 3 * mid.standardError!)
        XCTAssertEqual(mid.estimate, truth.mid, accuracy: 0.02)
        XCTAssertEqual(width.estimate, truth.width, accuracy: 3 * width.standardError!)
        XCTAssertTrue(mid.interval!.contains(truth.mid))
        XCTAssertTrue(width.interval!.contains(truth.width))
        XCTAssertEqual(t.midpointSteps, pow(10, 3.5), accuracy: 0.05 * pow(10, 3.5))
        XCTAssertTrue(t.midpointInterval!.contains(pow(10, truth.mid)))
        XCTAssertTrue(t.midpointInterval!.method.contains("back-transformed"))
        XCTAssertEqual(t.riseDecades, 2 * log(9) * width.estimate, accuracy: 1e-12)
        XCTAssertEqual(t.fit.residualSD!, 0.02, accuracy: 0.005)
        // With the plateaus pinned the fit has two parameters and still finds the midpoint.
        let pinned = try fitTransition(steps: steps, accuracy: acc, fixLower: 0.01, fixUpper: 0.99)
        XCTAssertEqual(pinned.fit.parameters.map { $0.name }, ["mid", "width"])
        XCTAssertEqual(pinned.fit["mid"]!.estimate, truth.mid, accuracy: 0.02)
        // A falling curve (loss-like) gets a negative width.
        let falling = try fitTransition(steps: steps, accuracy: acc.map { 1 - $0 })
        XCTAssertLessThan(falling.width.estimate, 0)
        XCTAssertEqual(falling.fit["mid"]!.estimate, truth.mid, accuracy: 0.02)
    }
}

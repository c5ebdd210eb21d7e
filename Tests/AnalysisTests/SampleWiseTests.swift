// Sample-wise measures on curves with a known rise: where more data hurts, by how much, the interpolation
// limit, the recovery, and a curve that never rises.
import Analysis
import XCTest

final class SampleWiseTests: XCTestCase {
    func testLargestRiseIsTheBiggestLaterMinusEarlier() {
        XCTAssertNil(largestRise([0.5]))
        XCTAssertNil(largestRise([0.5, 0.4, 0.4, 0.1]), "never rises")
        // The biggest rise starts at the lowest point before the top, not at the nearest dip.
        let r = largestRise([0.5, 0.2, 0.3, 0.25, 0.6, 0.1, 0.15])!
        XCTAssertEqual(r.start, 1)
        XCTAssertEqual(r.top, 4)
        XCTAssertEqual(r.rise, 0.4, accuracy: 1e-12)
        // Ties keep the first pair.
        let t = largestRise([0.1, 0.3, 0.1, 0.3])!
        XCTAssertEqual([t.start, t.top], [0, 1])
    }

    /// n = 10, 20, ..., 100: test error 0.3 falling to 0.2 at n = 30, up to 0.6 at n = 60, down to 0.1 at 100;
    /// train error 0 up to n = 60, then positive. Seeds: ±d around the mean (their mean is exact).
    func curve(_ d: Double) -> [SizeErrors] {
        let test = [0.3, 0.25, 0.2, 0.35, 0.5, 0.6, 0.3, 0.2, 0.15, 0.1]
        let train = [0, 0, 0, 0, 0, 0, 0.05, 0.1, 0.15, 0.2]
        return (0..<10).map { i in SizeErrors(size: Double(10 * (i + 1)), testErrors: [test[i] - d, test[i], test[i] + d], trainErrors: [train[i], train[i], train[i]]) }
    }

    func testKnownStretchLimitAndRecovery() throws {
        let m = try sampleWiseMeasures(curve(0.01), seed: 3, resamples: 500)
        XCTAssertEqual(m.lastInterpolated, 60)
        XCTAssertEqual(m.firstNotInterpolated, 70)
        XCTAssertEqual(m.stretchStart, 30)
        XCTAssertEqual(m.stretchTop, 60)
        XCTAssertEqual(m.rise, 0.4, accuracy: 1e-12)
        XCTAssertEqual(m.dataRatio!, 2, accuracy: 1e-12)
        XCTAssertEqual(m.recoverySize, 80, "the first n after the top with error ≤ 0.2")
        XCTAssertEqual(m.recoveryRatio!, 80.0 / 30.0, accuracy: 1e-12)
        // Each replicate's largest rise lies within [0.4 − 2d, 0.4 + 2d], so does the interval; every replicate rises.
        let i = try XCTUnwrap(m.riseInterval)
        XCTAssertGreaterThanOrEqual(i.lower, 0.38 - 1e-12)
        XCTAssertLessThanOrEqual(i.upper, 0.42 + 1e-12)
        XCTAssertTrue(i.contains(0.4))
        XCTAssertEqual(m.replicatesWithRise, 500)
        XCTAssertEqual(m.stretchTopInterval.map { [$0.lower, $0.upper] }, [60, 60])
        // Identical seeds: the bootstrap has nothing to resample and the interval is the point.
        let exact = try sampleWiseMeasures(curve(0), seed: 3, resamples: 200)
        XCTAssertEqual(exact.riseInterval!.lower, 0.4, accuracy: 1e-12)
        XCTAssertEqual(exact.riseInterval!.upper, 0.4, accuracy: 1e-12)
    }

    func testAMonotoneCurveHasNoStretch() throws {
        let data = (1...6).map { n in SizeErrors(size: Double(n * 100), testErrors: [0.6 / Double(n), 0.6 / Double(n)], trainErrors: [0, 0]) }
        let m = try sampleWiseMeasures(data, seed: 1, resamples: 100)
        XCTAssertNil(m.stretchStart)
        XCTAssertEqual(m.rise, 0)
        XCTAssertEqual(m.replicatesWithRise, 0)
        XCTAssertEqual(m.riseInterval!.upper, 0)
        XCTAssertNil(m.firstNotInterpolated, "every size fits")
        XCTAssertTrue(m.notes.contains { $0.contains("never rises") }, "\(m.notes)")
        XCTAssertThrowsError(try sampleWiseMeasures([data[0]]))
    }
}

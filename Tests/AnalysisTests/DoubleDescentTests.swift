// Double-descent measures on a synthetic sweep with a known peak, threshold and minima.

import Analysis
import XCTest

final class DoubleDescentTests: XCTestCase {
    /// Sizes 1...20; mean test error 0.45 - 0.02 s + 0.5 exp(-(s - 10)²/3): a classical minimum at s = 6
    /// (0.3324), a peak at s = 10 (0.75), far right 0.05 at s = 20; train error max(0, 0.5 - 0.05 s)
    /// is 0.1 at s = 8 (≤ 0.12; 0.15 at s = 7) and 0 from s = 10.
    func sweep(seeds: Int, noise: Double, seed: UInt64) -> [SizeErrors] {
        var n = Normal(seed: seed)
        return (1...20).map { s in
            let size = Double(s)
            let test = 0.45 - 0.02 * size + 0.5 * exp(-(size - 10) * (size - 10) / 3)
            let train = max(0, 0.5 - 0.05 * size)
            return SizeErrors(size: size, testErrors: (0..<seeds).map { _ in test + noise * n.next() },
                              trainErrors: (0..<seeds).map { _ in max(0, train + (train > 0 ? 0.005 * n.next() : 0)) })
        }
    }

    func testKnownPeakThresholdAndRatios() throws {
        let data = sweep(seeds: 5, noise: 0.01, seed: 21)
        let d = try doubleDescentMeasures(data, epsilons: [0, 0.12], seed: 7, resamples: 1000)
        XCTAssertEqual(d.thresholds.map { $0.size }, [10, 8])
        XCTAssertEqual(d.peakSize, 10)
        XCTAssertTrue(d.peakIsInterior)
        XCTAssertEqual(d.peakHeight, 0.75, accuracy: 0.02)
        XCTAssertTrue(d.peakSizeInterval!.contains(10))
        XCTAssertEqual(d.peakSizeInterval!.method, "bootstrap-percentile (inverse CDF)")
        XCTAssertLessThanOrEqual(d.peakSizeInterval!.width, 1, "a 0.5 bump over 0.01 noise pins the peak")
        XCTAssertTrue(d.peakHeightInterval!.contains(d.peakHeight))
        XCTAssertEqual(d.classicalMinimumSize!, 6, accuracy: 1)
        XCTAssertEqual(d.classicalMinimum!, 0.3324, accuracy: 0.015)
        XCTAssertEqual(d.farRightSize, 20)
        XCTAssertEqual(d.farRight, 0.05, accuracy: 0.015)
        let trueRatio = 0.75 / 0.3324
        XCTAssertEqual(d.peakOverClassicalMinimum!, trueRatio, accuracy: 0.15)
        XCTAssertTrue(d.peakOverClassicalMinimumInterval!.contains(d.peakOverClassicalMinimum!))
        XCTAssertTrue(d.peakOverFarRightInterval!.contains(d.peakOverFarRight!))
        XCTAssertEqual(d.peakOverFarRight!, 15, accuracy: 5)
        XCTAssertGreaterThan(d.peakOverFarRightInterval!.lower, 8)
        XCTAssertEqual(d.undefinedReplicates["peakOverClassicalMinimum"], 0)
        XCTAssertNoThrow(try JSONEncoder().encode(d))
        // Same seed, same intervals; paired resampling is honoured when counts match.
        let again = try doubleDescentMeasures(data, seed: 7, resamples: 1000)
        XCTAssertEqual(again.peakHeightInterval, d.peakHeightInterval)
        let paired = try doubleDescentMeasures(data, seed: 7, resamples: 1000, resampling: .paired)
        XCTAssertEqual(paired.resampling, .paired)
        XCTAssertTrue(paired.peakSizeInterval!.contains(10))
    }

    func testNoisyPeakGetsAWiderInterval() throws {
        let quiet = try doubleDescentMeasures(sweep(seeds: 4, noise: 0.01, seed: 1), seed: 3, resamples: 800)
        let loud = try doubleDescentMeasures(sweep(seeds: 4, noise: 0.25, seed: 1), seed: 3, resamples: 800)
        XCTAssertGreaterThan(loud.peakHeightInterval!.width, 5 * quiet.peakHeightInterval!.width)
    }

    func testMonotoneCurveHasNoInteriorPeak() throws {
        let data = (1...8).map { s in SizeErrors(size: Double(s), testErrors: [1 / Double(s), 1.1 / Double(s)], trainErrors: [0]) }
        let d = try doubleDescentMeasures(data, seed: 1, resamples: 200)
        XCTAssertFalse(d.peakIsInterior)
        XCTAssertEqual(d.peakSize, 1)
        XCTAssertNil(d.classicalMinimum)
        XCTAssertNil(d.peakOverClassicalMinimum)
        XCTAssertEqual(d.undefinedReplicates["peakOverClassicalMinimum"], 200)
        XCTAssertEqual(d.thresholds.first?.size, 1)
        XCTAssertThrowsError(try doubleDescentMeasures([data[0]]))
    }
}

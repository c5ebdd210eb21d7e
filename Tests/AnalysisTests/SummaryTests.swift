// Summaries across seeds: t-interval and quantiles against scipy/numpy, small-n behaviour, bootstrap
// reproducibility and the BCa formula against an independent numpy computation.

import Analysis
import XCTest

final class SummaryTests: XCTestCase {
    let x = [2.3, 4.1, 3.3, 5.9, 4.4]

    func testMeanTIntervalAndQuantilesMatchScipy() {
        let s = summarize(x)
        XCTAssertEqual(s.n, 5)
        XCTAssertEqual(s.values, x)
        XCTAssertEqual(s.mean!, 4.0, accuracy: 1e-14)
        XCTAssertEqual(s.sd!, 1.3379088160259653, accuracy: 1e-13)
        XCTAssertEqual(s.se!, 1.3379088160259653 / 5.0.squareRoot(), accuracy: 1e-13)
        // scipy.stats.t.ppf(0.975, 4)
        XCTAssertEqual(s.meanInterval!.lower, 2.3387667902611358, accuracy: 1e-10)
        XCTAssertEqual(s.meanInterval!.upper, 5.661233209738864, accuracy: 1e-10)
        XCTAssertEqual(s.meanInterval!.method, "t")
        XCTAssertEqual(s.meanInterval!.level, 0.95)
        // numpy.quantile (linear, type 7)
        let q = s.quantiles.map { $0.value }
        for (a, b) in zip(q, [2.7, 3.3, 4.1, 4.4, 5.3]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(s.median, 4.1)
        XCTAssertEqual(s.min, 2.3)
        XCTAssertEqual(s.max, 5.9)
        let s90 = summarize(x, level: 0.90)
        XCTAssertEqual(s90.meanInterval!.lower, 2.7244499547673895, accuracy: 1e-10)
        XCTAssertEqual(s90.meanInterval!.upper, 5.27555004523261, accuracy: 1e-10)
    }

    func testSmallSamples() throws {
        let s0 = summarize([])
        XCTAssertEqual(s0.n, 0)
        XCTAssertNil(s0.mean)
        XCTAssertNil(s0.median)
        XCTAssertTrue(s0.quantiles.isEmpty)
        let s1 = summarize([7])
        XCTAssertEqual(s1.mean, 7)
        XCTAssertEqual(s1.median, 7)
        XCTAssertNil(s1.sd)
        XCTAssertNil(s1.meanInterval)
        XCTAssertNil(s1.medianPercentileInterval)
        let s2 = summarize([1, 2])
        // scipy.stats.t.interval(0.95, 1, loc=1.5, scale=0.5)
        XCTAssertEqual(s2.meanInterval!.lower, -4.853102368087347, accuracy: 1e-9)
        XCTAssertEqual(s2.meanInterval!.upper, 7.853102368087347, accuracy: 1e-9)
        XCTAssertNil(s2.medianPercentileInterval, "no bootstrap below n = 3")
        // NaN values are dropped and counted; nothing NaN is encoded.
        let s3 = summarize([1, .nan, 3, .infinity, 2])
        XCTAssertEqual(s3.n, 3)
        XCTAssertEqual(s3.nonFiniteDropped, 2)
        for s in [s0, s1, s2, s3] { XCTAssertNoThrow(try JSONEncoder().encode(s)) }
    }

    func testBootstrapReproducibleUnderSeed() {
        let data = [12.0, 15, 9, 22, 17, 14, 30, 11, 13, 16]
        let a = summarize(data, seed: 42, resamples: 2000)
        let b = summarize(data, seed: 42, resamples: 2000)
        let c = summarize(data, seed: 43, resamples: 2000)
        XCTAssertEqual(a.medianPercentileInterval, b.medianPercentileInterval)
        XCTAssertEqual(a.medianBCaInterval, b.medianBCaInterval)
        XCTAssertNotEqual(a.medianPercentileInterval, c.medianPercentileInterval)
        XCTAssertEqual(a.medianPercentileInterval?.method, "bootstrap-percentile")
        XCTAssertEqual(a.medianBCaInterval?.method, "bootstrap-BCa")
        XCTAssertTrue(a.medianPercentileInterval!.contains(a.median!))
        XCTAssertTrue(a.medianBCaInterval!.contains(a.median!))
        XCTAssertEqual(a.bootstrapSeed, 42)
        // The generator itself: fixed seed, fixed stream; indices in range and roughly uniform.
        var r1 = BootstrapRNG(seed: 7), r2 = BootstrapRNG(seed: 7)
        XCTAssertEqual((0..<5).map { _ in r1.next() }, (0..<5).map { _ in r2.next() })
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60000 { counts[r1.index(below: 6)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10000) < 400 }, "\(counts)")
    }

    func testBCaFormulaMatchesIndependentComputation() {
        // Same replicates and jackknife values as the numpy reference (formula in Bootstrap.swift).
        let reps = (0..<999).map { b -> Double in
            sin(0.37 * Double(b)) * exp(0.01 * Double(b % 17)) + 0.05 * Double(b % 5)
        }
        let jack = (0..<12).map { i -> Double in 0.1 * Double(i) - 0.002 * Double(i * i * i) / 10 }
        let r = bootstrapIntervals(estimate: 0.12, replicates: reps, jackknife: jack, level: 0.95, seed: 0, resamples: 999)
        XCTAssertEqual(r.bca!.lower, -1.0686233067566435, accuracy: 1e-9)
        XCTAssertEqual(r.bca!.upper, 1.1927807419063208, accuracy: 1e-9)
        XCTAssertEqual(r.percentile!.lower, -1.0737487808750965, accuracy: 1e-12)
        XCTAssertEqual(r.percentile!.upper, 1.1877773613494487, accuracy: 1e-12)
    }

    func testBootstrapOfMeanAgreesWithTIntervalOnLargeNormalSample() {
        // For n = 200 normal draws the bootstrap distribution of the mean is close to normal: percentile
        // and BCa intervals must agree with the t-interval to a few percent of its width.
        var normal = Normal(seed: 99)
        let data = (0..<200).map { _ in 10 + 2 * normal.next() }
        let t = summarize(data).meanInterval!
        let b = bootstrap(data, seed: 5, resamples: 4000) { $0.reduce(0, +) / Double($0.count) }
        for iv in [b.percentile!, b.bca!] {
            XCTAssertEqual(iv.lower, t.lower, accuracy: 0.06 * t.width, "\(iv) vs \(t)")
            XCTAssertEqual(iv.upper, t.upper, accuracy: 0.06 * t.width, "\(iv) vs \(t)")
        }
    }
}

// Summaries across seeds: mean with a t-interval, median with bootstrap intervals, quantiles, every value.
//
// Formulas (n finite values x_1..x_n):
//   mean  x̄ = Σx/n;  sd s = sqrt(Σ(x - x̄)²/(n-1))  (n ≥ 2);  se = s/√n
//   t-interval: x̄ ± t_{(1+level)/2, n-1} · se, with t from gsl_cdf_tdist_Pinv (n ≥ 2)
//   quantiles: gsl_stats_quantile_from_sorted_data, linear interpolation between order statistics
//     (Hyndman-Fan type 7, numpy's default): q(p) = x_(⌊h⌋) + (h - ⌊h⌋)(x_(⌊h⌋+1) - x_(⌊h⌋)), h = (n-1)p
//   median: the 0.5 quantile; bootstrap intervals of the median when n ≥ 3 (see `bootstrap`).

import CGSL
import Foundation

/// One quantile of a sample: the value at probability `p` (type 7).
public struct Quantile: Codable, Sendable, Equatable {
    public var p: Double
    public var value: Double
}

/// A summary of one configuration's values across seeds. Every field that is undefined for small n is
/// nil: sd, se and the t-interval need n ≥ 2; bootstrap intervals need n ≥ 3.
public struct Summary: Codable, Sendable {
    /// Number of finite values summarized.
    public var n: Int
    /// The finite values, in the order given (so reports can show every seed when n is small).
    public var values: [Double]
    /// Values dropped because they were NaN or infinite (e.g. a diverged run).
    public var nonFiniteDropped: Int
    public var mean: Double?
    /// Sample standard deviation (n - 1 denominator).
    public var sd: Double?
    /// Standard error of the mean, sd/√n.
    public var se: Double?
    /// Student t interval for the mean (method "t").
    public var meanInterval: Interval?
    public var median: Double?
    /// Bootstrap interval for the median, percentile method.
    public var medianPercentileInterval: Interval?
    /// Bootstrap interval for the median, BCa method (nil when BCa is undefined, e.g. every resample
    /// median on one side of the sample median).
    public var medianBCaInterval: Interval?
    public var quantiles: [Quantile]
    public var min: Double?
    public var max: Double?
    /// Seed and resample count of the bootstrap (nil when no bootstrap was run).
    public var bootstrapSeed: UInt64?
    public var bootstrapResamples: Int?
}

/// Summarizes values across seeds (see the file header for every formula).
///
/// - Parameters:
///   - level: confidence level of every interval (default 0.95).
///   - seed, resamples: the median's bootstrap; the same seed gives the same intervals on any machine.
///   - quantiles: probabilities at which to report type-7 quantiles.
public func summarize(_ values: [Double], level: Double = 0.95, seed: UInt64 = 1, resamples: Int = 4000,
                      quantiles ps: [Double] = [0.1, 0.25, 0.5, 0.75, 0.9]) -> Summary {
    Analysis.setUp()
    let x = values.filter { $0.isFinite }
    let n = x.count
    var s = Summary(n: n, values: x, nonFiniteDropped: values.count - n, mean: nil, sd: nil, se: nil,
                    meanInterval: nil, median: nil, medianPercentileInterval: nil, medianBCaInterval: nil,
                    quantiles: [], min: nil, max: nil, bootstrapSeed: nil, bootstrapResamples: nil)
    guard n > 0 else { return s }
    let sorted = x.sorted()
    s.min = sorted.first
    s.max = sorted.last
    s.mean = x.withUnsafeBufferPointer { gsl_stats_mean($0.baseAddress, 1, n) }
    s.median = quantileSorted(sorted, 0.5)
    s.quantiles = ps.filter { $0 >= 0 && $0 <= 1 }.map { Quantile(p: $0, value: quantileSorted(sorted, $0)) }
    if n >= 2 {
        let sd = x.withUnsafeBufferPointer { gsl_stats_sd_m($0.baseAddress, 1, n, s.mean!) }
        s.sd = sd
        s.se = sd / Double(n).squareRoot()
        let t = tQuantile(level: level, dof: Double(n - 1))
        s.meanInterval = Interval.make(s.mean! - t * s.se!, s.mean! + t * s.se!, level: level, method: "t")
    }
    if n >= 3, resamples > 0 {
        let b = bootstrap(x, level: level, seed: seed, resamples: resamples, statistic: medianOf)
        s.medianPercentileInterval = b.percentile
        s.medianBCaInterval = b.bca
        s.bootstrapSeed = seed
        s.bootstrapResamples = resamples
    }
    return s
}

/// Type-7 quantile of sorted data (gsl_stats_quantile_from_sorted_data); `sorted` must be non-empty.
public func quantileSorted(_ sorted: [Double], _ p: Double) -> Double {
    Analysis.setUp()
    precondition(!sorted.isEmpty, "quantile of an empty sample")
    return sorted.withUnsafeBufferPointer { gsl_stats_quantile_from_sorted_data($0.baseAddress, 1, sorted.count, p) }
}

/// The median (type-7 0.5 quantile); NaN for an empty array (callers guard).
public func medianOf(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : quantileSorted(values.sorted(), 0.5)
}

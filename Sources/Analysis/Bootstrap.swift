// Bootstrap: seeded resampling, percentile and BCa intervals.
//
// Resampling draws n indices uniformly with replacement, B times, from `BootstrapRNG` (xoshiro256**
// seeded through SplitMix64; indices by Lemire's unbiased multiply-shift with rejection), so a seed gives
// the same replicates on every machine and every run.
//
// Percentile interval: the type-7 quantiles (α/2, 1-α/2) of the B replicates θ*_b, α = 1 - level.
// BCa interval (Efron 1987; Efron and Tibshirani 1993, ch. 14), the formulas scipy.stats.bootstrap uses:
//   z0 = Φ⁻¹( (#{θ*_b < θ̂} + #{θ*_b ≤ θ̂}) / (2B) )                 bias correction, ties count one half
//   a  = Σ(θ̄_(·) - θ_(i))³ / (6 [Σ(θ̄_(·) - θ_(i))²]^{3/2})          acceleration from the jackknife θ_(i)
//   α_k = Φ( z0 + (z0 + z_k) / (1 - a (z0 + z_k)) ),  z_k = Φ⁻¹(α/2), Φ⁻¹(1 - α/2)
//   interval: type-7 quantiles (α_1, α_2) of the replicates.
// BCa is undefined (nil) when z0 is infinite (every replicate on one side of θ̂) or the adjusted levels
// leave (0, 1).

import CGSL
import Foundation

/// Deterministic generator for resampling: xoshiro256** (Blackman and Vigna) seeded by SplitMix64.
/// The same generator as Linalg.RNG (xoshiro256** seeded through SplitMix64), kept here because this
/// module cannot import Linalg: OpenBLAS's cblas.h (through Linalg) and GSL's gsl_cblas.h declare the
/// same enums differently, and Clang refuses both in one module.
public struct BootstrapRNG: Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(&x), splitMix(&x), splitMix(&x), splitMix(&x))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform integer in 0..<n (n > 0), unbiased (Lemire 2019).
    public mutating func index(below n: Int) -> Int {
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }
}

/// A bootstrap of one statistic: the estimate on the data, the replicates' spread and both intervals.
public struct BootstrapResult: Codable, Sendable {
    /// The statistic on the original data.
    public var estimate: Double
    public var seed: UInt64
    public var resamples: Int
    /// Standard deviation of the replicates (the bootstrap standard error).
    public var standardError: Double?
    /// Interval "bootstrap-percentile".
    public var percentile: Interval?
    /// Interval "bootstrap-BCa" (nil where BCa is undefined; see the file header).
    public var bca: Interval?
}

/// Bootstraps `statistic` over `values` (B = `resamples` resamples of size n with replacement) and
/// returns the percentile and BCa intervals at `level`. Needs n ≥ 2 for anything but the estimate.
public func bootstrap(_ values: [Double], level: Double = 0.95, seed: UInt64, resamples: Int = 4000,
                      statistic: ([Double]) -> Double) -> BootstrapResult {
    Analysis.setUp()
    let n = values.count
    let estimate = statistic(values)
    let result = BootstrapResult(estimate: estimate, seed: seed, resamples: resamples,
                                 standardError: nil, percentile: nil, bca: nil)
    guard n >= 2, resamples >= 2 else { return result }
    var rng = BootstrapRNG(seed: seed)
    var sample = [Double](repeating: 0, count: n)
    var replicates = [Double]()
    replicates.reserveCapacity(resamples)
    for _ in 0..<resamples {
        for i in 0..<n { sample[i] = values[rng.index(below: n)] }
        let t = statistic(sample)
        if t.isFinite { replicates.append(t) }
    }
    var jackknife = [Double]()
    jackknife.reserveCapacity(n)
    for i in 0..<n {
        var loo = values
        loo.remove(at: i)
        jackknife.append(statistic(loo))
    }
    return bootstrapIntervals(estimate: estimate, replicates: replicates, jackknife: jackknife,
                              level: level, seed: seed, resamples: resamples)
}

/// Percentile and BCa intervals from given replicates and jackknife values (the formulas in the file
/// header); `bootstrap` calls it, and tests compare it with an independent computation.
public func bootstrapIntervals(estimate: Double, replicates: [Double], jackknife: [Double], level: Double,
                               seed: UInt64, resamples: Int) -> BootstrapResult {
    Analysis.setUp()
    var result = BootstrapResult(estimate: estimate, seed: seed, resamples: resamples,
                                 standardError: nil, percentile: nil, bca: nil)
    let b = replicates.count
    guard b >= 2, estimate.isFinite else { return result }
    let sorted = replicates.sorted()
    let alpha = 1 - level
    result.standardError = finite(sorted.withUnsafeBufferPointer { gsl_stats_sd($0.baseAddress, 1, b) })
    result.percentile = Interval.make(quantileSorted(sorted, alpha / 2), quantileSorted(sorted, 1 - alpha / 2),
                                      level: level, method: "bootstrap-percentile")
    // BCa
    let below = sorted.reduce(0) { $0 + ($1 < estimate ? 1 : 0) }
    let atOrBelow = sorted.reduce(0) { $0 + ($1 <= estimate ? 1 : 0) }
    let z0 = gsl_cdf_ugaussian_Pinv(Double(below + atOrBelow) / Double(2 * b))
    guard z0.isFinite, jackknife.allSatisfy({ $0.isFinite }), !jackknife.isEmpty else { return result }
    let jmean = jackknife.reduce(0, +) / Double(jackknife.count)
    var num = 0.0, den = 0.0
    for v in jackknife {
        let d = jmean - v
        num += d * d * d
        den += d * d
    }
    let a = den > 0 ? num / (6 * pow(den, 1.5)) : 0
    func adjusted(_ z: Double) -> Double {
        gsl_cdf_ugaussian_P(z0 + (z0 + z) / (1 - a * (z0 + z)))
    }
    let a1 = adjusted(gsl_cdf_ugaussian_Pinv(alpha / 2))
    let a2 = adjusted(gsl_cdf_ugaussian_Pinv(1 - alpha / 2))
    guard a1.isFinite, a2.isFinite, a1 >= 0, a2 <= 1, a1 < a2 else { return result }
    result.bca = Interval.make(quantileSorted(sorted, a1), quantileSorted(sorted, a2), level: level,
                               method: "bootstrap-BCa")
    return result
}

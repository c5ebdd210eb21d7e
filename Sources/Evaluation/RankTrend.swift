// The rank trend of a study: Spearman's ρ between a key and an outcome over trials, with one-sided
// permutation p-values. The trend expectation and `descent stats` both compute it here, so they print
// the same ρ and p for the same trials.
//
// Censoring. For an event step, a trial that never reached the event is ranked above every trial that
// did (its step exceeds its budget): the right order for a rank statistic, and the budget is never
// averaged in as a step. This is the "censored trials ranked last" variant. The trend verdict of a
// sweep (`SweepStatistics.trend`: Spearman and the least-squares slope of log10 step, which must
// agree) leaves censored trials out instead; every place that prints either names its variant.
import Analysis
import Foundation
import Linalg

public struct RankTrend: Codable, Sendable, Equatable {
    public static let variant = "censored trials ranked last"
    public static let method = "Spearman's rho (average ranks for ties) with one-sided permutation p-values (20000 seeded permutations, (extreme + 1)/(20000 + 1)); trials that never reached the event ranked above every trial that did"

    public var x: String
    public var y: String
    /// `RankTrend.variant`: how trials without the event enter.
    public var variant: String
    public var method: String
    /// Trials counted, censored ones included.
    public var n: Int
    /// Trials that never reached the event (ranked last).
    public var censored: Int
    public var rho: Double
    /// P(ρ of a permutation ≤ the observed ρ): small when y decreases with x.
    public var pDecreasing: Double
    /// P(ρ of a permutation ≥ the observed ρ): small when y increases with x.
    public var pIncreasing: Double

    /// ρ between `xs` and `ys` (nil: censored, ranked last) with both one-sided permutation p-values;
    /// nil with fewer than 3 trials or fewer than 2 distinct x values.
    public init?(x: String, y: String, xs: [Double], ys: [Double?]) {
        precondition(xs.count == ys.count, "RankTrend: x and y differ in length")
        guard xs.count >= 3, Set(xs).count >= 2 else { return nil }
        let values = ys.map { $0 ?? .infinity }
        let rho = RankTrend.spearman(xs, values)
        var rng = RNG(seed: 20_231)
        var perm = values
        var low = 0, high = 0
        let n = 20_000
        for _ in 0..<n {
            rng.shuffle(&perm)
            let rp = RankTrend.spearman(xs, perm)
            if rp <= rho + 1e-12 { low += 1 }
            if rp >= rho - 1e-12 { high += 1 }
        }
        self.x = x
        self.y = y
        variant = RankTrend.variant
        method = RankTrend.method
        self.n = xs.count
        censored = ys.filter { $0 == nil }.count
        self.rho = rho
        pDecreasing = Double(low + 1) / Double(n + 1)
        pIncreasing = Double(high + 1) / Double(n + 1)
    }

    /// The test in one sentence, naming its variant, as the report and `descent stats` print it.
    public var sentence: String {
        String(format: "Rank trend (%@, the test of a trend expectation): Spearman ρ(%@, %@) = %.3f over %d trials (%d censored); one-sided permutation p = %.4f for decreasing, %.4f for increasing",
               variant, x, y, rho, n, censored, pDecreasing, pIncreasing)
    }

    /// Spearman's rank correlation: Pearson's r of the average ranks (0 when either is constant).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        let rx = averageRanks(x), ry = averageRanks(y)
        let n = Double(x.count)
        let mx = rx.reduce(0, +) / n, my = ry.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - my) * (ry[i] - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}

// Trends: Spearman and Pearson correlation with p-values, the fitted slope with its interval, and a verdict
// that says "increasing" or "decreasing" only when both agree at the stated confidence level.
//
// Spearman's ρ: Pearson's r of the ranks, ties given their average rank (scipy.stats.spearmanr).
// p-values (two-sided, H0: no association):
//   t approximation: t = r sqrt((n - 2)/(1 - r²)), p = 2 Q_t(|t|; n - 2) (gsl_cdf_tdist_Q), as scipy;
//   exact permutation (Spearman, n ≤ 9): the fraction of the n! orderings of the y-ranks whose |ρ| is at
//   least the observed |ρ| (ties kept as average ranks).

import CGSL
import Foundation

/// Average ranks (1-based); tied values share the mean of the ranks they span.
public func averageRanks(_ v: [Double]) -> [Double] {
    let order = v.indices.sorted { v[$0] < v[$1] }
    var ranks = [Double](repeating: 0, count: v.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count, v[order[j + 1]] == v[order[i]] { j += 1 }
        let r = Double(i + j) / 2 + 1
        for k in i...j { ranks[order[k]] = r }
        i = j + 1
    }
    return ranks
}

/// A correlation coefficient with its two-sided p-value.
public struct Correlation: Codable, Sendable {
    /// "spearman" or "pearson".
    public var method: String
    public var n: Int
    /// Nil when undefined (n < 2, or x or y constant).
    public var coefficient: Double?
    public var pValue: Double?
    /// "t approximation (n-2 dof)" or "exact permutation".
    public var pValueMethod: String
}

private func pearsonR(_ x: [Double], _ y: [Double]) -> Double? {
    let n = x.count
    guard n >= 2 else { return nil }
    let r = x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
        gsl_stats_correlation(xp.baseAddress, 1, yp.baseAddress, 1, n) } }
    return r.isFinite ? max(-1, min(1, r)) : nil
}

private func tPValue(_ r: Double, n: Int) -> Double? {
    guard n > 2 else { return nil }
    if abs(r) >= 1 { return 0 }
    let t = r * (Double(n - 2) / (1 - r * r)).squareRoot()
    return finite(2 * gsl_cdf_tdist_Q(abs(t), Double(n - 2)))
}

/// Pearson's r (gsl_stats_correlation) with the t-approximation p-value.
public func pearson(_ x: [Double], _ y: [Double]) -> Correlation {
    Analysis.setUp()
    precondition(x.count == y.count, "pearson: x and y differ in length")
    let r = pearsonR(x, y)
    return Correlation(method: "pearson", n: x.count, coefficient: r, pValue: r.flatMap { tPValue($0, n: x.count) },
                       pValueMethod: "t approximation (n-2 dof)")
}

/// Spearman's ρ with a two-sided p-value: exact permutation when `exact` and n ≤ 9, else the
/// t approximation (scipy's default).
public func spearman(_ x: [Double], _ y: [Double], exact: Bool = false) -> Correlation {
    Analysis.setUp()
    precondition(x.count == y.count, "spearman: x and y differ in length")
    let n = x.count
    let rx = averageRanks(x), ry = averageRanks(y)
    guard let rho = pearsonR(rx, ry) else {
        return Correlation(method: "spearman", n: n, coefficient: nil, pValue: nil, pValueMethod: "undefined")
    }
    if exact, n >= 2, n <= 9 {
        var perm = ry
        var count = 0, total = 0
        let target = abs(rho) - 1e-12
        // Heap's algorithm over all n! orderings of the y-ranks.
        var c = [Int](repeating: 0, count: n)
        func visit() {
            total += 1
            if let r = pearsonR(rx, perm), abs(r) >= target { count += 1 }
        }
        visit()
        var i = 0
        while i < n {
            if c[i] < i {
                if i % 2 == 0 { perm.swapAt(0, i) } else { perm.swapAt(c[i], i) }
                visit()
                c[i] += 1
                i = 0
            } else {
                c[i] = 0
                i += 1
            }
        }
        return Correlation(method: "spearman", n: n, coefficient: rho, pValue: Double(count) / Double(total),
                           pValueMethod: "exact permutation")
    }
    return Correlation(method: "spearman", n: n, coefficient: rho, pValue: tPValue(rho, n: n),
                       pValueMethod: "t approximation (n-2 dof)")
}

/// Direction of a trend supported by the data.
public enum TrendDirection: String, Codable, Sendable {
    case increasing, decreasing
    /// Not supported at the stated level (or the tests disagree).
    case none
}

/// A trend verdict: Spearman's test and the least-squares slope must agree at the level.
public struct TrendVerdict: Codable, Sendable {
    public var direction: TrendDirection
    public var level: Double
    public var n: Int
    public var spearman: Correlation
    /// Slope of y' on x' (y' = log10 y when `logY`, x' = log10 x when `logX`), interval "covariance-t".
    public var slope: FittedParameter?
    public var xScale: String
    public var yScale: String
    /// Why, in words (what passed, what did not).
    public var reason: String
}

/// Decides whether y increases or decreases with x at confidence `level` (α = 1 - level):
/// "increasing" when Spearman's ρ > 0 with p < α (exact permutation p for n ≤ 9, t approximation above)
/// and the fitted slope's t-interval lies above 0; "decreasing" symmetrically; otherwise "none".
/// Non-finite points (and, on a log scale, points ≤ 0) are dropped.
public func trend(x: [Double], y: [Double], level: Double = 0.95, logX: Bool = false, logY: Bool = false) -> TrendVerdict {
    Analysis.setUp()
    precondition(x.count == y.count, "trend: x and y differ in length")
    var xs = [Double](), ys = [Double]()
    for (a, b) in zip(x, y) where a.isFinite && b.isFinite && (!logX || a > 0) && (!logY || b > 0) {
        xs.append(logX ? log10(a) : a)
        ys.append(logY ? log10(b) : b)
    }
    let n = xs.count
    let rho = spearman(xs, ys, exact: n <= 9)
    var slope: FittedParameter? = nil
    if n >= 3, let fit = try? fitLinear(x: xs, y: ys, level: level) { slope = fit["slope"] }
    let alpha = 1 - level
    var direction = TrendDirection.none
    var reason: String
    if n < 3 {
        reason = "\(n) points: too few for a trend"
    } else if let r = rho.coefficient, let p = rho.pValue, let iv = slope?.interval {
        let rankSays: TrendDirection = p < alpha ? (r > 0 ? .increasing : .decreasing) : .none
        let slopeSays: TrendDirection = iv.lower > 0 ? .increasing : (iv.upper < 0 ? .decreasing : .none)
        let ps = String(format: "%.3g", p), rs = String(format: "%.3f", r), a = String(format: "%.3g", alpha)
        let slopeIV = "[\(String(format: "%.4g", iv.lower)), \(String(format: "%.4g", iv.upper))]"
        if rankSays == slopeSays, rankSays != .none {
            direction = rankSays
            reason = "Spearman rho = \(rs), p = \(ps) < \(a) (\(rho.pValueMethod)) and the slope's \(Int((level * 100).rounded()))% interval \(slopeIV) excludes 0"
        } else if rankSays == .none, slopeSays == .none {
            reason = "Spearman p = \(ps) >= \(a) and the slope interval contains 0"
        } else {
            reason = "Spearman (rho = \(rs), p = \(ps)) says \(rankSays.rawValue), the slope interval \(slopeIV) says \(slopeSays.rawValue): not supported"
        }
    } else {
        reason = "correlation or slope undefined (x or y constant)"
    }
    return TrendVerdict(direction: direction, level: level, n: n, spearman: rho, slope: slope,
                        xScale: logX ? "log10" : "linear", yScale: logY ? "log10" : "linear", reason: reason)
}

// Interval: every interval this module reports carries its confidence level and the method that made it.

/// A two-sided confidence interval [lower, upper] at `level` (0.95 for 95%), made by `method`.
///
/// Method names used in this module:
/// - "t": mean ± t(1-α/2, n-1) · s/√n (`summarize`).
/// - "bootstrap-percentile", "bootstrap-BCa": quantiles of the bootstrap distribution, plain or
///   bias-corrected and accelerated (`bootstrap`, `summarize`).
/// - "clopper-pearson": exact binomial interval from beta quantiles (`clopperPearson`).
/// - "greenwood-plain", "greenwood-log", "greenwood-loglog": Kaplan-Meier pointwise intervals from
///   Greenwood's variance on the stated scale (`kaplanMeier`).
/// - "brookmeyer-crowley-…": median survival interval read off the pointwise band (`kaplanMeier`).
/// - "covariance-t": estimate ± t(1-α/2, n-p) · SE with SE from the (scaled) covariance of a fit.
/// - "covariance-normal": estimate ± z(1-α/2) · SE (weights known to be 1/σ², or a likelihood fit).
/// - "…, back-transformed": the interval was made on a transformed scale (log, log10) and mapped back,
///   so it is not symmetric about the estimate.
public struct Interval: Codable, Sendable, Equatable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double
    /// Confidence level in (0, 1), e.g. 0.95.
    public var level: Double
    public var method: String

    public init(lower: Double, upper: Double, level: Double, method: String) {
        self.lower = lower
        self.upper = upper
        self.level = level
        self.method = method
    }

    /// An interval only when both ends are finite (nothing encoded may hold NaN or infinity).
    static func make(_ lower: Double, _ upper: Double, level: Double, method: String) -> Interval? {
        guard lower.isFinite, upper.isFinite else { return nil }
        return Interval(lower: Swift.min(lower, upper), upper: Swift.max(lower, upper), level: level, method: method)
    }

    public func contains(_ x: Double) -> Bool { lower <= x && x <= upper }
    public var width: Double { upper - lower }
    /// True when the whole interval lies strictly above (or below) zero.
    public var excludesZero: Bool { lower > 0 || upper < 0 }

    /// Maps both ends through an increasing function (e.g. exp, 10^x); the method says so.
    func mapped(_ f: (Double) -> Double, note: String) -> Interval? {
        Interval.make(f(lower), f(upper), level: level, method: "\(method), \(note)")
    }

    public var description: String {
        "[\(lower), \(upper)] (\(Int((level * 100).rounded()))% \(method))"
    }
}

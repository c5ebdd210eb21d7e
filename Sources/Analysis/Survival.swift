// Event times with right censoring: k of n reached (Clopper-Pearson), Kaplan-Meier with Greenwood
// intervals and the median, and the two-group log-rank test.
//
// A run whose event (memorization, generalization) did not happen within its budget is censored at the
// budget: it contributes "not yet at time c", never an event at c. Event times themselves come from
// evaluation points; whoever builds `EventTime`s says whether they were interpolated between evaluation
// points or taken as the first evaluation at which the criterion held (this module takes them as given).

import CGSL
import Foundation

// MARK: - Binomial proportion

/// k successes of n with the exact (Clopper and Pearson 1934) interval.
public struct Proportion: Codable, Sendable {
    public var k: Int
    public var n: Int
    /// k / n.
    public var estimate: Double
    public var interval: Interval
}

/// Clopper-Pearson interval for k of n at `level` (α = 1 - level):
///   lower = B⁻¹(α/2; k, n - k + 1)   (0 when k = 0)
///   upper = B⁻¹(1 - α/2; k + 1, n - k)   (1 when k = n)
/// with B⁻¹ the beta quantile (gsl_cdf_beta_Pinv). Nil when n = 0 or k is outside 0...n.
public func clopperPearson(k: Int, n: Int, level: Double = 0.95) -> Interval? {
    Analysis.setUp()
    guard n > 0, k >= 0, k <= n, level > 0, level < 1 else { return nil }
    let alpha = 1 - level
    let lower = k == 0 ? 0 : gsl_cdf_beta_Pinv(alpha / 2, Double(k), Double(n - k + 1))
    let upper = k == n ? 1 : gsl_cdf_beta_Pinv(1 - alpha / 2, Double(k + 1), Double(n - k))
    return Interval.make(lower, upper, level: level, method: "clopper-pearson")
}

/// k of n with its Clopper-Pearson interval; nil when n = 0.
public func proportion(k: Int, n: Int, level: Double = 0.95) -> Proportion? {
    guard let interval = clopperPearson(k: k, n: n, level: level) else { return nil }
    return Proportion(k: k, n: n, estimate: Double(k) / Double(n), interval: interval)
}

// MARK: - Kaplan-Meier

/// One subject: the time of its event, or the time it was last seen without the event (censored).
public struct EventTime: Codable, Sendable, Equatable {
    public var time: Double
    /// True: the event happened at `time`. False: right-censored at `time` (e.g. the step budget ran out).
    public var observed: Bool
    public init(time: Double, observed: Bool) {
        self.time = time
        self.observed = observed
    }
    public static func event(_ t: Double) -> EventTime { EventTime(time: t, observed: true) }
    public static func censored(_ t: Double) -> EventTime { EventTime(time: t, observed: false) }
}

/// Scale on which Kaplan-Meier pointwise intervals are made from Greenwood's variance.
public enum SurvivalIntervalTransform: String, Codable, Sendable, CaseIterable {
    /// S ± z·SE(S), clipped to [0, 1] ("greenwood-plain").
    case plain
    /// exp(log S ± z·SE(log S)), upper end clipped to 1 ("greenwood-log"; R's survfit default).
    case log
    /// S^exp(±z·SE(log(-log S))) ("greenwood-loglog"; stays inside [0, 1]; Stata's and the default here).
    case logLog
}

/// The Kaplan-Meier estimate of the survival curve S(t) = P(T > t) ("not yet generalized at t").
///
///   S(t) = Π_{t_i ≤ t} (1 - d_i / n_i),  n_i at risk just before t_i, d_i events at t_i
///   Greenwood: Var(S(t)) = S(t)² Σ_{t_i ≤ t} d_i / (n_i (n_i - d_i))
/// Ties: subjects censored at t_i count as at risk at t_i (events precede censoring).
public struct KaplanMeier: Codable, Sendable {
    /// One row per distinct time at which anything happened (events or censoring), ascending.
    public struct Row: Codable, Sendable {
        public var time: Double
        public var atRisk: Int
        public var events: Int
        public var censored: Int
        public var survival: Double
        /// Greenwood standard error of S(t) (nil when S(t) = 0: the variance is undefined there).
        public var standardError: Double?
        /// Pointwise interval for S(t) on the `transform` scale (nil where undefined, e.g. S = 0, or
        /// S = 1 on the log-log scale).
        public var interval: Interval?
    }

    /// Median survival time and its interval.
    public struct Median: Codable, Sendable {
        /// Smallest t with S(t) ≤ 0.5; when S equals 0.5 exactly on a step, the midpoint between that
        /// time and the next event time (R's survfit convention). Nil when S never drops to 0.5.
        public var estimate: Double?
        /// Both ends defined: the times at which the lower and the upper pointwise band first drop to
        /// ≤ 0.5 (Brookmeyer and Crowley 1982, as R's survfit computes it). Nil when either is undefined.
        public var interval: Interval?
        /// Lower end of that interval on its own (defined more often than the upper end).
        public var lowerBound: Double?
        /// Upper end on its own; nil means "not reached": the upper band never drops to 0.5.
        public var upperBound: Double?
        public var note: String
    }

    public var n: Int
    public var events: Int
    public var level: Double
    public var transform: SurvivalIntervalTransform
    public var rows: [Row]
    public var median: Median

    /// S(t) at any time (a right-continuous step function; 1 before the first event).
    public func survival(at t: Double) -> Double {
        var s = 1.0
        for r in rows where r.time <= t { s = r.survival }
        return s
    }
}

/// Kaplan-Meier estimate with Greenwood pointwise intervals at `level` on the `transform` scale.
///
/// Interval formulas, with z = Φ⁻¹((1 + level)/2) and G = Σ d_i / (n_i (n_i - d_i)):
///   plain:   S ± z S √G;  log: S exp(±z √G);  log-log: S^exp(±z √G / |log S|)
public func kaplanMeier(_ data: [EventTime], level: Double = 0.95,
                        transform: SurvivalIntervalTransform = .logLog) -> KaplanMeier {
    Analysis.setUp()
    let sorted = data.filter { $0.time.isFinite }.sorted { $0.time < $1.time }
    let z = zQuantile(level: level)
    let method: String
    switch transform {
    case .plain: method = "greenwood-plain"
    case .log: method = "greenwood-log"
    case .logLog: method = "greenwood-loglog"
    }
    var rows = [KaplanMeier.Row]()
    var atRisk = sorted.count
    var s = 1.0
    var g = 0.0            // Greenwood sum
    var gDefined = true    // false once some n_i = d_i (S = 0)
    var i = 0
    while i < sorted.count {
        let t = sorted[i].time
        var d = 0, c = 0
        while i < sorted.count, sorted[i].time == t {
            if sorted[i].observed { d += 1 } else { c += 1 }
            i += 1
        }
        if d > 0 {
            s *= 1 - Double(d) / Double(atRisk)
            if atRisk > d { g += Double(d) / (Double(atRisk) * Double(atRisk - d)) } else { gDefined = false }
        }
        var se: Double? = nil
        var interval: Interval? = nil
        if gDefined && s > 0 {
            se = s * g.squareRoot()
            switch transform {
            case .plain:
                interval = Interval.make(Swift.max(0, s - z * se!), Swift.min(1, s + z * se!), level: level, method: method)
            case .log:
                interval = Interval.make(s * exp(-z * g.squareRoot()), Swift.min(1, s * exp(z * g.squareRoot())),
                                         level: level, method: method)
            case .logLog:
                if s < 1 {
                    let w = z * g.squareRoot() / abs(Foundation.log(s))
                    interval = Interval.make(pow(s, exp(w)), pow(s, exp(-w)), level: level, method: method)
                }
            }
        } else if s == 0 {
            se = nil
        }
        rows.append(KaplanMeier.Row(time: t, atRisk: atRisk, events: d, censored: c, survival: s,
                                    standardError: se, interval: interval))
        atRisk -= d + c
    }
    let events = sorted.filter { $0.observed }.count
    let median = kmMedian(rows, level: level, method: method)
    return KaplanMeier(n: sorted.count, events: events, level: level, transform: transform, rows: rows, median: median)
}

private func kmMedian(_ rows: [KaplanMeier.Row], level: Double, method: String) -> KaplanMeier.Median {
    let eventRows = rows.filter { $0.events > 0 }
    let tol = 1e-12
    var estimate: Double? = nil
    if let j = eventRows.firstIndex(where: { $0.survival <= 0.5 + tol }) {
        if abs(eventRows[j].survival - 0.5) <= tol {
            estimate = j + 1 < eventRows.count ? (eventRows[j].time + eventRows[j + 1].time) / 2 : eventRows[j].time
        } else {
            estimate = eventRows[j].time
        }
    }
    // Bands: the pointwise interval ends as step functions over the event rows. Where the band is
    // undefined (S = 0 after the last event) the curve itself (0) is used.
    // The interval is {t : lower band(t) ≤ 0.5 ≤ upper band(t)}: it opens where the lower band first
    // drops to 0.5 and closes where the upper band does.
    let lowerBound = eventRows.first(where: { ($0.interval?.lower ?? $0.survival) <= 0.5 + tol })?.time
    let upperBound = eventRows.first(where: { ($0.interval?.upper ?? $0.survival) <= 0.5 + tol })?.time
    var interval: Interval? = nil
    if estimate != nil, let lo = lowerBound, let hi = upperBound {
        interval = Interval.make(lo, hi, level: level, method: "brookmeyer-crowley-\(method)")
    }
    let note: String
    if estimate == nil {
        note = "S(t) never drops to 0.5: fewer than half the runs had the event; no median"
    } else if upperBound == nil {
        note = "upper confidence limit not reached: the upper band stays above 0.5"
    } else {
        note = "median: smallest t with S(t) <= 0.5; interval: band crossings of 0.5 (Brookmeyer-Crowley)"
    }
    return KaplanMeier.Median(estimate: estimate, interval: estimate == nil ? nil : interval,
                              lowerBound: estimate == nil ? nil : lowerBound,
                              upperBound: estimate == nil ? nil : upperBound, note: note)
}

// MARK: - Log-rank test

/// Two-group log-rank (Mantel-Cox) test of equal survival curves.
///
/// At each distinct event time t_i of the pooled sample, with n_i at risk (n_1i in group 1) and d_i events
/// (d_1i in group 1):  E_1 = Σ d_i n_1i / n_i,  V = Σ d_i (n_1i/n_i)(1 - n_1i/n_i)(n_i - d_i)/(n_i - 1),
/// χ² = (O_1 - E_1)² / V on 1 degree of freedom, p = gsl_cdf_chisq_Q(χ², 1). (R's survdiff, rho = 0.)
public struct LogRankTest: Codable, Sendable {
    public var observed: [Int]      // events in group 1, group 2
    public var expected: [Double]   // expected events under H0
    public var variance: Double?
    public var chiSquare: Double?
    public var degreesOfFreedom: Int
    public var pValue: Double?
}

public func logRank(_ group1: [EventTime], _ group2: [EventTime]) -> LogRankTest {
    Analysis.setUp()
    let all = group1.map { ($0, 0) } + group2.map { ($0, 1) }
    let times = Set(all.filter { $0.0.observed }.map { $0.0.time }).sorted()
    var o1 = 0, o2 = 0
    var e1 = 0.0, e2 = 0.0, v = 0.0
    for t in times {
        let n1 = group1.filter { $0.time >= t }.count, n2 = group2.filter { $0.time >= t }.count
        let d1 = group1.filter { $0.observed && $0.time == t }.count
        let d2 = group2.filter { $0.observed && $0.time == t }.count
        let n = Double(n1 + n2), d = Double(d1 + d2)
        o1 += d1
        o2 += d2
        e1 += d * Double(n1) / n
        e2 += d * Double(n2) / n
        if n > 1 { v += d * (Double(n1) / n) * (1 - Double(n1) / n) * (n - d) / (n - 1) }
    }
    var result = LogRankTest(observed: [o1, o2], expected: [e1, e2], variance: finite(v), chiSquare: nil,
                             degreesOfFreedom: 1, pValue: nil)
    if v > 0 {
        let chi = (Double(o1) - e1) * (Double(o1) - e1) / v
        result.chiSquare = finite(chi)
        result.pValue = finite(gsl_cdf_chisq_Q(chi, 1))
    }
    return result
}

// MARK: - One configuration's event times

/// Everything a report needs about one event (memorization, generalization) in one configuration:
/// k of n reached with its Clopper-Pearson interval, and the Kaplan-Meier curve with its median.
/// Censored runs enter only as "not yet at their budget", never as events at the budget.
public struct EventSummary: Codable, Sendable {
    public var reached: Proportion?
    public var kaplanMeier: KaplanMeier
}

/// k of n reached (observed events) and the Kaplan-Meier estimate (log-log Greenwood intervals by default).
public func summarizeEvents(_ times: [EventTime], level: Double = 0.95,
                            transform: SurvivalIntervalTransform = .logLog) -> EventSummary {
    let valid = times.filter { $0.time.isFinite }
    return EventSummary(reached: proportion(k: valid.filter { $0.observed }.count, n: valid.count, level: level),
                        kaplanMeier: kaplanMeier(valid, level: level, transform: transform))
}

// The interventions table of a study with arms (`arms:`): per sweep point and arm, the event's k/n,
// the Kaplan-Meier median step with its Brookmeyer-Crowley interval, the speed-up over the arm it is
// matched with and a bootstrap interval for it, and the log-rank test against that arm, its p-value
// Holm-adjusted over every comparison in the table.
//
// Speed-up = median(matched arm) / median(arm), both Kaplan-Meier medians of the event step (defined
// when more than half the arm's trials reached the event). When the matched arm has no median (at most
// half of it reached the event within its budget) the speed-up is only bounded from below, by the
// matched arm's largest censoring time over the arm's median; when the arm has none, from above.
// Interval: a two-sample percentile bootstrap, each arm's trials resampled with replacement on their
// own (B = 2000, seeded by the configuration and arm), a replicate's median ∞ when at most half of its
// resample reached the event; replicates where both medians are ∞ have no ratio and are counted.
import Analysis
import Foundation
import func Linalg.stableHash
import struct Analysis.EventTime
import Studies

public struct SpeedUp: Codable, Sendable {
    /// The ratio of medians (nil when a bound is all there is, or neither arm has a median).
    public var estimate: Double?
    /// "at_least" or "at_most" when only a bound is known, with `bound`.
    public var boundKind: String?
    public var bound: Double?
    /// Whether the bootstrap interval was computed (both arms with at least two trials).
    public var intervalComputed: Bool
    /// Percentile interval of the bootstrap; an end that is infinite (a resampled arm without a median)
    /// is nil while `intervalComputed` is true.
    public var lower: Double?
    public var upper: Double?
    public var level: Double
    public var resamples: Int
    /// Replicates with neither median (no ratio).
    public var undefinedResamples: Int
    public var method: String
}

public struct InterventionRow: Codable, Sendable {
    public var arm: String
    /// The arm it is compared with (nil for the baseline).
    public var vs: String?
    public var published: String?
    public var trialIds: [String]
    public var reached: Int
    public var trials: Int
    public var reachedInterval: Interval?
    public var median: KaplanMeier.Median
    /// The Kaplan-Meier estimate itself (its rows and bands), drawn per arm.
    public var kaplanMeier: KaplanMeier?
    /// Largest step any of its trials was censored at (the budget), nil when none was.
    public var censoredAt: Int?
    public var speedUp: SpeedUp?
    public var logRank: LogRankTest?
    /// The log-rank p-value after Holm's adjustment over every comparison of the table.
    public var holmP: Double?
    /// Seed-mean largest softmax collapse and final weight norm, where the curves hold them.
    public var maxSoftmaxCollapse: Double?
    public var finalWeightNorm: Double?
    /// Seed-mean validation accuracy at the last evaluation (what a censored arm reached by its budget).
    public var finalValAccuracy: Double?
}

public struct InterventionGroup: Codable, Sendable {
    /// The sweep point without the arm ("" when the study sweeps nothing else).
    public var configuration: String
    public var rows: [InterventionRow]
}

public struct InterventionTable: Codable, Sendable {
    public static let method = "Kaplan-Meier medians (Brookmeyer-Crowley log-log intervals); speed-up = matched median / arm median with a two-sample percentile bootstrap; log-rank (Mantel-Cox) against the matched arm, Holm-adjusted over the table"
    public var event: String
    public var baseline: String
    public var level: Double
    public var method: String
    public var groups: [InterventionGroup]
    public var comparisons: Int

    /// Nil for a study without arms.
    public init?(_ results: StudyResults, level: Double = 0.95, resamples: Int = 2000) {
        let s = results.study
        guard let baseline = s.baseline, !s.arms.isEmpty else { return nil }
        let names = s.events.map(\.name)
        guard let event = names.contains("generalization") ? "generalization" : names.last else { return nil }
        self.event = event
        self.baseline = baseline
        self.level = level
        method = InterventionTable.method
        let usable = results.summaries.filter { $0.value.status == "done" || $0.value.status == "diverged" }

        // Sweep points without the arm, in the study's order; per point, each arm's trials.
        var order: [String] = []
        var byPoint: [String: [String: [Trial]]] = [:]
        for t in results.trials {
            let rest = t.groupKey(without: "arm")
            guard case .string(let arm)? = t.point.first(where: { $0.0 == "arm" })?.1 else { continue }
            if byPoint[rest] == nil { order.append(rest) }
            byPoint[rest, default: [:]][arm, default: []].append(t)
        }
        var groups: [InterventionGroup] = []
        for point in order {
            let arms = byPoint[point]!
            func times(_ arm: String) -> [EventTime] {
                (arms[arm] ?? []).compactMap { t in usable[t.id].map { sm in
                    sm.events[event]?.step.map { .event(Double($0)) } ?? .censored(Double(sm.stepsRun)) } }
            }
            var rows: [InterventionRow] = []
            for arm in s.arms {
                let trials = arms[arm.name] ?? []
                let data = times(arm.name)
                let k = data.filter(\.observed).count, n = data.count
                let estimate = kaplanMeier(data, level: level)
                var km = estimate.median
                if 2 * k <= n {
                    km.estimate = nil; km.interval = nil; km.lowerBound = nil; km.upperBound = nil
                    km.note = "\(k) of \(n) reached: not more than half, so no median"
                }
                let vs = arm.name == baseline ? arm.vs : (arm.vs ?? baseline)
                var speed: SpeedUp? = nil, test: LogRankTest? = nil
                if let vs, n > 0 {
                    let base = times(vs)
                    if !base.isEmpty {
                        test = logRank(data, base)
                        let seed = stableHash("\(s.name)|\(point)|\(arm.name)|\(vs)")
                        speed = InterventionTable.speedUp(arm: data, matched: base, level: level, resamples: resamples, seed: seed)
                    }
                }
                let curves = trials.compactMap { results.store.curve($0.id) }
                let collapse = curves.compactMap { $0.column("softmax_collapse")?.filter(\.isFinite).max() }
                let norms = curves.compactMap { $0.column("weight_norm")?.last(where: \.isFinite) }
                let accs = curves.compactMap { $0.column("val_accuracy")?.last(where: \.isFinite) }
                rows.append(InterventionRow(arm: arm.name, vs: vs, published: arm.published, trialIds: trials.map(\.id), reached: k, trials: n,
                                            reachedInterval: n > 0 ? clopperPearson(k: k, n: n, level: level) : nil, median: km,
                                            kaplanMeier: n > 0 ? estimate : nil,
                                            censoredAt: data.filter { !$0.observed }.map { Int($0.time) }.max(),
                                            speedUp: speed, logRank: test, holmP: nil,
                                            maxSoftmaxCollapse: collapse.isEmpty ? nil : collapse.reduce(0, +) / Double(collapse.count),
                                            finalWeightNorm: norms.isEmpty ? nil : norms.reduce(0, +) / Double(norms.count),
                                            finalValAccuracy: accs.isEmpty ? nil : accs.reduce(0, +) / Double(accs.count)))
            }
            groups.append(InterventionGroup(configuration: point, rows: rows))
        }
        // Holm over every comparison of the table.
        let flat = groups.flatMap { $0.rows.map { $0.logRank?.pValue } }
        let adjusted = holm(flat)
        var i = 0
        for g in groups.indices { for r in groups[g].rows.indices { groups[g].rows[r].holmP = adjusted[i]; i += 1 } }
        comparisons = adjusted.compactMap { $0 }.count
        self.groups = groups
    }

    /// Median of event times as the table defines it: the Kaplan-Meier median, ∞ when at most half reached.
    static func median(_ data: [EventTime]) -> Double {
        let k = data.filter(\.observed).count
        guard 2 * k > data.count else { return .infinity }
        return kaplanMeier(data).median.estimate ?? .infinity
    }

    static func speedUp(arm: [EventTime], matched: [EventTime], level: Double, resamples: Int, seed: UInt64) -> SpeedUp {
        let ma = median(arm), mb = median(matched)
        var s = SpeedUp(estimate: nil, boundKind: nil, bound: nil, intervalComputed: false, lower: nil, upper: nil, level: level, resamples: resamples,
                        undefinedResamples: 0, method: "two-sample percentile bootstrap of the ratio of Kaplan-Meier medians")
        if ma.isFinite && mb.isFinite {
            s.estimate = mb / ma
        } else if ma.isFinite, let budget = matched.filter({ !$0.observed }).map(\.time).max() {
            s.boundKind = "at_least"; s.bound = budget / ma
        } else if mb.isFinite, let budget = arm.filter({ !$0.observed }).map(\.time).max() {
            s.boundKind = "at_most"; s.bound = mb / budget
        }
        guard arm.count >= 2, matched.count >= 2, resamples >= 2 else { return s }
        var rng = BootstrapRNG(seed: seed)
        var ratios: [Double] = []
        ratios.reserveCapacity(resamples)
        var undefined = 0
        for _ in 0..<resamples {
            let ra = (0..<arm.count).map { _ in arm[rng.index(below: arm.count)] }
            let rb = (0..<matched.count).map { _ in matched[rng.index(below: matched.count)] }
            let a = median(ra), b = median(rb)
            if a.isInfinite && b.isInfinite { undefined += 1; continue }
            ratios.append(b / a)    // ∞ when only the matched arm has none, 0 when only the arm has none
        }
        s.undefinedResamples = undefined
        guard ratios.count >= 2 else { return s }
        s.intervalComputed = true
        ratios.sort()
        let alpha = (1 - level) / 2
        func quantile(_ q: Double) -> Double {
            let h = q * Double(ratios.count - 1)
            let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, ratios.count - 1)
            let (a, b) = (ratios[lo], ratios[hi])
            if a == b || !a.isFinite || !b.isFinite { return h - Double(lo) < 0.5 ? a : b }
            return a + (h - Double(lo)) * (b - a)
        }
        let lo = quantile(alpha), hi = quantile(1 - alpha)
        s.lower = lo.isFinite ? lo : nil
        s.upper = hi.isFinite ? hi : nil
        return s
    }
}

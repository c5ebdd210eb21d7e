// Two runs of one steps-axis study compared as a statistician would (`descent compare BASE NEW`): per
// configuration and event, each side's k/n and Kaplan-Meier median, the speed-up of NEW over BASE
// (median(BASE) / median(NEW), > 1: NEW reaches the event sooner) with a two-sample percentile bootstrap
// interval, and the log-rank test, Holm-adjusted over every item; per configuration, the largest
// difference between the seed-mean validation curves in standard errors. Byte-identical trials are
// detected and said as such.
//
// Verdict of an event item:
//   identical     every trial's event step or censoring is the same on both sides
//   better/worse  Holm-adjusted log-rank p < alpha; better when NEW is sooner
//   same          otherwise, when the speed-up's interval lies within [1/margin, margin]
//   inconclusive  otherwise: the seeds cannot tell a change of the margin's size from none
import Analysis
import Foundation
import func Linalg.stableHash
import struct Analysis.EventTime
import Studies

public enum Verdict: String, Codable, Sendable, CaseIterable {
    case identical, same, better, worse, inconclusive
}

public struct ComparisonSide: Codable, Sendable {
    public var reached: Int
    public var trials: Int
    public var median: Double?
    /// Largest censoring step (the budget) when at most half reached the event.
    public var censoredAt: Int?
}

public struct EventComparison: Codable, Sendable {
    public var configuration: String
    public var event: String
    public var base: ComparisonSide
    public var new: ComparisonSide
    /// median(BASE) / median(NEW): > 1 when NEW reaches the event sooner.
    public var speedUp: SpeedUp?
    public var logRankP: Double?
    public var holmP: Double?
    public var verdict: Verdict
}

public struct CurveComparison: Codable, Sendable {
    public var configuration: String
    public var metric: String
    /// Steps both sides evaluated.
    public var commonSteps: Int
    /// Largest |mean(NEW) − mean(BASE)| over the common steps, and at which step.
    public var maxDifference: Double
    public var atStep: Double?
    /// The same difference over its standard error (sample SDs of the seeds, nil with fewer than two
    /// seeds a side or a zero spread).
    public var maxStandardErrors: Double?
    public var identical: Bool
}

public struct StudyComparison: Codable, Sendable {
    public static let method = "per configuration and event: Kaplan-Meier medians; speed-up = median(BASE) / median(NEW) with a two-sample percentile bootstrap; log-rank (Mantel-Cox), Holm-adjusted over every item; curves: the largest seed-mean difference over its standard error"
    public var study: String
    public var alpha: Double
    public var margin: Double
    public var method: String
    public var trials: Int
    /// Trials with the same id on both sides (the same configuration; a changed setting changes ids).
    public var sameTrialIds: Int
    /// Trials whose curve.csv and summary.json (wall-clock fields aside) are the same bytes on both sides.
    public var identicalTrials: Int
    public var events: [EventComparison]
    public var curves: [CurveComparison]
    public var identical: Bool { identicalTrials == trials }

    /// Verdict counts, in the order of `Verdict.allCases`.
    public var counts: [(Verdict, Int)] { Verdict.allCases.map { v in (v, events.filter { $0.verdict == v }.count) } }

    /// Throws when the two folders are not runs of the same trial grid, or one has trials without results.
    public init(base: StudyResults, new: StudyResults, alpha: Double = 0.05, margin: Double = 1.25, resamples: Int = 2000) throws {
        guard base.study.axis == "steps", new.study.axis == "steps" else {
            throw StudyError(nil, "descent compare reads steps-axis studies so far; '\(base.study.name)' is a \(base.study.axis)-axis study",
                             hint: "compare the size axis with 'descent stats' on each folder until compare covers it")
        }
        guard base.study.name == new.study.name else {
            throw StudyError(nil, "the folders hold different studies: '\(base.study.name)' and '\(new.study.name)'", hint: "compare two runs of the same study")
        }
        // Trials are matched by their sweep point and seed index, so that a changed setting outside the
        // sweep (another learning rate: other ids) is compared rather than refused.
        func slot(_ t: Trial) -> String { t.groupKey + "#\(t.seedIndex)" }
        guard base.trials.map(slot) == new.trials.map(slot) else {
            let only = Set(base.trials.map(slot)).symmetricDifference(new.trials.map(slot)).count
            throw StudyError(nil, "the two runs of '\(base.study.name)' have different grids (\(only) sweep points or seeds in one only: another profile, sweep or seed count)",
                             hint: "compare runs made with the same sweep, arms and seeds")
        }
        let counterpart = Dictionary(uniqueKeysWithValues: zip(base.trials.map(\.id), new.trials))
        for (side, r) in [("BASE", base), ("NEW", new)] where !r.missing.isEmpty {
            throw StudyError(nil, "\(side) has \(r.missing.count) of \(r.trials.count) trials without a result", hint: "finish the run (run the study again into its folder) before comparing")
        }
        study = base.study.name
        self.alpha = alpha; self.margin = margin
        method = StudyComparison.method
        trials = base.trials.count
        sameTrialIds = base.trials.filter { counterpart[$0.id]!.id == $0.id }.count
        identicalTrials = base.trials.filter { counterpart[$0.id]!.id == $0.id && StudyComparison.sameBytes($0.id, base.store, new.store) }.count

        // Configurations: the trials grouped by their point, in the study's order.
        var order: [String] = [], groups: [String: [Trial]] = [:]
        for t in base.trials {
            let key = t.groupKey
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(t)
        }
        var events: [EventComparison] = []
        var curves: [CurveComparison] = []
        for key in order {
            let ts = groups[key]!
            for e in base.study.events.map(\.name) {
                func times(_ r: StudyResults, isBase: Bool) -> [EventTime] {
                    ts.compactMap { t in r.summaries[isBase ? t.id : counterpart[t.id]!.id].map { s in
                        s.events[e]?.step.map { .event(Double($0)) } ?? .censored(Double(s.stepsRun)) } }
                }
                let b = times(base, isBase: true), n = times(new, isBase: false)
                func side(_ d: [EventTime]) -> ComparisonSide {
                    let k = d.filter(\.observed).count
                    let m = 2 * k > d.count ? kaplanMeier(d).median.estimate : nil
                    return ComparisonSide(reached: k, trials: d.count, median: m,
                                          censoredAt: m == nil ? d.filter { !$0.observed }.map { Int($0.time) }.max() : nil)
                }
                let same = zip(b, n).allSatisfy { $0.observed == $1.observed && $0.time == $1.time }
                let test = logRank(n, b)
                let speed = InterventionTable.speedUp(arm: n, matched: b, level: 1 - alpha, resamples: resamples,
                                                      seed: stableHash("compare|\(study)|\(key)|\(e)"))
                events.append(EventComparison(configuration: key, event: e, base: side(b), new: side(n), speedUp: speed,
                                              logRankP: test.pValue, holmP: nil, verdict: same ? .identical : .inconclusive))
            }
            curves.append(StudyComparison.curve(key, "val_accuracy", ts.map(\.id), ts.map { counterpart[$0.id]!.id }, base.store, new.store))
        }
        let adjusted = holm(events.map { $0.verdict == .identical ? nil : $0.logRankP })
        for i in events.indices where events[i].verdict != .identical {
            events[i].holmP = adjusted[i]
            let s = events[i].speedUp
            let sooner = s.map { sp in sp.estimate.map { $0 > 1 } ?? (sp.boundKind == "at_least") } ?? false
            if let p = adjusted[i], p < alpha {
                events[i].verdict = sooner ? .better : .worse
            } else if let s, s.intervalComputed, let lo = s.lower, let hi = s.upper, lo >= 1 / margin, hi <= margin {
                events[i].verdict = .same
            } else if s?.intervalComputed == false, events[i].base.median == nil, events[i].new.median == nil,
                      events[i].base.reached == 0, events[i].new.reached == 0 {
                events[i].verdict = .same   // neither side ever reached it, within the same budgets
            }
        }
        self.events = events
        self.curves = curves
    }

    /// Same curve.csv bytes and the same summary.json apart from wall-clock fields.
    static func sameBytes(_ id: String, _ a: ResultsStore, _ b: ResultsStore) -> Bool {
        let fm = FileManager.default
        let ca = fm.contents(atPath: a.trialDir(id).appendingPathComponent("curve.csv").path)
        let cb = fm.contents(atPath: b.trialDir(id).appendingPathComponent("curve.csv").path)
        guard let ca, ca == cb else { return false }
        func summary(_ s: ResultsStore) -> NSDictionary? {
            guard let d = fm.contents(atPath: s.trialDir(id).appendingPathComponent("summary.json").path),
                  var o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { return nil }
            for k in o.keys where k.contains("wall") || k.contains("seconds") || k == "resumed_at" { o[k] = nil }
            return o as NSDictionary
        }
        guard let sa = summary(a), let sb = summary(b) else { return false }
        return sa.isEqual(sb)
    }

    static func curve(_ key: String, _ metric: String, _ idsA: [String], _ idsB: [String], _ a: ResultsStore, _ b: ResultsStore) -> CurveComparison {
        func perStep(_ s: ResultsStore, _ ids: [String]) -> [Double: [Double]] {
            var out: [Double: [Double]] = [:]
            for id in ids {
                guard let c = s.curve(id), let st = c.column("step"), let v = c.column(metric) else { continue }
                for (x, y) in zip(st, v) where y.isFinite { out[x, default: []].append(y) }
            }
            return out
        }
        let pa = perStep(a, idsA), pb = perStep(b, idsB)
        let steps = Set(pa.keys).intersection(pb.keys).sorted()
        var best = (diff: 0.0, step: nil as Double?, z: nil as Double?)
        var identical = pa.count == pb.count
        for s in steps {
            let x = pa[s]!, y = pb[s]!
            if x != y { identical = false }
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            let d = abs(my - mx)
            var z: Double? = nil
            if x.count >= 2, y.count >= 2 {
                func variance(_ v: [Double], _ m: Double) -> Double { v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1) }
                let se = (variance(x, mx) / Double(x.count) + variance(y, my) / Double(y.count)).squareRoot()
                if se > 0 { z = d / se }
            }
            if d > best.diff || best.step == nil { best = (d, s, z) }
        }
        return CurveComparison(configuration: key, metric: metric, commonSteps: steps.count, maxDifference: best.diff,
                               atStep: best.step, maxStandardErrors: best.z, identical: identical && !steps.isEmpty)
    }
}

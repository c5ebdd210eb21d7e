// Two runs of one study compared as a statistician would (`descent compare BASE NEW`). Byte-identical
// trials are detected and said as such; every item's p-value is Holm-adjusted over all items.
//
// Steps axis, per configuration and event: each side's k/n and Kaplan-Meier median, the speed-up of NEW
// over BASE (median(BASE) / median(NEW), > 1: NEW reaches the event sooner) with a two-sample percentile
// bootstrap interval, and the log-rank test; per configuration, the largest difference between the
// seed-mean validation-accuracy curves in standard errors.
//
// Size axis, per configuration (the sweep point without the size key) and measure of the seed-mean
// test-error curve (`CurveShape`, over the sizes the report measures): the interpolation threshold, the
// peak's size and height, the classical minimum and the far-right error, each as NEW − BASE with a
// two-sample bootstrap interval (each side's seeds resampled as its report does, paired across sizes),
// and the bootstrap p-value of no difference (twice the smaller share of replicate differences on either
// side of 0, the smallest α whose percentile interval excludes 0); per configuration, the largest
// difference between the seed-mean test-error curves over size in standard errors.
//
// Verdict of an item, the first that applies:
//   identical     steps: every trial's event step or censoring is the same on both sides; size: every
//                 seed's test and train errors are
//   same          the interval of NEW / BASE (a speed-up, or (BASE + difference) / BASE) lies within
//                 [1/margin, margin]: a change smaller than the margin does not count, however significant
//                 (another BLAS kernel moves a deterministic error by 1e-7 in every resample); or neither
//                 side ever reached the event, or has the size measure (no threshold on either side)
//   better/worse  Holm-adjusted p < alpha; better when NEW reaches the event sooner or has the lower error
//   changed       Holm-adjusted p < alpha for a location (threshold, peak size), which has no better side;
//                 or a size measure defined on one side only, in at least 1 − alpha of that side's bootstrap
//                 replicates and at most alpha of the other's (a threshold no size reaches any more)
//   inconclusive  otherwise: the seeds cannot tell a change of the margin's size from none
import Analysis
import Foundation
import func Linalg.stableHash
import struct Analysis.EventTime
import Studies

public enum Verdict: String, Codable, Sendable, CaseIterable {
    case identical, same, better, worse, changed, inconclusive
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

/// One measure of a size-axis configuration on both sides.
public struct SizeItemComparison: Codable, Sendable {
    public var configuration: String
    /// interpolation_threshold, peak_size, peak_height, classical_minimum or far_right_error.
    public var measure: String
    /// Sizes (threshold, peak size) or test errors (the others).
    public var base: Double?
    public var new: Double?
    /// NEW − BASE, with its two-sample bootstrap interval.
    public var difference: Double?
    public var lower: Double?
    public var upper: Double?
    /// Replicates in which the measure was undefined on a side (no interpolating size, a peak at the first size).
    public var undefinedResamples: Int
    public var p: Double?
    public var holmP: Double?
    public var verdict: Verdict
    /// Lower is better (errors); false for locations.
    public var lowerIsBetter: Bool
}

public struct CurveComparison: Codable, Sendable {
    public var configuration: String
    public var metric: String
    /// Points (steps, or sizes on the size axis) both sides have.
    public var commonPoints: Int
    /// Largest |mean(NEW) − mean(BASE)| over the common points, and at which point.
    public var maxDifference: Double
    public var at: Double?
    /// The same difference over its standard error (sample SDs of the seeds, nil with fewer than two
    /// seeds a side or a zero spread).
    public var maxStandardErrors: Double?
    public var identical: Bool
}

public struct StudyComparison: Codable, Sendable {
    public static let stepsMethod = "per configuration and event: Kaplan-Meier medians; speed-up = median(BASE) / median(NEW) with a two-sample percentile bootstrap; log-rank (Mantel-Cox), Holm-adjusted over every item; curves: the largest seed-mean difference over its standard error"
    public static let sizeMethod = "per configuration and measure of the seed-mean test-error curve: NEW − BASE with a two-sample percentile bootstrap (seeds resampled within each side, paired across sizes); p = the bootstrap p-value of no difference, Holm-adjusted over every item; curves: the largest seed-mean difference over size, over its standard error"
    public var study: String
    public var axis: String
    public var alpha: Double
    public var margin: Double
    public var method: String
    public var trials: Int
    /// Trials with the same id on both sides (the same configuration; a changed setting changes ids).
    public var sameTrialIds: Int
    /// Trials whose curve.csv, summary.json (wall-clock fields and threads aside) and probes.json are the same on both sides.
    public var identicalTrials: Int
    public var events: [EventComparison]
    public var sizes: [SizeItemComparison]
    public var curves: [CurveComparison]
    public var identical: Bool { identicalTrials == trials }

    /// Every item's verdict, events then size measures.
    public var verdicts: [Verdict] { events.map(\.verdict) + sizes.map(\.verdict) }
    /// Verdict counts, in the order of `Verdict.allCases`.
    public var counts: [(Verdict, Int)] { Verdict.allCases.map { v in (v, verdicts.filter { $0 == v }.count) } }

    /// Throws when the two folders are not runs of the same trial grid, or one has trials without results.
    public init(base: StudyResults, new: StudyResults, alpha: Double = 0.05, margin: Double = 1.25, resamples: Int = 2000) throws {
        guard base.study.name == new.study.name else {
            throw StudyError(nil, "the folders hold different studies: '\(base.study.name)' and '\(new.study.name)'", hint: "compare two runs of the same study")
        }
        guard ["steps", "size"].contains(base.study.axis), base.study.axis == new.study.axis else {
            throw StudyError(nil, "descent compare reads steps- and size-axis studies; '\(base.study.name)' is a \(base.study.axis)-axis study",
                             hint: base.study.axis == "contrast" ? "compare the studies the contrast reads, one at a time" : "compare two runs of one study")
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
        axis = base.study.axis
        self.alpha = alpha; self.margin = margin
        method = axis == "size" ? StudyComparison.sizeMethod : StudyComparison.stepsMethod
        trials = base.trials.count
        sameTrialIds = base.trials.filter { counterpart[$0.id]!.id == $0.id }.count
        identicalTrials = base.trials.filter { counterpart[$0.id]!.id == $0.id && StudyComparison.sameBytes($0.id, base.store, new.store) }.count

        var events: [EventComparison] = [], sizes: [SizeItemComparison] = [], curves: [CurveComparison] = []
        if axis == "size" {
            let newConfigurations = SizeData.configurations(new)
            for (b, n) in zip(SizeData.configurations(base), newConfigurations) {
                sizes += StudyComparison.sizeItems(b, n, study: study, alpha: alpha, resamples: resamples)
                func errors(_ c: SizeConfiguration) -> [Double: [Double]] {
                    Dictionary(uniqueKeysWithValues: c.sizes.map { (Double($0), c.at($0).map(\.testError)) })
                }
                curves.append(StudyComparison.curve(b.key, "test_error", errors(b), errors(n)))
            }
        }
        for (key, ts) in axis == "steps" ? base.groups : [] {
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
            curves.append(StudyComparison.curve(key, "val_accuracy", StudyComparison.perStep(base.store, ts.map(\.id), "val_accuracy"),
                                                StudyComparison.perStep(new.store, ts.map { counterpart[$0.id]!.id }, "val_accuracy")))
        }
        // Holm over every item that is not identical, events and size measures together.
        let adjusted = holm(events.map { $0.verdict == .identical ? nil : $0.logRankP } + sizes.map { $0.verdict == .inconclusive ? $0.p : nil })
        for i in events.indices where events[i].verdict != .identical {
            events[i].holmP = adjusted[i]
            let s = events[i].speedUp
            let sooner = s.map { sp in sp.estimate.map { $0 > 1 } ?? (sp.boundKind == "at_least") } ?? false
            if let s, s.intervalComputed, let lo = s.lower, let hi = s.upper, lo >= 1 / margin, hi <= margin {
                events[i].verdict = .same
            } else if let p = adjusted[i], p < alpha {
                events[i].verdict = sooner ? .better : .worse
            } else if s?.intervalComputed == false, events[i].base.median == nil, events[i].new.median == nil,
                      events[i].base.reached == 0, events[i].new.reached == 0 {
                events[i].verdict = .same   // neither side ever reached it, within the same budgets
            }
        }
        for i in sizes.indices where sizes[i].verdict == .inconclusive {
            let item = sizes[i]
            sizes[i].holmP = adjusted[events.count + i]
            if let b = item.base, let lo = item.lower, let hi = item.upper,
               b > 0 ? ((b + lo) / b >= 1 / margin && (b + hi) / b <= margin) : (lo == 0 && hi == 0) {
                sizes[i].verdict = .same
            } else if let p = sizes[i].holmP, p < alpha, let d = item.difference {
                sizes[i].verdict = !item.lowerIsBetter ? .changed : d < 0 ? .better : .worse
            }
        }
        self.events = events
        self.sizes = sizes
        self.curves = curves
    }

    /// The size-axis items of one configuration on both sides (definitions in the file header).
    static func sizeItems(_ b: SizeConfiguration, _ n: SizeConfiguration, study: String, alpha: Double, resamples: Int) -> [SizeItemComparison] {
        let names = ["interpolation_threshold", "peak_size", "peak_height", "classical_minimum", "far_right_error"]
        // The measures of one mean curve over the measured sizes, by name (nil where undefined).
        func measures(_ sizes: [Int], _ test: [Double], _ train: [Double]) -> [Double?] {
            let shape = CurveShape(meanTest: test, meanTrain: train)
            return [shape.thresholdIndex.map { Double(sizes[$0]) }, Double(sizes[shape.peakIndex]), shape.peakHeight,
                    shape.classicalMinimum, shape.farRight]
        }
        struct Side {
            let sizes: [Int]
            let data: [SizeErrors]
            let estimate: [Double?]
            let scheme: SeedResampling
        }
        func side(_ c: SizeConfiguration) -> Side? {
            // The sizes the report measures; all of them when that leaves fewer than two (a curve that only falls).
            let s = c.measuredSizes.count >= 2 ? c.measuredSizes : c.sizes
            guard s.count >= 2 else { return nil }
            let data = s.map { SizeErrors(size: Double($0), testErrors: c.at($0).map(\.testError), trainErrors: c.at($0).map(\.trainError)) }
            let scheme: SeedResampling = Set(data.map(\.testErrors.count)).count == 1 ? .paired : .independentPerSize
            return Side(sizes: s, data: data, estimate: measures(s, data.map { $0.testErrors.mean }, data.map { $0.trainErrors.mean }), scheme: scheme)
        }
        guard let sb = side(b), let sn = side(n) else { return [] }
        func replicates(_ x: Side, _ tag: String) -> [[Double?]] {
            var out: [[Double?]] = []
            resampleSeedMeans(x.data, scheme: x.scheme, seed: stableHash("compare-size|\(study)|\(b.key)|\(tag)"), resamples: resamples) { test, train in
                out.append(measures(x.sizes, test, train))
            }
            return out
        }
        let rb = replicates(sb, "base"), rn = replicates(sn, "new")
        let identical = zip(b.samples.sorted { ($0.size, $0.trial.seedIndex) < ($1.size, $1.trial.seedIndex) },
                            n.samples.sorted { ($0.size, $0.trial.seedIndex) < ($1.size, $1.trial.seedIndex) })
            .allSatisfy { $0.size == $1.size && $0.testError == $1.testError && $0.trainError.bitPattern == $1.trainError.bitPattern }
            && b.samples.count == n.samples.count
        return names.indices.map { j in
            var diffs: [Double] = []
            var undefined = 0
            for (x, y) in zip(rb, rn) {
                if let x = x[j], let y = y[j] { diffs.append(y - x) } else { undefined += 1 }
            }
            diffs.sort()
            let interval = diffs.count >= 2 ? (quantileSorted(diffs, alpha / 2), quantileSorted(diffs, 1 - alpha / 2)) : nil
            let p = diffs.isEmpty ? nil : min(1, 2 * Double(min(diffs.filter { $0 <= 0 }.count, diffs.filter { $0 >= 0 }.count)) / Double(diffs.count))
            let (eb, en) = (sb.estimate[j], sn.estimate[j])
            // A measure that exists on one side only (a threshold no size reaches any more, a peak that moved to
            // the first size) changed when the replicates agree: defined in at least 1 − α of one side's
            // replicates and at most α of the other's. Undefined on both sides, it is the same.
            func definedShare(_ r: [[Double?]]) -> Double { r.isEmpty ? 0 : Double(r.filter { $0[j] != nil }.count) / Double(r.count) }
            let (db, dn) = (definedShare(rb), definedShare(rn))
            let oneSided = (eb == nil) != (en == nil)
            let verdict: Verdict = identical ? .identical
                : eb == nil && en == nil ? .same
                : oneSided && max(db, dn) >= 1 - alpha && min(db, dn) <= alpha ? .changed
                : .inconclusive
            return SizeItemComparison(configuration: b.key, measure: names[j], base: eb, new: en,
                                      difference: eb.flatMap { x in en.map { $0 - x } }, lower: interval?.0, upper: interval?.1,
                                      undefinedResamples: undefined, p: oneSided ? nil : p, holmP: nil,
                                      verdict: verdict, lowerIsBetter: j >= 2)
        }
    }

    /// Same curve.csv bytes, the same summary.json apart from wall-clock fields and threads, and the same
    /// probes.json (resume metadata aside) where either side has one.
    static func sameBytes(_ id: String, _ a: ResultsStore, _ b: ResultsStore) -> Bool {
        let fm = FileManager.default
        let ca = fm.contents(atPath: a.trialDir(id).appendingPathComponent("curve.csv").path)
        let cb = fm.contents(atPath: b.trialDir(id).appendingPathComponent("curve.csv").path)
        guard let ca, ca == cb else { return false }
        // How the run went rather than what it computed, at any depth: wall-clock fields (wall_seconds, a
        // solver's seconds), resumed_at, and the threads a trial ran on (one or two give the same bits).
        func withoutClock(_ v: Any) -> Any {
            guard let o = v as? [String: Any] else { return (v as? [Any]).map { $0.map(withoutClock) } ?? v }
            return o.filter { k, _ in !(k.contains("wall") || k.contains("seconds") || k == "resumed_at" || k == "threads") }.mapValues(withoutClock)
        }
        func summary(_ s: ResultsStore) -> NSDictionary? {
            guard let d = fm.contents(atPath: s.trialDir(id).appendingPathComponent("summary.json").path),
                  let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { return nil }
            return withoutClock(o) as? NSDictionary
        }
        guard let sa = summary(a), let sb = summary(b), sa.isEqual(sb) else { return false }
        // probes.json, where either side has one: the same snapshots (resume metadata aside).
        func probes(_ s: ResultsStore) -> NSDictionary? {
            guard let d = fm.contents(atPath: s.trialDir(id).appendingPathComponent("probes.json").path),
                  let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { return nil }
            return o.filter { $0.key != "resumed_at" && $0.key != "note" } as NSDictionary
        }
        let (pa, pb) = (probes(a), probes(b))
        return pa == nil && pb == nil || (pa != nil && pb != nil && pa!.isEqual(pb!))
    }

    /// A metric's values per step over the given trials' curves.
    static func perStep(_ s: ResultsStore, _ ids: [String], _ metric: String) -> [Double: [Double]] {
        var out: [Double: [Double]] = [:]
        for id in ids {
            guard let c = s.curve(id), let st = c.column("step"), let v = c.column(metric) else { continue }
            for (x, y) in zip(st, v) where y.isFinite { out[x, default: []].append(y) }
        }
        return out
    }

    /// The largest difference between two sides' seed means over the points both have (steps or sizes).
    static func curve(_ key: String, _ metric: String, _ pa: [Double: [Double]], _ pb: [Double: [Double]]) -> CurveComparison {
        let steps = Set(pa.keys).intersection(pb.keys).sorted()
        var best = (diff: 0.0, step: nil as Double?, z: nil as Double?)
        var identical = pa.count == pb.count
        for s in steps {
            let x = pa[s]!, y = pb[s]!
            if x != y { identical = false }
            let mx = x.mean, my = y.mean
            let d = abs(my - mx)
            var z: Double? = nil
            if x.count >= 2, y.count >= 2 {
                func variance(_ v: [Double], _ m: Double) -> Double { v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1) }
                let se = (variance(x, mx) / Double(x.count) + variance(y, my) / Double(y.count)).squareRoot()
                if se > 0 { z = d / se }
            }
            if d > best.diff || best.step == nil { best = (d, s, z) }
        }
        return CurveComparison(configuration: key, metric: metric, commonPoints: steps.count, maxDifference: best.diff,
                               at: best.step, maxStandardErrors: best.z, identical: identical && !steps.isEmpty)
    }
}

private extension Array where Element == Double {
    var mean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
}

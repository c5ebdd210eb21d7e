// The contrast of a size-axis and a steps-axis study: what each side measured, as the contrast report
// sets them side by side (the size study's first configuration: its curve, double-descent measures,
// threshold, post-peak minimum; the steps study's configuration that generalized most often: its
// event steps with intervals, the delay, the ratio of the event steps, validation accuracy at
// memorization and at the end). Computed from the same analyses as each study's own report.
import Analysis
import Foundation
import Studies
import Training

/// An estimate with its interval (nil when the data do not define one) and how it was computed.
public struct Estimate: Sendable {
    public var value: Double?
    public var interval: Interval?
    public var method: String
    public init(value: Double?, interval: Interval?, method: String) {
        self.value = value
        self.interval = interval
        self.method = method
    }
    public var json: JSON {
        .object([("value", .num(value)), ("interval", interval.map { .object([("lower", .num($0.lower)), ("upper", .num($0.upper)), ("level", .num($0.level)), ("method", .string($0.method))]) } ?? .null),
                 ("method", .string(method))])
    }
}

/// What the size side measured, from the size study's analyses (its first configuration).
public struct SizeSide: Sendable {
    public var study: String
    public var configuration: String
    public var sizeKey: String
    public var sizes: [Int]
    public var parameters: [Int: Int]
    public var meanTest: [Int: Double]
    public var meanTrain: [Int: Double]
    public var measures: DoubleDescentMeasures
    public var threshold: Int?          // ε = 0
    public var postPeakMinimum: (size: Int, error: Double)?
    /// The first size right of the peak whose error is back at or below the classical minimum.
    public var recoveredAt: Int?
    public var nTrain: Int?
    public var configurations: [(String, DoubleDescentMeasures?)]
    public func params(_ s: Int) -> Int { parameters[s] ?? s }
}

/// What the steps side measured, from the steps study's statistics.
public struct StepsSide: Sendable {
    public var study: String
    public var configuration: ConfigurationStatistics
    public var statistics: StudyStatistics
    public var memorization: String
    public var generalization: String
    public var memo: EventStatistics?
    public var gen: EventStatistics?
    public var memoStep: Estimate
    public var genStep: Estimate
    public var delay: Estimate
    public var ratio: (median: Double, min: Double, max: Double)?
    public var valAtMemo: (mean: Double, min: Double, max: Double)?
    public var finalVal: (mean: Double, min: Double, max: Double)?
    public var chance: Double?
}

public enum ContrastAnalysis {
    public static func range(_ v: [Double]) -> (mean: Double, min: Double, max: Double)? {
        guard !v.isEmpty else { return nil }
        return (v.reduce(0, +) / Double(v.count), v.min()!, v.max()!)
    }

    /// The median step of an event: Kaplan-Meier median with its Brookmeyer-Crowley interval when more
    /// than half reached it, else the median of the reached steps with its BCa bootstrap interval.
    public static func eventStep(_ e: EventStatistics?) -> Estimate {
        guard let e else { return Estimate(value: nil, interval: nil, method: "event not defined") }
        if let m = e.kaplanMeier.median.estimate {
            return Estimate(value: m, interval: e.kaplanMeier.median.interval, method: "Kaplan-Meier median; interval Brookmeyer-Crowley (Greenwood log-log band)" + (e.kaplanMeier.median.interval == nil ? ", undefined with these few trials" : ""))
        }
        return Estimate(value: nil, interval: nil, method: "not reached by more than half of the trials: " + e.kaplanMeier.median.note)
    }

    /// The item with the most trials that generalized, the first among equals (nil for none): the configuration a
    /// contrast compares.
    public static func mostGeneralized<C>(_ items: [C], reached: (C) -> Int) -> C? {
        var best: C? = nil, top = Int.min
        for c in items where reached(c) > top { best = c; top = reached(c) }
        return best
    }

    /// "key=value, ..." of a configuration's point, keys sorted.
    public static func pointKey(_ point: [(String, Value)]) -> String {
        point.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
    }

    /// What the size study measured (its first configuration), from its analyses (the same values its
    /// own report prints).
    public static func sizeSide(_ r: StudyResults, configuration chosen: SizeConfiguration? = nil) throws -> SizeSide {
        let configs = SizeData.configurations(r)
        guard let c0 = chosen ?? configs.first, let m = try? c0.measures() else {
            throw StudyError(nil, "the size study '\(r.study.name)' has no double-descent measures (too few sizes with results)", hint: "run it to the end: descent run \(r.study.file)")
        }
        var side = SizeSide(study: r.study.name, configuration: pointKey(c0.point), sizeKey: Schema.sizeKey(r.study), sizes: [], parameters: [:], meanTest: [:], meanTrain: [:],
                            measures: m, threshold: nil, postPeakMinimum: nil, recoveredAt: nil, nTrain: nil, configurations: [])
        for s in c0.sizes {
            side.sizes.append(s)
            side.parameters[s] = c0.parameters(s)
            side.meanTest[s] = c0.mean(s).isFinite ? c0.mean(s) : nil
            side.meanTrain[s] = c0.meanTrain(s).isFinite ? c0.meanTrain(s) : nil
        }
        side.threshold = m.thresholds.first { $0.epsilon == 0 }?.size.map { Int($0) }
        let right = side.sizes.filter { Double($0) > m.peakSize }
        if let best = right.min(by: { (side.meanTest[$0] ?? .infinity) < (side.meanTest[$1] ?? .infinity) }), let e = side.meanTest[best] {
            side.postPeakMinimum = (best, e)
        }
        if let cm = m.classicalMinimum { side.recoveredAt = right.first { (side.meanTest[$0] ?? .infinity) <= cm } }
        side.nTrain = r.trials.first?.spec.task.trainingExamples
        side.configurations = configs.map { c in (pointKey(c.point), try? c.measures()) }
        return side
    }

    /// What the steps study measured, from its statistics (the same values its own report prints): in the
    /// configuration `key` names, else in the one where generalization was reached most often.
    public static func stepsSide(_ r: StudyResults, statistics: StudyStatistics? = nil, configuration key: String? = nil) throws -> StepsSide {
        let st: StudyStatistics
        if let statistics { st = statistics } else {
            do { st = try StudyStatistics(r) } catch {
                throw StudyError(nil, "the steps study '\(r.study.name)' has no statistics: \(error)", hint: "run it to the end: descent run \(r.study.file)")
            }
        }
        let names = st.events
        let memoName = names.contains("memorization") ? "memorization" : names.first ?? "memorization"
        let genName = names.contains("generalization") ? "generalization" : names.dropFirst().first ?? "generalization"
        // The configuration named, else the one where generalization was reached most often (the first among equals).
        guard let c = key.map({ k in st.configurations.first { $0.key == k } })
                ?? mostGeneralized(st.configurations, reached: { $0.events.first { $0.event == genName }?.reached?.k ?? 0 }) else {
            throw StudyError(nil, "the steps study '\(r.study.name)' has no configuration with results", hint: "run it: descent run \(r.study.file)")
        }
        let memo = c.events.first { $0.event == memoName }, gen = c.events.first { $0.event == genName }
        var side = StepsSide(study: r.study.name, configuration: c, statistics: st, memorization: memoName, generalization: genName, memo: memo, gen: gen,
                             memoStep: eventStep(memo), genStep: eventStep(gen), delay: Estimate(value: nil, interval: nil, method: "needs both events"),
                             ratio: nil, valAtMemo: nil, finalVal: nil, chance: nil)
        if let d = c.delay, d.summary.n > 0 {
            if d.summary.n >= 2, let mi = d.summary.meanInterval {
                side.delay = Estimate(value: d.summary.mean, interval: mi, method: "mean over the trials that reached both; \(mi.method) interval")
            } else {
                side.delay = Estimate(value: d.summary.mean, interval: nil, method: "mean over \(d.summary.n) trial(s) that reached both; no interval with one value")
            }
        }
        var ratios: [Double] = [], vals: [Double] = [], finals: [Double] = []
        for id in c.trialIds {
            let ms = memo?.trials.first { $0.trial == id }?.step, gs = gen?.trials.first { $0.trial == id }?.step
            if let ms, let gs, ms > 0 { ratios.append(Double(gs) / Double(ms)) }
            if let ms, let curve = r.store.curve(id), let st = curve.column("step"), let va = curve.column("val_accuracy"), let i = st.firstIndex(of: Double(ms)) { vals.append(va[i]) }
            if let fv = r.summaries[id]?.final["val_accuracy"] { finals.append(fv) }
        }
        if let rr = range(ratios) {
            let s = ratios.sorted(), n = s.count
            side.ratio = (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, rr.min, rr.max)
        }
        side.valAtMemo = range(vals)
        side.finalVal = range(finals)
        if let task = r.trials.first?.spec.task as? AlgorithmicTask.Config { side.chance = 1 / Double(task.modulus) }
        return side
    }
}

// The test error over steps of a steps-axis study (epoch-wise double descent): a trial's error curve
// (the measured excess risk of a regression trained by gradient descent, else 1 − validation accuracy),
// and the seed mean of the exact expected risk where the runner recorded it.
import Analysis
import Foundation
import Studies

public enum EpochWise {
    /// A trial's test error over steps: the measured excess risk (val_loss) for the linear family trained by
    /// gradient descent, else 1 − validation accuracy (clean labels).
    public static func error(_ c: TrialCurve, _ t: Trial) -> [Double]? {
        if t.spec.fit == .gradientDescent { return c.column("val_loss") }
        return c.column("val_accuracy").map { $0.map { 1 - $0 } }
    }

    /// The seed mean of the exact expected risk (curve column expected_risk) of a configuration, at the steps
    /// every seed evaluated; nil when its trials have no such column.
    public static func expectedRiskCurve(_ r: StudyResults, key: String) -> (steps: [Double], risk: [Double])? {
        var perSeed: [[Double: Double]] = []
        for t in r.trials where t.groupKey == key {
            guard let c = r.store.curve(t.id), let st = c.column("step"), let th = c.column("expected_risk") else { continue }
            perSeed.append(Dictionary(zip(st, th), uniquingKeysWith: { a, _ in a }))
        }
        guard let first = perSeed.first else { return nil }
        let steps = first.keys.filter { s in perSeed.allSatisfy { $0[s] != nil } }.sorted()
        return (steps, steps.map { s in perSeed.map { $0[s]! }.reduce(0, +) / Double(perSeed.count) })
    }
    /// The least prominence (in nats) at which a trial's validation loss counts as rising and falling again.
    public static let lossBumpProminence = 0.05

    /// A rise and fall of a curve: the top's index, how far it rose from the lowest value before it, how far it fell
    /// to the lowest value after it, and the prominence, the smaller of the two.
    public struct Bump: Sendable, Equatable {
        public var peak: Int
        public var rise: Double
        public var fall: Double
        public var prominence: Double { min(rise, fall) }
    }

    /// The most prominent rise and fall of `y` (every value finite, at least 3), the highest top on ties.
    public static func mostProminentBump(_ y: [Double]) -> Bump? {
        guard y.count >= 3, y.allSatisfy(\.isFinite) else { return nil }
        var suffixMin = y
        for j in stride(from: y.count - 2, through: 0, by: -1) { suffixMin[j] = min(y[j], suffixMin[j + 1]) }
        var best: Bump? = nil, low = y[0]
        for j in 1..<(y.count - 1) {
            low = min(low, y[j - 1])
            let b = Bump(peak: j, rise: y[j] - low, fall: y[j] - suffixMin[j + 1])
            if best == nil || b.prominence > best!.prominence || (b.prominence == best!.prominence && y[j] > y[best!.peak]) { best = b }
        }
        return best
    }

    /// A trial's validation loss over steps, when it rises (after memorization, as the network grows confident
    /// on the pairs it has not seen) and falls again (at grokking) by at least `lossBumpProminence`: the step
    /// of its top and the bump, over the finite values (an epoch-wise double descent of the loss).
    public static func validationLossBump(_ c: TrialCurve) -> (step: Double, bump: Bump)? {
        guard let st = c.column("step"), let vl = c.column("val_loss") else { return nil }
        let rows = vl.indices.filter { vl[$0].isFinite }
        guard let b = mostProminentBump(rows.map { vl[$0] }), b.prominence >= lossBumpProminence else { return nil }
        return (st[rows[b.peak]], b)
    }

    /// The seed-mean validation (test) error over steps of every configuration, and its most prominent
    /// fall-rise-fall (see Analysis/FallRiseFall.swift). Steps present in every seed's curve only.
    public static func meanErrorCurves(_ r: StudyResults, trials: [Trial]) -> [(key: String, steps: [Double], error: [Double], shape: FallRiseFall?)] {
        var order: [String] = []
        var groups: [String: [Trial]] = [:]
        for t in trials { if groups[t.groupKey] == nil { order.append(t.groupKey) }; groups[t.groupKey, default: []].append(t) }
        return order.compactMap { key in
            var perSeed: [[Double: Double]] = []
            for t in groups[key]! {
                guard let c = r.store.curve(t.id), let st = c.column("step"), let err = error(c, t) else { continue }
                perSeed.append(Dictionary(zip(st, err), uniquingKeysWith: { a, _ in a }))
            }
            guard let first = perSeed.first else { return nil }
            let steps = first.keys.filter { s in perSeed.allSatisfy { $0[s] != nil } }.sorted()
            let mean = steps.map { s in perSeed.map { $0[s]! }.reduce(0, +) / Double(perSeed.count) }
            return (key, steps, mean, mostProminentFallRiseFall(mean))
        }
    }
}

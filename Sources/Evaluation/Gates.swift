// Evaluating a study's `expect` block against its finished trials. Each verdict says what was counted
// and how, so a failed gate explains itself in the terminal, report.md and junit.xml.
import Foundation
import Studies
import Training

public struct ExpectationResult: Sendable {
    public let expectation: Expectation
    public let passed: Bool
    public let detail: String
}

public enum ExpectationEvaluator {
    public static func evaluate(_ results: StudyResults) -> [ExpectationResult] {
        results.study.expectations.map { evaluate($0, results) }
    }

    static func matching(_ e: Expectation, _ r: StudyResults) -> [Trial] {
        r.trials.filter { t in e.conditions.allSatisfy { $0.holds(t.value(at: $0.path)) } }
    }

    static func pct(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }

    public static func evaluate(_ e: Expectation, _ r: StudyResults) -> ExpectationResult {
        let trials = matching(e, r)
        let scope = e.conditions.isEmpty ? "" : " where " + e.conditions.map(\.description).joined(separator: " and ")
        guard !trials.isEmpty else {
            return ExpectationResult(expectation: e, passed: false, detail: "no trial matches\(scope)")
        }
        let missing = trials.filter { r.summaries[$0.id] == nil }.count
        let missingNote = missing > 0 ? " (\(missing) of them have no result yet and count as not reached)" : ""
        switch e.kind {
        case .reached(let event, let fraction):
            let k = trials.filter { r.summaries[$0.id]?.events[event]?.step != nil }.count
            let f = Double(k) / Double(trials.count)
            return ExpectationResult(expectation: e, passed: f >= fraction,
                                     detail: "\(event) reached in \(k) of \(trials.count) trials\(scope) (\(pct(f))); needed at least \(pct(fraction))\(missingNote)")
        case .order(let first, let then, let fraction):
            // Among the trials that reached `then`: was `first` reached strictly before it?
            var ok = 0, reached = 0
            var bad: [String] = []
            for t in trials {
                guard let s = r.summaries[t.id], let b = s.events[then]?.step else { continue }
                reached += 1
                if let a = s.events[first]?.step, a < b { ok += 1 } else { bad.append("\(t.id): \(first) at \(s.events[first]?.step.map(String.init) ?? "never"), \(then) at \(b)") }
            }
            guard reached > 0 else {
                return ExpectationResult(expectation: e, passed: false, detail: "no trial\(scope) reached \(then), so the order cannot be checked")
            }
            let f = Double(ok) / Double(reached)
            return ExpectationResult(expectation: e, passed: f >= fraction,
                                     detail: "\(first) strictly before \(then) in \(ok) of the \(reached) trials\(scope) that reached \(then) (\(pct(f))); needed at least \(pct(fraction))"
                                        + (bad.isEmpty ? "" : "; out of order: " + bad.prefix(3).joined(separator: "; ")))
        case .atEvent(let event, let metric, let lo, let hi, let fraction):
            var reached = 0, ok = 0
            var values: [Double] = []
            for t in trials {
                guard let s = r.summaries[t.id], let step = s.events[event]?.step,
                      let curve = r.store.curve(t.id), let steps = curve.column("step"), let col = curve.column(metric.rawValue),
                      let i = steps.firstIndex(of: Double(step)) else { continue }
                reached += 1
                let v = col[i]
                values.append(v)
                if (lo.map { v >= $0 } ?? true) && (hi.map { v <= $0 } ?? true) { ok += 1 }
            }
            let bound = [lo.map { "≥ \($0)" }, hi.map { "≤ \($0)" }].compactMap { $0 }.joined(separator: " and ")
            guard reached > 0 else {
                return ExpectationResult(expectation: e, passed: false, detail: "no trial\(scope) reached \(event), so \(metric.rawValue) at it cannot be checked")
            }
            let f = Double(ok) / Double(reached)
            let shown = values.prefix(8).map { String(format: "%.3f", $0) }.joined(separator: ", ")
            return ExpectationResult(expectation: e, passed: f >= fraction,
                                     detail: "\(metric.rawValue) \(bound) at \(event) in \(ok) of \(reached) trials that reached it (\(pct(f)); values \(shown)); needed at least \(pct(fraction))")
        case .trend(let x, let y, let direction, let confidence):
            return trend(e, trials, r, x: x, y: y, direction: direction, confidence: confidence, scope: scope)
        case .size(let kind):
            return SizeExpectationEvaluator.evaluate(e, kind, trials, r, scope: scope)
        }
    }

    /// The trend expectation: `RankTrend` (Spearman's ρ with a one-sided permutation p-value, censored
    /// trials ranked last) over the matching trials, the same test `descent stats` prints for a swept key.
    static func trend(_ e: Expectation, _ trials: [Trial], _ r: StudyResults, x: String, y: String, direction: String,
                      confidence: Double, scope: String) -> ExpectationResult {
        let eventName = y.hasSuffix("_step") ? String(y.dropLast(5)) : nil
        var xs: [Double] = [], ys: [Double?] = []
        for t in trials {
            guard let s = r.summaries[t.id], let xv = t.value(at: x)?.asDouble else { continue }
            if let eventName {
                ys.append(s.events[eventName]?.step.map(Double.init))
            } else {
                guard let v = s.final[y] else { continue }
                ys.append(v)
            }
            xs.append(xv)
        }
        guard let t = RankTrend(x: x, y: y, xs: xs, ys: ys) else {
            return ExpectationResult(expectation: e, passed: false, detail: "too few trials with results (\(xs.count)) or x values (\(Set(xs).count)) for a trend\(scope)")
        }
        let decreasing = direction == "decreasing"
        let p = decreasing ? t.pDecreasing : t.pIncreasing
        let signOK = decreasing ? t.rho < 0 : t.rho > 0
        let passed = signOK && p <= 1 - confidence
        return ExpectationResult(expectation: e, passed: passed,
                                 detail: String(format: "Spearman ρ(%@, %@) = %.3f over %d trials%@ (%d censored, ranked last); one-sided permutation p = %.4f for %@; needed p ≤ %.3f",
                                                x, y, t.rho, t.n, scope, t.censored, p, direction, 1 - confidence))
    }
}

// Evaluating a study's `expect` block against its finished trials. Each verdict says what was counted
// and how, so a failed gate explains itself in the terminal, report.md and junit.xml.
import Foundation
import Linalg
import Studies
import Training

public struct ExpectationResult: Sendable {
    public let expectation: Expectation
    public let passed: Bool
    public let detail: String
}

/// A study's trials with whatever results exist for them.
public struct StudyResults {
    public let study: Study
    public let store: ResultsStore
    public let trials: [Trial]
    public let summaries: [String: TrialSummary]

    public init(study: Study, store: ResultsStore) {
        self.study = study
        self.store = store
        trials = study.trials
        var s: [String: TrialSummary] = [:]
        for t in trials { if let x = store.summary(t.id) { s[t.id] = x } }
        summaries = s
    }

    public var missing: [Trial] { trials.filter { summaries[$0.id] == nil } }

    /// Trials grouped by sweep point, in the study's order.
    public var groups: [(key: String, trials: [Trial])] {
        var order: [String] = []
        var map: [String: [Trial]] = [:]
        for t in trials {
            if map[t.groupKey] == nil { order.append(t.groupKey) }
            map[t.groupKey, default: []].append(t)
        }
        return order.map { ($0, map[$0]!) }
    }
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

    /// Spearman's ρ between x and y over the trials, with a one-sided permutation p-value in the asked
    /// direction (20 000 seeded permutations; ties get average ranks). For y = <event>_step, a trial
    /// that never reached the event is ranked above every trial that did (its step exceeds the budget),
    /// which is the right order for a rank statistic and never averages the budget in as an event step.
    static func trend(_ e: Expectation, _ trials: [Trial], _ r: StudyResults, x: String, y: String, direction: String,
                      confidence: Double, scope: String) -> ExpectationResult {
        var xs: [Double] = [], ys: [Double] = []
        var censored = 0
        let eventName = y.hasSuffix("_step") ? String(y.dropLast(5)) : nil
        for t in trials {
            guard let s = r.summaries[t.id], let xv = t.value(at: x)?.asDouble else { continue }
            if let eventName {
                if let step = s.events[eventName]?.step { ys.append(Double(step)) } else { ys.append(.infinity); censored += 1 }
            } else {
                guard let v = s.final[y] else { continue }
                ys.append(v)
            }
            xs.append(xv)
        }
        guard xs.count >= 3, Set(xs).count >= 2 else {
            return ExpectationResult(expectation: e, passed: false, detail: "too few trials with results (\(xs.count)) or x values (\(Set(xs).count)) for a trend\(scope)")
        }
        let rho = spearman(xs, ys)
        var rng = RNG(seed: 20_231)
        var perm = ys
        var extreme = 0
        let n = 20_000
        for _ in 0..<n {
            rng.shuffle(&perm)
            let rp = spearman(xs, perm)
            if direction == "decreasing" ? rp <= rho + 1e-12 : rp >= rho - 1e-12 { extreme += 1 }
        }
        let p = Double(extreme + 1) / Double(n + 1)
        let signOK = direction == "decreasing" ? rho < 0 : rho > 0
        let passed = signOK && p <= 1 - confidence
        return ExpectationResult(expectation: e, passed: passed,
                                 detail: String(format: "Spearman ρ(%@, %@) = %.3f over %d trials%@ (%d censored, ranked last); one-sided permutation p = %.4f for %@; needed p ≤ %.3f",
                                                x, y, rho, xs.count, scope, censored, p, direction, 1 - confidence))
    }

    public static func ranks(_ v: [Double]) -> [Double] {
        let idx = v.indices.sorted { v[$0] < v[$1] }
        var r = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < idx.count {
            var j = i
            while j + 1 < idx.count && v[idx[j + 1]] == v[idx[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i...j { r[idx[k]] = avg }
            i = j + 1
        }
        return r
    }

    /// Spearman's rank correlation: Pearson's r of the average ranks.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        let rx = ranks(x), ry = ranks(y)
        let n = Double(x.count)
        let mx = rx.reduce(0, +) / n, my = ry.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - my) * (ry[i] - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}

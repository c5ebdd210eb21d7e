// The report of a size-axis study (model-wise double descent): test and train error against the
// parameter count (log x), the seed mean with every seed, the interpolation thresholds (ε = 0 and
// ε = 0.1) and the peak marked, the exact theory beside the measured curve where it exists (linear
// family, minimum norm), the measures of `doubleDescentMeasures` with bootstrap intervals, and a loud
// note where trials did not converge. Also the evaluation of the size-axis expectations.
import Analysis
import Foundation
import Studies
import Training

/// One finished trial of the size axis.
public struct SizeSample: Sendable {
    public let trial: Trial
    public let size: Int
    public let parameters: Int
    public let testError: Double
    public let trainError: Double
    public let converged: Bool
}

/// The trials of one configuration (the sweep point without the size key), by size.
public struct SizeConfiguration: Sendable {
    public let key: String
    public let point: [(String, Value)]
    public let trials: [Trial]
    public let samples: [SizeSample]

    public var sizes: [Int] { Array(Set(samples.map(\.size))).sorted() }
    public func at(_ size: Int) -> [SizeSample] { samples.filter { $0.size == size }.sorted { $0.trial.seedIndex < $1.trial.seedIndex } }
    public func mean(_ size: Int) -> Double { let v = at(size).map(\.testError); return v.reduce(0, +) / Double(max(v.count, 1)) }
    public func meanTrain(_ size: Int) -> Double { let v = at(size).map(\.trainError); return v.reduce(0, +) / Double(max(v.count, 1)) }
    /// Sample standard deviation of the seeds' test errors at a size (0 with one seed).
    public func sd(_ size: Int) -> Double {
        let v = at(size).map(\.testError)
        guard v.count > 1 else { return 0 }
        let m = v.reduce(0, +) / Double(v.count)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }
    public func parameters(_ size: Int) -> Int { at(size).first?.parameters ?? size }
    public var unconverged: [SizeSample] { samples.filter { !$0.converged } }
    public var nTrain: Int { trials.first?.spec.task.trainingExamples ?? 0 }

    /// The sizes the measures use: all of them from the classical minimum on, where the classical
    /// minimum is the lowest seed-mean test error among the sizes below the interpolation threshold
    /// (the smallest size whose mean train error is 0), or, when no size interpolates, the first local
    /// minimum. Tiny models underfit, and their high error on the far left (e.g. width 1-4) is the
    /// left arm of the classical U, not a double-descent peak; left in, it can be the curve's global
    /// maximum. The report says which sizes were left out.
    public var measuredSizes: [Int] {
        let s = sizes
        guard !s.isEmpty else { return s }
        var start = 0
        if let t = s.firstIndex(where: { meanTrain($0) <= 0 }), t > 0 {
            start = (0..<t).min { mean(s[$0]) < mean(s[$1]) }!
        } else if s.firstIndex(where: { meanTrain($0) <= 0 }) == nil {
            while start + 1 < s.count && mean(s[start + 1]) < mean(s[start]) { start += 1 }
        }
        return Array(s[start...])
    }

    /// `doubleDescentMeasures` over `measuredSizes` (paired bootstrap: seed i has the same data at every size).
    public func measures() throws -> DoubleDescentMeasures {
        let data = measuredSizes.map { s in SizeErrors(size: Double(s), testErrors: at(s).map(\.testError), trainErrors: at(s).map(\.trainError)) }
        return try doubleDescentMeasures(data, epsilons: [0, 0.1], level: 0.95, seed: 1, resamples: 2000, resampling: .paired)
    }

    /// The exact expected excess risk of minimum-norm least squares at p (linear family only), else nil.
    public func theory(_ p: Int) -> Double? {
        guard let spec = trials.first?.spec, spec.model.family == "linear", spec.solver?.method == "min_norm",
              let task = spec.task as? GaussianLinearTask.Config else { return nil }
        let n = task.nTrain, r2 = task.signal, s2 = task.noiseVariance, d = task.dimension
        if d == 0 { return LinearRegressionTheory.minimumNormRisk(n: n, p: p, betaNormSquared: r2, noiseVariance: s2).risk }
        return LinearRegressionTheory.minimumNormRisk(n: n, p: p, signalSeen: r2 * Double(p) / Double(d),
                                                      signalMissed: r2 * Double(d - p) / Double(d), noiseVariance: s2).risk
    }
}

public enum SizeData {
    /// The configurations of the given trials (all of the study's by default), in the study's order.
    public static func configurations(_ r: StudyResults, trials: [Trial]? = nil) -> [SizeConfiguration] {
        let sizeKey = Schema.sizeKey(r.study)
        var order: [String] = []
        var groups: [String: [Trial]] = [:]
        for t in trials ?? r.trials {
            let key = t.point.filter { $0.0 != sizeKey }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(t)
        }
        return order.map { key in
            let ts = groups[key]!
            let samples: [SizeSample] = ts.compactMap { t in
                guard let s = r.summaries[t.id], let size = s.raw["size"] as? [String: Any],
                      let test = (size["test_error"] as? NSNumber)?.doubleValue else { return nil }
                return SizeSample(trial: t, size: (size["size"] as? Int) ?? t.value(at: sizeKey)?.asInt ?? 0, parameters: s.parameterCount,
                                  testError: test, trainError: (size["train_error"] as? NSNumber)?.doubleValue ?? .nan,
                                  converged: (size["converged"] as? Bool) ?? false)
            }
            return SizeConfiguration(key: key, point: ts[0].point.filter { $0.0 != sizeKey }, trials: ts, samples: samples)
        }
    }
}

// MARK: - Expectations

enum SizeExpectationEvaluator {
    static func f(_ x: Double?, _ digits: Int = 3) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "—" }
    static func iv(_ i: Interval?) -> String { i.map { "[\(f($0.lower)), \(f($0.upper))]" } ?? "" }
    static func name(_ c: SizeConfiguration) -> String { c.key.isEmpty ? "(single configuration)" : c.key }

    static func evaluate(_ e: Expectation, _ kind: SizeExpectation, _ trials: [Trial], _ r: StudyResults, scope: String) -> ExpectationResult {
        func result(_ ok: Bool, _ detail: String) -> ExpectationResult { ExpectationResult(expectation: e, passed: ok, detail: detail) }
        if case .fallRiseFall(let prom) = kind { return fallRiseFall(e, prom, trials, r, scope: scope) }
        if case .convergedFraction(let frac) = kind {
            let done = trials.compactMap { r.summaries[$0.id] }
            let conv = done.filter { s in ((s.raw["size"] as? [String: Any])?["converged"] as? Bool) ?? (s.status == "done") }.count
            let share = Double(conv) / Double(max(trials.count, 1))
            return result(share >= frac, "\(conv) of \(trials.count) trials\(scope) converged (\(ExpectationEvaluator.pct(share))); needed at least \(ExpectationEvaluator.pct(frac))")
        }
        if case .peakHigher(let higher, let lower) = kind {
            let a = trials.filter { t in higher.allSatisfy { $0.holds(t.value(at: $0.path)) } }
            let b = trials.filter { t in lower.allSatisfy { $0.holds(t.value(at: $0.path)) } }
            let ca = SizeData.configurations(r, trials: a), cb = SizeData.configurations(r, trials: b)
            guard ca.count == 1, cb.count == 1, let ma = try? ca[0].measures(), let mb = try? cb[0].measures() else {
                return result(false, "peak_higher needs exactly one configuration with results on each side (got \(ca.count) and \(cb.count))")
            }
            return result(ma.peakHeight > mb.peakHeight,
                          "peak of \(name(ca[0])): \(f(ma.peakHeight)) \(iv(ma.peakHeightInterval)) at \(Int(ma.peakSize)); peak of \(name(cb[0])): \(f(mb.peakHeight)) \(iv(mb.peakHeightInterval)) at \(Int(mb.peakSize)); needed the first higher")
        }
        let configs = SizeData.configurations(r, trials: trials)
        guard !configs.isEmpty else { return result(false, "no configuration\(scope)") }
        var ok = true
        var parts: [String] = []
        for c in configs {
            guard c.sizes.count >= 2, let m = try? c.measures() else { ok = false; parts.append("\(name(c)): fewer than 2 sizes with results"); continue }
            var pass = false, text = ""
            switch kind {
            case .peakWithin(let lo, let hi):
                let n = Double(c.nTrain)
                pass = m.peakIsInterior && m.peakSize >= lo * n && m.peakSize <= hi * n
                text = "peak at \(Int(m.peakSize)) = \(f(m.peakSize / n, 2)) × n_train \(c.nTrain) (95 % bootstrap interval \(iv(m.peakSizeInterval).replacingOccurrences(of: ".000", with: ""))), height \(f(m.peakHeight)); needed [\(f(lo * n, 0)), \(f(hi * n, 0))]" + (m.peakIsInterior ? "" : " and an interior peak")
            case .peakOverFarRight(let k):
                pass = (m.peakOverFarRight ?? 0) >= k
                text = "peak \(f(m.peakHeight)) at \(Int(m.peakSize)) / largest model \(f(m.farRight)) at \(Int(m.farRightSize)) = \(f(m.peakOverFarRight, 2)) \(iv(m.peakOverFarRightInterval)); needed ≥ \(k)"
            case .peakNearThreshold(let eps, let steps):
                let sizes = c.sizes
                guard let th = m.thresholds.first(where: { $0.epsilon == eps })?.size ?? c.sizes.first(where: { c.meanTrain($0) <= eps }).map(Double.init) else {
                    pass = false; text = "no size reaches mean train error ≤ \(eps): no interpolation threshold"; break
                }
                let ip = sizes.firstIndex(of: Int(m.peakSize))!, it = sizes.firstIndex(of: Int(th))!
                pass = abs(ip - it) <= steps
                text = "peak at \(Int(m.peakSize)) (grid index \(ip)), threshold (mean train error ≤ \(eps)) at \(Int(th)) (index \(it)): \(abs(ip - it)) grid steps apart; needed ≤ \(steps)"
            case .peakProminent:
                let ps = Int(m.peakSize)
                guard let cs = m.classicalMinimumSize.map({ Int($0) }), let cm = m.classicalMinimum else {
                    pass = false; text = "the peak is at the smallest size: no classical minimum to its left"; break
                }
                let fs = Int(m.farRightSize)
                let s1 = max(c.sd(ps), c.sd(cs)), s2 = max(c.sd(ps), c.sd(fs))
                pass = m.peakIsInterior && m.peakHeight - cm > s1 && m.peakHeight - m.farRight > s2
                text = "peak \(f(m.peakHeight)) at \(ps) − classical minimum \(f(cm)) at \(cs) = \(f(m.peakHeight - cm)) vs seed SD \(f(s1)); peak − largest model \(f(m.farRight)) at \(fs) = \(f(m.peakHeight - m.farRight)) vs seed SD \(f(s2)); needed both differences above the SD"
            case .matchesTheory(let z, let dmin):
                var checked = 0, worst = 0.0, worstP = 0, bad: [String] = []
                for p in c.sizes where abs(p - c.nTrain) >= dmin {
                    guard let th = c.theory(p), th.isFinite else { continue }
                    let k = c.at(p).count
                    let se = c.sd(p) / Double(k).squareRoot()
                    let zz = se > 0 ? abs(c.mean(p) - th) / se : (c.mean(p) == th ? 0 : .infinity)
                    checked += 1
                    if zz > worst { worst = zz; worstP = p }
                    if zz > z { bad.append("p = \(p): mean \(f(c.mean(p))) vs theory \(f(th)), \(f(zz, 1)) SE") }
                }
                pass = checked > 0 && bad.isEmpty
                text = "\(checked) sizes with |p − \(c.nTrain)| ≥ \(dmin) checked against the exact min-norm risk; largest deviation \(f(worst, 2)) standard errors (p = \(worstP)); needed ≤ \(z)" + (bad.isEmpty ? "" : "; outside: " + bad.prefix(4).joined(separator: "; "))
            default: break
            }
            ok = ok && pass
            parts.append((configs.count > 1 || !c.key.isEmpty ? "\(name(c)): " : "") + text)
        }
        return result(ok, parts.joined(separator: " | ") + scope)
    }

    /// The seed-mean validation (test) error over steps of every configuration, and its most prominent
    /// fall-rise-fall (see Analysis/FallRiseFall.swift). Steps present in every seed's curve only.
    static func meanErrorCurves(_ r: StudyResults, trials: [Trial]) -> [(key: String, steps: [Double], error: [Double], shape: FallRiseFall?)] {
        var order: [String] = []
        var groups: [String: [Trial]] = [:]
        for t in trials { if groups[t.groupKey] == nil { order.append(t.groupKey) }; groups[t.groupKey, default: []].append(t) }
        return order.compactMap { key in
            var perSeed: [[Double: Double]] = []
            for t in groups[key]! {
                guard let c = r.store.curve(t.id), let st = c.column("step"), let err = epochWiseError(c, t) else { continue }
                perSeed.append(Dictionary(zip(st, err), uniquingKeysWith: { a, _ in a }))
            }
            guard let first = perSeed.first else { return nil }
            let steps = first.keys.filter { s in perSeed.allSatisfy { $0[s] != nil } }.sorted()
            let mean = steps.map { s in perSeed.map { $0[s]! }.reduce(0, +) / Double(perSeed.count) }
            return (key, steps, mean, mostProminentFallRiseFall(mean))
        }
    }

    static func fallRiseFall(_ e: Expectation, _ prom: Double, _ trials: [Trial], _ r: StudyResults, scope: String) -> ExpectationResult {
        let curves = meanErrorCurves(r, trials: trials)
        var found = 0
        let parts = curves.map { c -> String in
            let label = c.key.isEmpty ? "" : "\(c.key): "
            guard let s = c.shape else { return label + "too few evaluations" }
            if s.prominence >= prom { found += 1 }
            return label + "test error \(f(c.error[0])) at step 0 falls to \(f(c.error[s.firstMinimum])) at step \(Int(c.steps[s.firstMinimum])), rises to \(f(c.error[s.peak])) at step \(Int(c.steps[s.peak])), falls to \(f(c.error[s.secondMinimum])) at step \(Int(c.steps[s.secondMinimum])) (prominence \(f(s.prominence)))"
        }
        return ExpectationResult(expectation: e, passed: found > 0,
                                 detail: "\(found) of \(curves.count) configurations\(scope) show a fall-rise-fall of prominence ≥ \(prom) in the seed-mean test error; " + parts.joined(separator: " | "))
    }
}

// MARK: - The report

public enum SizeReportWriter {
    static func f(_ x: Double?, _ d: Int = 3) -> String { SizeExpectationEvaluator.f(x, d) }

    public static func write(_ r: StudyResults, to out: URL? = nil, formats: ReportFormats = .all, command: String? = nil) throws -> ReportOutput {
        let dir = try ReportWriter.reportDirectory(r, out)
        let s = r.study
        let exps = ExpectationEvaluator.evaluate(r)
        let sizeKey = Schema.sizeKey(s)
        let family = s.shape.familyName
        let linear = family == "linear"
        let errorName = linear ? "excess risk" : "0-1 error"
        var figures: [(String, String, String)] = []
        var md = "# \(s.name)\n\n"
        if !s.question.isEmpty { md += "**Question.** \(s.question)\n\n" }
        if !s.description.isEmpty { md += s.description.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
        md += "Profile: `\(s.profile ?? "default")` · axis: size (`\(sizeKey)`) · family: \(family) · trials: \(r.trials.count) (\(r.summaries.count) with results)"
        if let command { md += " · command: `\(command)`" }
        md += "\n\n"
        md += ReportWriter.provenanceMarkdown(r.store)
        if !r.missing.isEmpty {
            md += "> **Incomplete:** \(r.missing.count) of \(r.trials.count) trials have no result; run the study again to finish them.\n\n"
        }
        let configs = SizeData.configurations(r)
        for c in configs where !c.unconverged.isEmpty {
            let list = c.unconverged.prefix(6).map { "\(sizeKey) = \($0.size) seed \($0.trial.seedIndex)" }.joined(separator: ", ")
            md += "> **NOT CONVERGED\(c.key.isEmpty ? "" : " (\(c.key))"):** \(c.unconverged.count) of \(c.samples.count) trials did not meet the convergence criterion (\(list)\(c.unconverged.count > 6 ? ", …" : "")). "
            md += "Their errors are those of unfinished training, so this curve is NOT a curve of converged models: read the peak and the measures below as unreliable, and raise the step budget.\n\n"
        }
        if !exps.isEmpty {
            md += "## Expectations\n\n"
            for x in exps { md += "- \(x.passed ? "pass" : "**FAIL**"): `\(x.expectation.text)` — \(x.detail)\n" }
            md += "\n"
        }
        let figuresAt = md.utf8.count   // the figures go before the tables, once all are drawn
        var configsJSON: [JSON] = []
        for (ci, c) in configs.enumerated() {
            let title = c.key.isEmpty ? "" : " (\(c.key))"
            md += "## Measures\(title)\n\n"
            let m = try? c.measures()
            if let m {
                md += "Seed-mean curves over \(c.measuredSizes.count) sizes; intervals: 95 % bootstrap over seeds (\(m.resamples) resamples, \(m.resampling.rawValue) across sizes).\n\n"
                let left = c.sizes.count - c.measuredSizes.count
                if left > 0 {
                    md += "The \(left) smallest size\(left == 1 ? "" : "s") (\(c.sizes.prefix(left).map(String.init).joined(separator: ", "))) lie left of the classical minimum (the lowest test error below the interpolation threshold; underfitting models); the measures start at \(sizeKey) = \(c.measuredSizes[0]) so that the far-left error is not taken for the peak.\n\n"
                }
                md += "| measure | value | 95 % interval |\n|---|---|---|\n"
                for t in m.thresholds {
                    md += "| interpolation threshold (smallest \(sizeKey) with mean train error ≤ \(t.epsilon)) | \(t.size.map { String(Int($0)) } ?? "not reached") | — |\n"
                }
                if let t0 = m.thresholds.first(where: { $0.epsilon == 0 })?.size, !linear,
                   let k = (c.samples.first.flatMap { r.summaries[$0.trial.id]?.raw["size"] as? [String: Any] }?["classes"] as? Int) {
                    let params = c.parameters(Int(t0))
                    md += "| ε = 0 threshold in parameters / (n·K) | \(params) / (\(c.nTrain)·\(k)) = \(f(Double(params) / Double(c.nTrain * k), 2)) | — |\n"
                }
                // Exact fit: mean squared training residual ≤ 1e-8 (random features), or the linear fit's own interpolation flag.
                func exactFit(_ sm: SizeSample) -> Bool {
                    guard let o = r.summaries[sm.trial.id]?.raw["size"] as? [String: Any] else { return false }
                    if let sq = o["train_squared_error"] as? NSNumber { return sq.doubleValue <= 1e-8 }
                    return family == "linear" && (o["interpolates"] as? Bool ?? false)
                }
                if let exact = c.sizes.first(where: { c.at($0).allSatisfy(exactFit) }) {
                    md += "| exact fit (smallest \(sizeKey) whose every seed fits its training targets exactly, squared loss) | \(exact) | — |\n"
                }
                md += "| test-error peak at \(sizeKey) | \(Int(m.peakSize))\(m.peakIsInterior ? "" : " (at an end: no interior peak)") | \(m.peakSizeInterval.map { "[\(Int($0.lower)), \(Int($0.upper))]" } ?? "—") |\n"
                md += "| peak height (\(errorName)) | \(f(m.peakHeight)) | \(SizeExpectationEvaluator.iv(m.peakHeightInterval)) |\n"
                md += "| classical minimum (left of the peak) | \(f(m.classicalMinimum))\(m.classicalMinimumSize.map { " at \(Int($0))" } ?? "") | — |\n"
                md += "| largest model | \(f(m.farRight)) at \(Int(m.farRightSize)) | — |\n"
                md += "| peak / classical minimum | \(f(m.peakOverClassicalMinimum, 2)) | \(SizeExpectationEvaluator.iv(m.peakOverClassicalMinimumInterval)) |\n"
                md += "| peak / largest model | \(f(m.peakOverFarRight, 2)) | \(SizeExpectationEvaluator.iv(m.peakOverFarRightInterval)) |\n\n"
                for note in m.notes { md += "- note: \(note)\n" }
                if !m.notes.isEmpty { md += "\n" }
            } else {
                md += "Too few sizes with results for the measures.\n\n"
            }
            md += "| \(sizeKey) | parameters | mean test \(errorName) | seed SD | mean train error | seeds (converged) | test per seed |" + (linear ? " exact theory |" : "") + "\n"
            md += "|---|---|---|---|---|---|---|" + (linear ? "---|" : "") + "\n"
            for size in c.sizes {
                let at = c.at(size)
                md += "| \(size) | \(c.parameters(size)) | \(f(c.mean(size))) | \(f(c.sd(size))) | \(f(c.meanTrain(size))) | \(at.count) (\(at.filter(\.converged).count)) | "
                md += at.map { f($0.testError) }.joined(separator: ", ") + " |"
                if linear { md += " \(f(c.theory(size).flatMap { $0.isFinite ? $0 : nil })) |" }
                md += "\n"
            }
            md += "\n" + sizeExtrasSection(c, r, sizeKey: sizeKey)

            // The figure: every seed thin, the mean thick, train error dashed, theory in black.
            let sizes = c.sizes
            let px = sizes.map { Double(c.parameters($0)) }
            var cap: Double? = nil
            if linear {
                let finite = sizes.filter { abs($0 - c.nTrain) >= 5 }.map { c.mean($0) } + sizes.compactMap { c.theory($0) }.filter { $0.isFinite && $0 > 0 }
                cap = 1.5 * (finite.filter { $0.isFinite }.sorted().dropLast(max(0, finite.count / 10)).last ?? 1)
            }
            func clip(_ y: Double) -> Double { cap.map { min(y, $0) } ?? y }
            var chart = Chart(title: (linear ? "Test excess risk, measured and exact," : "Test and train \(errorName)") + " against model size" + title, xLabel: "parameters (log scale)",
                              yLabel: linear ? "excess risk" + (cap.map { " (clipped at \(f($0, 2)))" } ?? "") : "error",
                              xLog: true, yRange: cap.map { (0, $0) } ?? (0, 1))
            let seeds = Array(Set(c.samples.map { $0.trial.seedIndex })).sorted()
            for sd in seeds {
                let pts = sizes.compactMap { size -> (Double, Double)? in
                    c.at(size).first { $0.trial.seedIndex == sd }.map { (Double(c.parameters(size)), clip($0.testError)) }
                }
                chart.series.append(Series(name: "test, seed \(sd)", points: pts, color: "#9ecae1", width: 0.8))
            }
            chart.series.append(Series(name: "test, seed mean", points: Array(zip(px, sizes.map { clip(c.mean($0)) })), color: Palette.color(0), width: 2.4))
            if !linear {
                chart.series.append(Series(name: "train (fitted labels), seed mean", points: Array(zip(px, sizes.map { c.meanTrain($0) })), color: Palette.color(1), dashed: true))
            }
            if linear {
                let th = sizes.compactMap { p -> (Double, Double)? in c.theory(p).flatMap { $0.isFinite ? (Double(c.parameters(p)), clip($0)) : nil } }
                chart.series.append(Series(name: "exact min-norm risk (Hastie et al. 2019)", points: th, color: "#000000", dashed: true, width: 1.4))
                addRidgeTheory(&chart, c, clip)
            }
            // One legend entry for all seeds (a study may have hundreds).
            chart.legend = [("test, each seed", "#9ecae1", false)] + chart.series.filter { !$0.name.hasPrefix("test, seed ") || $0.name == "test, seed mean" }.map { ($0.name, $0.color, $0.dashed) }
            var markerNotes: [String] = []
            if let m {
                for (t, color) in zip(m.thresholds, ["#009E73", "#E69F00"]) {
                    if let ts = t.size { chart.markers.append(Marker(x: Double(c.parameters(Int(ts))), label: "threshold ε = \(t.epsilon)", color: color, labeled: true)); markerNotes.append("\(color == "#009E73" ? "green" : "orange"): interpolation threshold ε = \(t.epsilon) (\(sizeKey) = \(Int(ts)))") }
                }
                chart.markers.append(Marker(x: Double(c.parameters(Int(m.peakSize))), label: "peak", color: "#D55E00", labeled: true))
                markerNotes.append("red: test-error peak (\(sizeKey) = \(Int(m.peakSize)))")
            }
            if !c.unconverged.isEmpty { chart.title = "NOT CONVERGED (\(c.unconverged.count) trials): " + chart.title }
            let file = "figures/size-\(ci + 1).svg"
            figures.append((file, "Test \(errorName) (seeds light, mean dark) and train error (dashed) against parameters\(title); dotted verticals: " + markerNotes.joined(separator: "; ") + ".", chart.svg()))

            var cj: [(String, JSON)] = [("configuration", .object(c.point.map { ($0.0, $0.1.jsonValue) })),
                                        ("unconverged_trials", .int(c.unconverged.count)),
                                        ("curve", .array(sizes.map { size in
                                            .object([("size", .int(size)), ("parameters", .int(c.parameters(size))), ("mean_test", .num(c.mean(size))),
                                                     ("sd_test", .num(c.sd(size))), ("mean_train", .num(c.meanTrain(size))), ("seeds", .int(c.at(size).count)),
                                                     ("theory", .num(c.theory(size)))])
                                        }))]
            cj += sizeExtrasJSON(c, r)
            if let m, let data = try? JSONEncoder().encode(m), let obj = JSON.parse(data) { cj.append(("measures", jsonFromFoundation(obj))) }
            configsJSON.append(.object(cj))
        }
        // Size × steps (Davies et al. 2023), when the trials trained over steps and kept their curves.
        if let c = configs.first, let (hm, caption, _, sentence) = ContrastWriter.heatmap(r, c, threshold: (try? c.measures())?.thresholds.first { $0.epsilon == 0 }?.size.map { Int($0) }) {
            md += "## Test error over size × steps\n\n" + sentence + "\n\n"
            figures.append(("figures/size-steps-heatmap.svg", caption, hm.svg()))
        }
        md = ReportWriter.insertFigures(md, at: figuresAt, figures)
        var files = try ReportWriter.writeDocuments(dir, title: s.name, markdown: md, figures: figures, formats: formats)
        let summary = JSON.object([
            ("study", .string(s.name)), ("question", .string(s.question)), ("axis", .string(s.axis)), ("size_key", .string(sizeKey)),
            ("profile", s.profile.map { .string($0) } ?? .null), ("study_hash", .string(s.hash)),
            ("runs", ReportWriter.provenanceJSON(r.store)),
            ("trials", .int(r.trials.count)), ("trials_with_results", .int(r.summaries.count)),
            ("configurations", .array(configsJSON)),
            ("expectations", .array(exps.map { .object([("expectation", .string($0.expectation.text)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
        ])
        if formats.contains(.json) { try writeAtomically(summary.render() + "\n", to: dir.appendingPathComponent("summary.json")); files.append("summary.json") }
        if formats.contains(.junit) { try writeAtomically(ReportWriter.junit(s, exps), to: dir.appendingPathComponent("junit.xml")); files.append("junit.xml") }
        return ReportOutput(directory: dir, files: files, expectations: exps)
    }

    /// The fall-rise-fall section of a steps-axis report (epoch-wise double descent): the seed-mean test
    /// error per configuration with the detected shape marked. Empty when the study expects no such shape.
    static func epochWiseSection(_ r: StudyResults, figures: inout [(String, String, String)]) -> String {
        let proms = r.study.expectations.compactMap { e -> Double? in if case .size(.fallRiseFall(let p)) = e.kind { return p }; return nil }
        guard let prom = proms.first else { return "" }
        let curves = SizeExpectationEvaluator.meanErrorCurves(r, trials: r.trials)
        var md = "## Test error over steps (epoch-wise double descent)\n\n"
        md += "The seed-mean test error (1 − validation accuracy, clean labels) per configuration; a fall-rise-fall counts when its prominence, min(first fall, rise, second fall), is at least \(prom).\n\n"
        md += "| configuration | first minimum (step, error) | bump (step, error) | second minimum (step, error) | prominence | shape |\n|---|---|---|---|---|---|\n"
        for (i, c) in curves.enumerated() {
            var chart = Chart(title: "Seed-mean test error over steps" + (c.key.isEmpty ? "" : " (\(c.key))"), xLabel: "training step (log scale; step 0 not shown)", yLabel: "test error", xLog: true, yRange: (0, 1))
            chart.series.append(Series(name: "test error, seed mean", points: Array(zip(c.steps, c.error)), color: Palette.color(0), width: 2))
            addEpochWiseTheory(&chart, r, key: c.key)
            if let s = c.shape {
                let yes = s.prominence >= prom
                md += "| \(c.key.isEmpty ? "—" : c.key) | \(Int(c.steps[s.firstMinimum])), \(f(c.error[s.firstMinimum])) | \(Int(c.steps[s.peak])), \(f(c.error[s.peak])) | \(Int(c.steps[s.secondMinimum])), \(f(c.error[s.secondMinimum])) | \(f(s.prominence)) | \(yes ? "**fall-rise-fall**" : "no") |\n"
                if yes {
                    chart.markers = [Marker(x: c.steps[s.firstMinimum], label: "first minimum", color: "#009E73", labeled: true),
                                     Marker(x: c.steps[s.peak], label: "bump", color: "#D55E00", labeled: true),
                                     Marker(x: c.steps[s.secondMinimum], label: "second minimum", color: "#009E73", labeled: true)]
                }
            }
            figures.append(("figures/epochwise-\(i + 1).svg", "Seed-mean test error over steps" + (c.key.isEmpty ? "" : " (\(c.key))") + "; dotted verticals (when the shape holds): first minimum and second minimum (green), the bump (red).", chart.svg()))
        }
        return md + "\n" + epochWiseTheoryTable(r)
    }
}

/// Foundation JSON objects (from JSONSerialization) to the deterministic JSON value, keys sorted.
func jsonFromFoundation(_ o: Any) -> JSON {
    switch o {
    case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, jsonFromFoundation(d[$0]!)) })
    case let a as [Any]: return .array(a.map(jsonFromFoundation))
    case let s as String: return .string(s)
    case let n as NSNumber:
        if ObjectIdentifier(type(of: n)) == ObjectIdentifier(type(of: NSNumber(value: true))) { return .bool(n.boolValue) }
        return .num(n.doubleValue)
    default: return .null
    }
}

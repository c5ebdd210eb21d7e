// Additions to SizeReport.swift, kept apart so that file changes by single calls: the epoch-wise
// regression curves of the linear family trained by gradient descent (test error = the measured excess
// risk, with the exact expected risk beside it), the test error against noisy test labels, and the
// asymptotic ridge risk beside a ridge fit.
import Analysis
import Foundation
import Studies

extension SizeExpectationEvaluator {
    /// A trial's test error over steps: the measured excess risk (val_loss) for the linear family trained by
    /// gradient descent, else 1 − validation accuracy (clean labels).
    static func epochWiseError(_ c: TrialCurve, _ t: Trial) -> [Double]? {
        if t.spec.fit == .gradientDescent { return c.column("val_loss") }
        return c.column("val_accuracy").map { $0.map { 1 - $0 } }
    }

    /// The seed mean of the exact expected risk (curve column expected_risk) of a configuration, at the steps
    /// every seed evaluated; nil when its trials have no such column.
    static func expectedRiskCurve(_ r: StudyResults, key: String) -> (steps: [Double], risk: [Double])? {
        var perSeed: [[Double: Double]] = []
        for t in r.trials where t.groupKey == key {
            guard let c = r.store.curve(t.id), let st = c.column("step"), let th = c.column("expected_risk") else { continue }
            perSeed.append(Dictionary(zip(st, th), uniquingKeysWith: { a, _ in a }))
        }
        guard let first = perSeed.first else { return nil }
        let steps = first.keys.filter { s in perSeed.allSatisfy { $0[s] != nil } }.sorted()
        return (steps, steps.map { s in perSeed.map { $0[s]! }.reduce(0, +) / Double(perSeed.count) })
    }
}

extension SizeReportWriter {
    /// For a regression curve: the exact expected risk beside the measured one, the y axis fitted to both and
    /// named for what it shows. Classification charts are left as they are.
    static func addEpochWiseTheory(_ chart: inout Chart, _ r: StudyResults, key: String) {
        guard let (steps, risk) = SizeExpectationEvaluator.expectedRiskCurve(r, key: key) else { return }
        chart.series.append(Series(name: "exact expected risk, seed mean (gradient descent, Heckel and Yilmaz 2020)",
                                   points: Array(zip(steps, risk)), color: "#000000", dashed: true, width: 1.4))
        let top = (chart.series.flatMap { $0.points.map(\.1) }.filter { $0.isFinite }.max() ?? 1)
        chart.yRange = (0, 1.1 * top)
        chart.yLabel = "test excess risk"
        chart.title = chart.title.replacingOccurrences(of: "test error", with: "test excess risk")
    }

    /// A table of measured against exact expected risk at the shape's three points, for regression configurations.
    static func epochWiseTheoryTable(_ r: StudyResults) -> String {
        let curves = SizeExpectationEvaluator.meanErrorCurves(r, trials: r.trials)
        var md = ""
        for c in curves {
            guard let s = c.shape, let (steps, risk) = SizeExpectationEvaluator.expectedRiskCurve(r, key: c.key) else { continue }
            if md.isEmpty {
                md = "For the linear model trained by gradient descent the test error is the excess risk (β_t − β*)ᵀ D (β_t − β*) of the iterate, and the exact expected risk over the noise, for each seed's design, is drawn beside it (dashed).\n\n"
                md += "| configuration | step | measured (seed mean) | exact expected (seed mean) |\n|---|---|---|---|\n"
            }
            for (label, i) in [("start", 0), ("first minimum", s.firstMinimum), ("bump", s.peak), ("second minimum", s.secondMinimum), ("end", c.steps.count - 1)] {
                let th = steps.firstIndex(of: c.steps[i]).map { risk[$0] }
                md += "| \(c.key.isEmpty ? "—" : c.key) | \(label): \(Int(c.steps[i])) | \(f(c.error[i])) | \(f(th)) |\n"
            }
        }
        return md.isEmpty ? "" : md + "\n"
    }
}

extension SizeReportWriter {
    /// A trial's test error against noisy test labels (summary.json size.test_error_noisy_labels), if recorded.
    static func noisyLabelError(_ s: SizeSample, _ r: StudyResults) -> Double? {
        ((r.summaries[s.trial.id]?.raw["size"] as? [String: Any])?["test_error_noisy_labels"] as? NSNumber)?.doubleValue
    }

    /// The seed means per size of the test error against clean and against noisy test labels, with what the clean
    /// error predicts for the noisy one: a test label flipped with probability q to one of the K − 1 others is
    /// missed unless the prediction was wrong and hit it, so E[noisy] = q + e (1 − qK/(K − 1)) for clean error e.
    /// Nil for a configuration without label noise or without the record.
    static func noisyLabelRows(_ c: SizeConfiguration, _ r: StudyResults) -> [(size: Int, clean: Double, noisy: Double, predicted: Double?)]? {
        guard let q = c.trials.first?.spec.task.labelNoise, q > 0 else { return nil }
        let k = (c.samples.first.flatMap { r.summaries[$0.trial.id]?.raw["size"] as? [String: Any] }?["classes"] as? Int)
        let rows = c.sizes.compactMap { size -> (Int, Double, Double, Double?)? in
            let v = c.at(size).compactMap { s in noisyLabelError(s, r).map { (s.testError, $0) } }
            guard !v.isEmpty else { return nil }
            let clean = v.map(\.0).reduce(0, +) / Double(v.count), noisy = v.map(\.1).reduce(0, +) / Double(v.count)
            return (size, clean, noisy, k.map { q + clean * (1 - q * Double($0) / Double($0 - 1)) })
        }
        return rows.isEmpty ? nil : rows
    }

    static func noisyLabelSection(_ c: SizeConfiguration, _ r: StudyResults, sizeKey: String) -> String {
        guard let rows = noisyLabelRows(c, r) else { return "" }
        var md = "Test error against clean test labels (the curve) and against test labels with the same label noise (drawn once per seed); the last column is what the clean error predicts for the noisy one, q + e (1 − qK/(K − 1)).\n\n"
        md += "| \(sizeKey) | mean test error, clean labels | mean test error, noisy labels | predicted from the clean error |\n|---|---|---|---|\n"
        for row in rows { md += "| \(row.size) | \(f(row.clean)) | \(f(row.noisy)) | \(f(row.predicted)) |\n" }
        return md + "\n"
    }

    static func noisyLabelJSON(_ c: SizeConfiguration, _ r: StudyResults) -> JSON? {
        noisyLabelRows(c, r).map { rows in
            .array(rows.map { .object([("size", .int($0.size)), ("mean_test_clean", .num($0.clean)), ("mean_test_noisy_labels", .num($0.noisy)),
                                       ("predicted_noisy_from_clean", .num($0.predicted))]) })
        }
    }
}

extension SizeReportWriter {
    /// The asymptotic ridge risk at p for a linear, well-specified (task.dimension 0) ridge configuration
    /// (Hastie et al. 2019, Theorem 5, with γ = p/n and the study's λ in (1/n)‖y − Xβ‖² + λ‖β‖²), else nil.
    static func ridgeTheory(_ c: SizeConfiguration, _ p: Int) -> Double? {
        guard let t = c.trials.first(where: { $0.spec.model.size == p }) ?? c.trials.first else { return nil }
        guard t.spec.model.family == "linear", let solver = t.spec.solver, solver.method == "ridge", solver.lambda > 0,
              let task = t.spec.task as? GaussianLinearTask.Config, task.dimension == 0 else { return nil }
        let lambda = solver.lambda, n = task.nTrain, r2 = task.signal, s2 = task.noiseVariance
        return LinearRegressionTheory.ridgeAsymptoticRisk(gamma: Double(p) / Double(n), lambda: lambda, betaNormSquared: r2, noiseVariance: s2).risk
    }

    /// For a ridge configuration: the asymptotic ridge risk drawn in place of the (empty) min-norm curve.
    static func addRidgeTheory(_ chart: inout Chart, _ c: SizeConfiguration, _ clip: (Double) -> Double) {
        let pts = c.sizes.compactMap { p in ridgeTheory(c, p).map { (Double(c.parameters(p)), clip($0)) } }
        guard !pts.isEmpty else { return }
        chart.series.removeAll { $0.name.hasPrefix("exact min-norm risk") && $0.points.isEmpty }
        chart.series.append(Series(name: "asymptotic ridge risk, p/n = γ (Hastie et al. 2019, Thm 5)", points: pts, color: "#000000", dashed: true, width: 1.4))
        chart.title = chart.title.replacingOccurrences(of: "measured and exact", with: "measured and asymptotic (ridge)")
    }

    static func ridgeTheorySection(_ c: SizeConfiguration, sizeKey: String) -> String {
        let rows = c.sizes.compactMap { p in ridgeTheory(c, p).map { (p, $0) } }
        guard !rows.isEmpty else { return "" }
        var md = "Ridge: the measured mean beside the asymptotic ridge risk at γ = p/n (Hastie et al. 2019, Theorem 5; a limit, so at finite n expect a few per cent of difference).\n\n"
        md += "| \(sizeKey) | mean test excess risk | seed SE | asymptotic ridge risk |\n|---|---|---|---|\n"
        for (p, th) in rows { md += "| \(p) | \(f(c.mean(p))) | \(f(c.sd(p) / Double(max(c.at(p).count, 1)).squareRoot())) | \(f(th)) |\n" }
        return md + "\n"
    }

    /// Everything this file adds below a configuration's table.
    static func sizeExtrasSection(_ c: SizeConfiguration, _ r: StudyResults, sizeKey: String) -> String {
        noisyLabelSection(c, r, sizeKey: sizeKey) + ridgeTheorySection(c, sizeKey: sizeKey)
    }

    /// Everything this file adds to a configuration's entry in summary.json.
    static func sizeExtrasJSON(_ c: SizeConfiguration, _ r: StudyResults) -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        if let nj = noisyLabelJSON(c, r) { out.append(("noisy_label_test", nj)) }
        let ridge = c.sizes.compactMap { p in ridgeTheory(c, p).map { JSON.object([("size", .int(p)), ("asymptotic_ridge_risk", .num($0))]) } }
        if !ridge.isEmpty { out.append(("ridge_theory", .array(ridge))) }
        return out
    }
}

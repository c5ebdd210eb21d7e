// Additions to SizeReport.swift, kept apart so that file changes by single calls: the epoch-wise
// regression curves of the linear family trained by gradient descent (test error = the measured excess
// risk, with the exact expected risk beside it), the test error against noisy test labels, and the
// asymptotic ridge risk beside a ridge fit.
import Analysis
import Evaluation
import Foundation
import Studies

extension SizeReportWriter {
    /// For a regression curve: the exact expected risk beside the measured one, the y axis fitted to both and
    /// named for what it shows. Classification charts are left as they are.
    static func addEpochWiseTheory(_ chart: inout Chart, _ r: StudyResults, key: String) {
        guard let (steps, risk) = EpochWise.expectedRiskCurve(r, key: key) else { return }
        chart.series.append(Series(name: "exact expected risk, seed mean (gradient descent, Heckel and Yilmaz 2020)",
                                   points: Array(zip(steps, risk)), color: "#000000", dashed: true, width: 1.4))
        let top = (chart.series.flatMap { $0.points.map(\.1) }.filter { $0.isFinite }.max() ?? 1)
        chart.yRange = (0, 1.1 * top)
        chart.yLabel = "test excess risk"
        chart.title = chart.title.replacingOccurrences(of: "test error", with: "test excess risk")
    }

    /// A table of measured against exact expected risk at the shape's three points, for regression configurations.
    static func epochWiseTheoryBlocks(_ r: StudyResults) -> [Block] {
        let curves = EpochWise.meanErrorCurves(r, trials: r.trials)
        var table = Table(["configuration", "step", "measured (seed mean)", "exact expected (seed mean)"])
        for c in curves {
            guard let s = c.shape, let (steps, risk) = EpochWise.expectedRiskCurve(r, key: c.key) else { continue }
            for (label, i) in [("start", 0), ("first minimum", s.firstMinimum), ("bump", s.peak), ("second minimum", s.secondMinimum), ("end", c.steps.count - 1)] {
                let th = steps.firstIndex(of: c.steps[i]).map { risk[$0] }
                table.add([c.key.isEmpty ? "—" : c.key, "\(label): \(Int(c.steps[i]))", f(c.error[i]), f(th)])
            }
        }
        guard !table.rows.isEmpty else { return [] }
        return [.paragraph("For the linear model trained by gradient descent the test error is the excess risk (β_t − β*)ᵀ D (β_t − β*) of the iterate, and the exact expected risk over the noise, for each seed's design, is drawn beside it (dashed)."),
                .table(table)]
    }
}

extension SizeReportWriter {
    static func noisyLabelBlocks(_ c: SizeConfiguration, _ r: StudyResults, sizeKey: String) -> [Block] {
        guard let rows = SizeData.noisyLabelRows(c, r) else { return [] }
        let table = Table([sizeKey, "mean test error, clean labels", "mean test error, noisy labels", "predicted from the clean error"],
                          rows: rows.map { [String($0.size), f($0.clean), f($0.noisy), f($0.predicted)] })
        return [.paragraph("Test error against clean test labels (the curve) and against test labels with the same label noise (drawn once per seed); the last column is what the clean error predicts for the noisy one, q + e (1 − qK/(K − 1))."),
                .table(table)]
    }

    static func noisyLabelJSON(_ c: SizeConfiguration, _ r: StudyResults) -> JSON? {
        SizeData.noisyLabelRows(c, r).map { rows in
            .array(rows.map { .object([("size", .int($0.size)), ("mean_test_clean", .num($0.clean)), ("mean_test_noisy_labels", .num($0.noisy)),
                                       ("predicted_noisy_from_clean", .num($0.predicted))]) })
        }
    }
}

extension SizeReportWriter {
    /// For a ridge configuration: the asymptotic ridge risk drawn in place of the (empty) min-norm curve.
    static func addRidgeTheory(_ chart: inout Chart, _ c: SizeConfiguration, _ clip: (Double) -> Double) {
        let pts = c.sizes.compactMap { p in SizeData.ridgeTheory(c, p).map { (Double(c.parameters(p)), clip($0)) } }
        guard !pts.isEmpty else { return }
        chart.series.removeAll { $0.name.hasPrefix("exact min-norm risk") && $0.points.isEmpty }
        chart.series.append(Series(name: "asymptotic ridge risk, p/n = γ (Hastie et al. 2019, Thm 5)", points: pts, color: "#000000", dashed: true, width: 1.4))
        chart.title = chart.title.replacingOccurrences(of: "measured and exact", with: "measured and asymptotic (ridge)")
    }

    static func ridgeTheoryBlocks(_ c: SizeConfiguration, sizeKey: String) -> [Block] {
        let rows = c.sizes.compactMap { p in SizeData.ridgeTheory(c, p).map { (p, $0) } }
        guard !rows.isEmpty else { return [] }
        let table = Table([sizeKey, "mean test excess risk", "seed SE", "asymptotic ridge risk"],
                          rows: rows.map { p, th in [String(p), f(c.mean(p)), f(c.sd(p) / Double(max(c.at(p).count, 1)).squareRoot()), f(th)] })
        return [.paragraph("Ridge: the measured mean beside the asymptotic ridge risk at γ = p/n (Hastie et al. 2019, Theorem 5; a limit, so at finite n expect a few per cent of difference)."),
                .table(table)]
    }

    /// Everything this file adds below a configuration's table.
    static func sizeExtrasBlocks(_ c: SizeConfiguration, _ r: StudyResults, sizeKey: String) -> [Block] {
        noisyLabelBlocks(c, r, sizeKey: sizeKey) + ridgeTheoryBlocks(c, sizeKey: sizeKey)
    }

    /// Everything this file adds to a configuration's entry in summary.json.
    static func sizeExtrasJSON(_ c: SizeConfiguration, _ r: StudyResults) -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        if let nj = noisyLabelJSON(c, r) { out.append(("noisy_label_test", nj)) }
        let ridge = c.sizes.compactMap { p in SizeData.ridgeTheory(c, p).map { JSON.object([("size", .int(p)), ("asymptotic_ridge_risk", .num($0))]) } }
        if !ridge.isEmpty { out.append(("ridge_theory", .array(ridge))) }
        return out
    }
}

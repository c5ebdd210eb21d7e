// Figures shared by the steps report and the contrast report: Kaplan-Meier step plots of "not yet
// reached" with their Greenwood bands, and the scatter of event steps against a swept key with the
// best-AIC law and its band.
import Analysis
import Evaluation
import Foundation

enum Figures {
    /// One step curve per (name, estimate), its pointwise band shaded, censored times as rings.
    static func kaplanMeier(title: String, event: String, curves: [(String, KaplanMeier)]) -> Chart {
        var chart = Chart(title: title, xLabel: "training step (log scale)", yLabel: "share of trials without \(event)", xLog: true, yRange: (0, 1))
        // S(t) = 1 before the first time anything happened; every curve starts half a decade before the earliest.
        let start = (curves.flatMap { $0.1.rows.map(\.time) }.filter { $0 > 0 }.min() ?? 1) / pow(10, 0.5)
        for (i, (name, km)) in curves.enumerated() {
            let rows = km.rows.filter { $0.time > 0 }
            guard !rows.isEmpty else { continue }
            let color = Palette.color(i)
            chart.series.append(Series(name: name, points: [(start, 1)] + rows.map { ($0.time, $0.survival) }, color: color, width: 2))
            chart.series[chart.series.count - 1].step = true
            let band = [(start, 1.0, 1.0)] + rows.map { r in (r.time, r.interval?.lower ?? r.survival, r.interval?.upper ?? r.survival) }
            var b = Band(name: "\(name): \(Int((km.level * 100).rounded())) % interval", points: band, color: color)
            b.step = true
            chart.bands.append(b)
            let censored = rows.filter { $0.censored > 0 }
            if !censored.isEmpty {
                var c = Series(name: "\(name): censored (budget ran out)", points: censored.map { ($0.time, $0.survival) }, color: color, dots: true)
                c.hollow = true
                chart.series.append(c)
            }
        }
        return chart
    }

    /// Event steps against a swept key: reached (dots) and censored at the budget (rings: the step lies
    /// beyond), the best least-squares law by AIC and a band of ± z·σ of its log-T residuals.
    static func lawScatter(key: String, event: String, points: [LawPoint], laws: LawComparison?, z: Double = 1.959964) -> (Chart, String) {
        var chart = Chart(title: "Steps to \(event) against \(key)", xLabel: key, yLabel: "\(event) step")
        chart.series.append(Series(name: "reached", points: points.filter { !$0.censored }.map { ($0.x, $0.t) }, color: Palette.color(0), dots: true))
        let cens = points.filter(\.censored)
        if !cens.isEmpty {
            var c = Series(name: "censored at the budget (the step lies above)", points: cens.map { ($0.x, $0.t) }, color: Palette.color(1), dots: true)
            c.hollow = true
            chart.series.append(c)
        }
        var caption = "Each trial's \(event) step against \(key) (rings: never reached within the budget, drawn at the last step)."
        let xs = points.map(\.x)
        if let best = laws?.fits.first(where: { $0.law == laws?.best }), let lo = xs.min(), let hi = xs.max(), hi > lo {
            let grid = (0...60).map { lo + (hi - lo) * Double($0) / 60 }
            let fitted = grid.compactMap { x in best.predict(x).map { (x, $0) } }
            chart.series.append(Series(name: "best law by AIC: \(best.formula)", points: fitted, color: "#000000", width: 1.8))
            if let sigma = best.sigma, sigma.isFinite {
                chart.bands.append(Band(name: "± \(String(format: "%.2f", z)) σ of log T (σ = \(String(format: "%.3f", sigma)))",
                                        points: fitted.map { ($0.0, $0.1 * exp(-z * sigma), $0.1 * exp(z * sigma)) }, color: "#000000"))
            }
            caption += " Black: \(best.formula) fitted to log T by least squares on the reached trials (smallest AIC); band: the fit times exp(± \(String(format: "%.2f", z)) σ), σ the residual SD of log T (an approximate 95 % prediction band)."
        }
        return (chart, caption)
    }
}

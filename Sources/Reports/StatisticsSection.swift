// The statistics section of a step-axis report: event rates with Clopper-Pearson intervals, Kaplan-Meier
// medians, summaries of the reached steps, the delay, the transition sharpness, and the fitted laws of
// steps-to-generalize against each swept key. Every interval is printed with its method and level.
import Analysis
import Evaluation
import Foundation
import Studies

enum StatisticsSection {
    static func g(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        if abs(v) >= 1e5 || (abs(v) < 1e-3 && v != 0) { return String(format: "%.3g", v) }
        return v == v.rounded() ? String(Int(v)) : String(format: abs(v) >= 100 ? "%.0f" : "%.3g", v)
    }

    static func iv(_ i: Interval?) -> String {
        guard let i else { return "" }
        return " [\(g(i.lower)), \(g(i.upper))]"
    }

    /// "95 % Clopper-Pearson" style label.
    static func label(_ i: Interval?) -> String {
        guard let i else { return "" }
        return "\(g(100 * i.level)) % \(i.method)"
    }

    static func section(_ st: StudyStatistics) -> Section {
        var section = Section("Statistics")
        section.blocks.append(.paragraph("Event steps: \(st.eventStepMethod). Censoring: \(st.censoringMethod)."))
        var events = Table(["configuration", "event", "reached k/n", "Kaplan-Meier median step", "mean of reached steps", "median of reached steps"])
        var methods = Set<String>()
        for c in st.configurations {
            for e in c.events {
                let reached = e.reached.map { "\($0.k)/\($0.n) (\(g(100 * $0.estimate)) %)\(iv($0.interval))" } ?? "—"
                if let i = e.reached?.interval { methods.insert("k/n: " + label(i)) }
                let km = e.kaplanMeier.median
                var kmText = km.estimate.map { g($0) } ?? "not reached"
                if let i = km.interval { kmText += iv(i); methods.insert("Kaplan-Meier median: " + label(i)) }
                else if km.estimate != nil { kmText += " [\(g(km.lowerBound)), \(km.upperBound.map { g($0) } ?? "not reached")]" }
                let s = e.reachedSteps
                let mean = s.mean.map { g($0) + iv(s.meanInterval) } ?? "—"
                if let i = s.meanInterval { methods.insert("mean: " + label(i)) }
                let median = s.median.map { g($0) + iv(s.medianBCaInterval ?? s.medianPercentileInterval) } ?? "—"
                if let i = s.medianBCaInterval ?? s.medianPercentileInterval { methods.insert("median: " + label(i)) }
                events.add([c.key.isEmpty ? "(single)" : c.key, e.event, reached, kmText, mean, median])
            }
        }
        section.blocks += [.table(events), .paragraph("Intervals: " + methods.sorted().joined(separator: "; ") + ".")]

        // Delay and sharpness of the transition.
        var delays = Table(["configuration", "mean delay (steps)", "logistic midpoint of validation accuracy (steps)", "width (decades of steps)", "trials fitted"])
        for c in st.configurations {
            var d = "—"
            if let s = c.delay?.summary, let mean = s.mean { d = g(mean) + iv(s.meanInterval) }
            let m = c.transition.midpoints.mean.map { g($0) + iv(c.transition.midpoints.meanInterval) } ?? "—"
            let w = c.transition.widths.mean.map { String(format: "%.3f", $0) + (c.transition.widths.meanInterval.map { String(format: " [%.3f, %.3f]", $0.lower, $0.upper) } ?? "") } ?? "—"
            delays.add([c.key.isEmpty ? "(single)" : c.key, d, m, w, "\(c.transition.fits.count) of \(c.trialsWithResults)"])
        }
        section.blocks += [.table(delays), .paragraph("Delay: generalization step − memorization step, per trial where both were reached. Transition: \(StudyStatistics.transitionMethod).")]

        for sw in st.sweeps {
            guard let laws = sw.laws else {
                if !sw.logRank.isEmpty {
                    section.blocks += [.heading("Log-rank tests on \(sw.key)"),
                                       .paragraph("Each compares the time to an event between two groups of trials, pooled over the other swept keys; censored trials count until their budget. Observed against expected events under equal hazards:"),
                                       .list(sw.logRank.map(logRankLine))]
                }
                continue
            }
            section.blocks += [.heading("\(sw.event ?? "event") step against \(sw.key)"),
                               .paragraph("\(sw.observed) trials reached the event, \(sw.censored) are censored.")]
            var fitsTable = Table(["law", "fit", "AIC", "ΔAIC", "Akaike weight", "parameters"])
            for (kind, fits) in [("least squares in log T, censored points excluded", laws.fits), ("censored likelihood (Tobit), all points", laws.censoredFits)] {
                for f in fits {
                    let params = f.parameters.map { p in "\(p.name) = \(g(p.estimate))" + (p.standardError.map { " ± \(g($0))" } ?? "") + iv(p.interval) }.joined(separator: "; ")
                    fitsTable.add([f.formula, kind, g(f.aic), g(f.deltaAIC), f.akaikeWeight.map { String(format: "%.2f", $0) } ?? "—", params])
                }
            }
            section.blocks.append(.table(fitsTable))
            var best = ""
            if let b = laws.best { best += "Best law by AIC (least squares): **\(b.formula)**. " }
            if let b = laws.bestCensored { best += "With the censored points: **\(b.formula)**. " }
            if !best.isEmpty { section.blocks.append(.paragraph(best)) }
            var items = laws.notes + sw.notes
            if let t = sw.trend {
                items.append("Trend of the reached steps (censored trials left out: \(sw.censored); Spearman and the slope of log10 step must agree): **\(t.direction.rawValue)** at \(g(100 * t.level)) % — \(t.reason)")
            }
            if let t = sw.rankTrend { items.append(t.sentence) }
            section.blocks.append(.list(items + sw.logRank.map(logRankLine)))
        }
        if !st.notes.isEmpty { section.blocks.append(.list(st.notes)) }
        return section
    }

    /// One log-rank comparison: the groups, their observed and expected events, χ² and p.
    static func logRankLine(_ lr: LogRankComparison) -> String {
        let t = lr.test
        func side(_ i: Int, _ name: String) -> String {
            let o = i < t.observed.count ? "\(t.observed[i])" : "—", e = i < t.expected.count ? g(t.expected[i]) : "—"
            return "\(name): \(o) of \(lr.trials[i]) trials reached it (expected \(e))"
        }
        return "Log-rank test of \(lr.event), \(side(0, lr.first)) against \(side(1, lr.last)): χ² = \(g(t.chiSquare)), p = \(g(t.pValue))"
    }
}

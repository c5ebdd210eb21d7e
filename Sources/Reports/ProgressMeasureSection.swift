// "Which measure predicts generalization": the progress measures of a study's trials at memorization,
// ranked by Harrell's C against the censored generalization step (Evaluation/ProgressMeasures.swift).
import Evaluation
import Foundation
import Studies

enum ProgressMeasureSection {
    static let flatness: Set<String> = ["hessian_top_eigenvalue", "sharpness"]

    static func section(_ k: ProgressMeasureRanking) throws -> (Section, JSON) {
        var blocks: [Block] = []
        blocks.append(.paragraph("Each measure's value at the trial's \(k.anchor) snapshot (probes.json) against the step at which it reached \(k.event), censored at its budget when it never did, by Harrell's concordance index C over \(k.trials) trials (\(k.reached) of them reached \(k.event)\(k.leftOut > 0 ? "; \(k.leftOut) without the snapshot left out" : "")): C = 1 when a higher value always means sooner \(k.event), 0 when it always means later, 1/2 when the measure orders nothing. Ranked by |C − 1/2|, with a 95 % bootstrap interval over trials; an interval that holds 1/2 cannot tell the measure from noise."))
        func table(_ measures: [MeasurePrediction]) -> Table {
            let within = measures.contains { $0.withinConfiguration != nil }
            var table = Table(["rank", "measure", "what it is", "trials", "comparable pairs", "C", "95 % interval", "a higher value means"]
                              + (within ? ["C within configurations (pairs) [95 %]"] : []))
            for (i, m) in measures.enumerated() {
                let interval = m.lower.map { lo in String(format: "[%.2f, %.2f]", lo, m.upper ?? .nan) } ?? "—"
                var row = [String(i + 1), "`\(m.measure)`", m.about, String(m.trials), String(m.concordance.comparable),
                           m.concordance.c.map { String(format: "%.2f", $0) } ?? "—", interval, m.higherMeans == "none" ? "no order" : "\(m.higherMeans) \(k.event)"]
                if within {
                    row.append(m.withinConfiguration.flatMap { w in w.c.map { c in
                        String(format: "%.2f (%d)", c, w.comparable) + (m.withinLower.map { String(format: " [%.2f, %.2f]", $0, m.withinUpper ?? .nan) } ?? "") } } ?? "—")
                }
                table.add(row)
            }
            return table
        }
        blocks.append(.table(table(k.measures)))
        if let best = k.measures.first, let c = best.concordance.c {
            let decisive = k.measures.filter { m in m.lower.map { $0 > 0.5 } == true || m.upper.map { $0 < 0.5 } == true }.map(\.measure)
            var s = "At \(k.anchor) the measure that best predicts \(k.event) is `\(best.measure)` (C = \(String(format: "%.2f", c)): a higher value means \(best.higherMeans) \(k.event)). "
            if let f = k.measures.firstIndex(where: { flatness.contains($0.measure) }) {
                s += f == 0 ? "A flatness measure ranks first, as Power et al. suggest. "
                            : "The best flatness measure, `\(k.measures[f].measure)`, ranks \(f + 1) of \(k.measures.count): not first, as Power et al. suggest it would be. "
            }
            s += decisive.isEmpty ? "No measure's interval excludes 1/2: these trials cannot tell the measures from noise."
                                  : "Intervals that exclude 1/2: " + decisive.map { "`\($0)`" }.joined(separator: ", ") + "."
            // Within configurations: what a measure says about the seeds of one setting, beyond the setting itself.
            let within = k.measures.filter { $0.withinConfiguration?.c != nil }
            if let top = within.max(by: { abs($0.withinConfiguration!.c! - 0.5) < abs($1.withinConfiguration!.c! - 0.5) }), let wc = top.withinConfiguration?.c {
                let holds = within.filter { m in m.withinLower.map { $0 > 0.5 } == true || m.withinUpper.map { $0 < 0.5 } == true }.map { "`\($0.measure)`" }
                s += String(format: " Within configurations (pairs of seeds of the same setting only, so the sweep's own effect is left out) the strongest is `%@` (C = %.2f over %d pairs); ", top.measure, wc, top.withinConfiguration!.comparable)
                s += holds.isEmpty ? "no measure's within-configuration interval excludes 1/2." : "intervals that exclude 1/2 there: " + holds.joined(separator: ", ") + "."
            }
            blocks.append(.paragraph(s))
        }
        if !k.landmarks.isEmpty {
            blocks.append(.paragraph("Later landmarks: the measures curve.csv records at every evaluation, read at the first evaluation at or after a multiple of each trial's \(k.anchor) step, over the trials that had not yet reached \(k.event) there (landmark analysis: no value is read after the event it is to predict)."))
            for l in k.landmarks {
                blocks.append(.paragraph("**At \(l.multiple) × the \(k.anchor) step**: \(l.atRisk) trials still at risk, \(l.reached) of them reached \(k.event) later."))
                blocks.append(.table(table(l.measures)))
            }
        }
        if !k.leads.isEmpty {
            var text = "Lead times: where each measure's trajectory changes regime against where validation accuracy's does, per trial that reached \(k.event) (\(ProgressMeasureRanking.leadMethod))."
            if let v = k.medianValidationChange, let e = k.medianEventStep {
                text += String(format: " Validation accuracy's change point has median step %.0f; the %@ event, %.0f.", v, k.event, e)
            }
            blocks.append(.paragraph(text))
            var table = Table(["measure", "what it is", "trials", "median lead (steps)", "95 % interval", "median lead / validation change step", "changed first"])
            for l in k.leads {
                let interval = l.lower.map { lo in String(format: "[%.0f, %.0f]", lo, l.upper ?? .nan) } ?? "—"
                table.add(["`\(l.measure)`", l.about, String(l.trials), String(format: "%.0f", l.medianLead), interval,
                           String(format: "%.2f", l.medianShare), "\(l.first)/\(l.trials)"])
            }
            blocks.append(.table(table))
            let leading = k.leads.filter { ($0.lower ?? -1) > 0 }.map { String(format: "`%@` (median %.0f steps)", $0.measure, $0.medianLead) }
            blocks.append(.paragraph(leading.isEmpty ? "No measure's change point comes before validation accuracy's with an interval above 0."
                                                     : "Measures whose change comes before validation accuracy's, the interval above 0: " + leading.joined(separator: ", ") + "."))
        }
        let json = JSON.raw(String(decoding: try JSONEncoder.sorted.encode(k), as: UTF8.self))
        return (Section("Which measure predicts \(k.event)", blocks), json)
    }
}

// The size × steps plane of a size-axis study trained by steps: a heatmap of test error per configuration,
// and a table reading the two cuts from the same trials, the model-wise one (error at the end against size)
// and the step-wise one of each size (error against steps): where each over-fits and recovers, and when
// each size generalizes.
import Evaluation
import Foundation
import Studies

extension SizeReportWriter {
    /// The plane's section, figures and JSON (nil when the trials kept no curves over steps).
    static func planeSection(_ r: StudyResults, _ configs: [SizeConfiguration], figures: inout [Figure]) -> (Section, JSON)? {
        let planes = Plane.of(r, event: r.study.events.contains { $0.name == "generalization" } ? "generalization" : r.study.events.last?.name ?? "generalization")
        guard !planes.isEmpty else { return nil }
        var section = Section("Test error over size × steps", [.paragraph("Each heatmap's last column is the model-wise curve at the end of training. "
            + "A cut over-fits and recovers when its test error falls, rises and falls again by at least \(f(Plane.minimumProminence, 2)) (its prominence).")])
        var json: [JSON] = []
        for (ci, c) in configs.enumerated() {
            let threshold = (try? c.measures())?.thresholds.first { $0.epsilon == 0 }?.size.map { Int($0) }
            if let (hm, caption, hj, sentence) = ContrastWriter.heatmap(r, c, threshold: threshold) {
                section.blocks.append(.paragraph((c.key.isEmpty ? "" : "**\(c.key)**: ") + sentence))
                let file = ci == 0 ? "figures/size-steps-heatmap.svg" : "figures/size-steps-heatmap-\(ci + 1).svg"
                figures.append(Figure(file: file, caption: caption + (c.key.isEmpty ? "" : " Configuration \(c.key)."), svg: hm.svg()))
                json.append(.object([("configuration", .string(c.key)), ("heatmap", hj)]))
            }
            guard let p = planes.first(where: { $0.configuration == c.key }) else { continue }
            section.blocks.append(.paragraph(planeSentence(p, threshold: threshold)))
            var t = Table([p.sizeKey, "parameters", "error at the end", "lowest error (step)", "step-wise: first minimum (step, error)", "top (step, error)", "later minimum (step, error)", "prominence", "generalized", "median generalization step"])
            for cut in p.cuts {
                let recovers = (cut.prominence ?? 0) >= Plane.minimumProminence
                func pt(_ v: [Double]?) -> String { v.map { "\(Int($0[0])), \(f($0[1]))" } ?? "—" }
                t.add([String(cut.size), String(cut.parameters), f(cut.finalError), "\(f(cut.bestError)) (\(Int(cut.bestStep)))",
                       recovers ? pt(cut.firstMinimum) : "—", recovers ? pt(cut.top) : "—", recovers ? pt(cut.secondMinimum) : "—",
                       f(cut.prominence), "\(cut.generalized)/\(cut.seeds)", cut.medianGeneralizationStep.map { String(Int($0)) } ?? "not reached by half"])
            }
            section.blocks.append(.table(t))
            if let data = try? JSONEncoder().encode(p), let obj = JSON.parse(data) { json.append(jsonFromFoundation(obj)) }
        }
        section.blocks.append(.paragraph("Method: " + Plane.method + "."))
        return (section, .array(json))
    }

    /// Where the two cuts of one configuration over-fit and recover, in words.
    static func planeSentence(_ p: Plane, threshold: Int?) -> String {
        var s = p.configuration.isEmpty ? "" : "**\(p.configuration)**: "
        if p.modelWiseRecovers, let top = p.modelWiseTop {
            s += "The model-wise cut (error at the end) rises by \(f(p.modelWiseRise)) to its top at \(p.sizeKey) = \(top) and falls by \(f(p.modelWiseFall)) after it"
            s += threshold.map { top == $0 ? ", at the interpolation threshold" : ", the interpolation threshold being \(p.sizeKey) = \($0)" } ?? ""
            s += ". "
        } else {
            let bump = min(p.modelWiseRise ?? 0, p.modelWiseFall ?? 0) > 0 ? p.modelWiseTop : nil
            s += "The model-wise cut (error at the end) does not rise and fall again by \(f(Plane.minimumProminence, 2)) or more" + (bump.map { " (its largest bump, at \(p.sizeKey) = \($0), rises \(f(p.modelWiseRise)) and falls \(f(p.modelWiseFall)))" } ?? "") + ". "
        }
        let rec = p.stepWiseRecoveries
        s += rec.isEmpty ? "No size's step-wise cut over-fits and recovers. "
            : "The step-wise cut over-fits and recovers at \(rec.count) of \(p.cuts.count) sizes (" + rec.map { "\($0.size): top at step \(Int($0.top![0]))" }.joined(separator: ", ") + "). "
        if let t = p.generalizationTrend, t.censored == t.n {
            s += "No trial generalized within its budget, so whether larger models generalize sooner is not measured here."
        } else if let t = p.generalizationTrend {
            s += String(format: "Larger models generalize %@: Spearman ρ(%@, step) = %.2f over %d trials (%d never generalized, ranked last), one-sided permutation p = %.4f.",
                        t.rho < 0 ? "sooner" : "later or no sooner", p.sizeKey, t.rho, t.n, t.censored, t.rho < 0 ? t.pDecreasing : t.pIncreasing)
        }
        return s
    }
}

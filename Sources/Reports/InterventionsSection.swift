// The interventions section of a steps report for a study with arms: the table (k/n, Kaplan-Meier
// median, speed-up over the matched arm with its bootstrap interval, Holm-adjusted log-rank, the
// published figure beside it), and per sweep point the Kaplan-Meier curves, the softmax collapse and
// the weight norm of every arm (seed means over steps).
import Analysis
import Evaluation
import Foundation
import Studies

/// A speed-up as the interventions table and `descent compare` print it: the ratio (or its bound) and
/// the bootstrap interval, in words when no resample bounds it.
public func speedUpText(_ s: SpeedUp?) -> (value: String, interval: String) { InterventionsSection.speedUp(s) }

enum InterventionsSection {
    static func num(_ d: Double?, _ digits: Int = 0) -> String { d.map { String(format: "%.\(digits)f", $0) } ?? "—" }

    static func speedUp(_ s: SpeedUp?) -> (String, String) {
        guard let s else { return ("—", "—") }
        let value: String
        if let e = s.estimate { value = String(format: "×%.2f", e) }
        else if let b = s.bound, let kind = s.boundKind { value = (kind == "at_least" ? "≥ ×" : "≤ ×") + String(format: "%.2f", b) }
        else { value = "—" }
        guard s.intervalComputed else { return (value, "—") }
        // Every resample left the matched arm without a median: the ratio is unbounded above in each.
        if s.lower == nil && s.upper == nil { return (value, "unbounded (no resample gives the matched arm a median)") }
        // Every resample left this arm without a median: the ratio is 0 in each, a bound is all there is.
        if s.upper == 0 { return (value, "bound only (no resample gives this arm a median)") }
        let lo = s.lower.map { String(format: "%.2f", $0) } ?? "∞", hi = s.upper.map { String(format: "%.2f", $0) } ?? "∞"
        return (value, "[\(lo), \(hi)]" + (s.undefinedResamples > 0 ? " (\(s.undefinedResamples) of \(s.resamples) resamples: neither arm has a median)" : ""))
    }

    /// The group's answer in words: the arms by Kaplan-Meier median, those without one, and those that differ
    /// from their matched arm after Holm's adjustment, sooner or later.
    static func answer(_ g: InterventionGroup, event: String, alpha: Double = 0.05) -> String {
        let ranked = g.rows.filter { $0.median.estimate != nil }.sorted { $0.median.estimate! < $1.median.estimate! }
        let none = g.rows.filter { $0.median.estimate == nil }.map(\.arm)
        var s = ranked.isEmpty ? "No arm had more than half of its trials reach \(event) within the budget."
            : "By Kaplan-Meier median step to \(event), soonest first: " + ranked.map { "\($0.arm) \(num($0.median.estimate))" }.joined(separator: ", ") + "."
        if !none.isEmpty && !ranked.isEmpty { s += " No median (at most half reached \(event) within the budget): " + none.joined(separator: ", ") + "." }
        let differ = g.rows.filter { ($0.holmP ?? 1) < alpha }.map { row -> String in
            let sooner = row.speedUp.map { sp in sp.estimate.map { $0 > 1 } ?? (sp.boundKind == "at_least") } ?? false
            return "\(row.arm) \(sooner ? "sooner" : "later") than \(row.vs ?? "?")"
        }
        s += differ.isEmpty ? " No arm's time to \(event) differs from its matched arm's at Holm-adjusted p < \(alpha)."
            : " Differs from its matched arm at Holm-adjusted p < \(alpha): " + differ.joined(separator: "; ") + "."
        return s
    }

    static func pValue(_ p: Double?) -> String {
        guard let p else { return "—" }
        return p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p)
    }

    /// The seed mean of each curve column over the trials, at every step any of them evaluated (the mean of
    /// the seeds that have that step), each trial's curve read once for all the columns.
    static func seedMeans(_ trials: [Trial], _ columns: [String], _ store: ResultsStore) -> [String: [(Double, Double)]] {
        var sums: [String: [Double: (Double, Int)]] = [:]
        for t in trials {
            guard let c = store.curve(t.id), let st = c.column("step") else { continue }
            for column in columns {
                guard let v = c.column(column) else { continue }
                for (s, x) in zip(st, v) where x.isFinite && s > 0 { let o = sums[column, default: [:]][s] ?? (0, 0); sums[column, default: [:]][s] = (o.0 + x, o.1 + 1) }
            }
        }
        return sums.mapValues { m in m.keys.sorted().map { ($0, m[$0]!.0 / Double(m[$0]!.1)) } }
    }

    static func section(_ r: StudyResults, _ table: InterventionTable) -> (section: Section, figures: [Figure], json: JSON) {
        var blocks: [Block] = [.paragraph("Each arm trains the same model with one intervention (its keys below), crossed with the sweep and the seeds. "
            + "Per arm: how many trials reached \(table.event) within their budget (k/n), the Kaplan-Meier median step with its \(Int(table.level * 100)) % interval (Brookmeyer-Crowley; given only when more than half reached it), "
            + "the speed-up over the arm it is matched with (the ratio of medians; ≥ when the matched arm has no median, so only its budget bounds it) with a \(Int(table.level * 100)) % two-sample percentile bootstrap interval, "
            + "and the log-rank test against that arm, its p-value Holm-adjusted over the \(table.comparisons) comparisons of the table. "
            + "Final validation accuracy: at each trial's last evaluation (seed mean; what a censored arm reached by its budget). Softmax collapse: the largest share of training rows whose softmax rounded to 1 (seed mean); weight norm: the final total norm (seed mean).")]
        var armTable = Table(["arm", "keys", "compared with", "published"])
        for a in r.study.arms {
            armTable.add([a.name + (a.name == table.baseline ? " (baseline)" : ""), a.overrides.map { "`\($0.path): \($0.value)`" }.joined(separator: ", ").ifEmpty("—"),
                          a.name == table.baseline ? (a.vs ?? "—") : (a.vs ?? table.baseline), a.published ?? "—"])
        }
        blocks.append(.table(armTable))
        var figures: [Figure] = []
        var groupsJSON: [JSON] = []
        for (gi, g) in table.groups.enumerated() {
            if !g.configuration.isEmpty { blocks.append(.paragraph("**\(g.configuration)**")) }
            var t = Table(["arm", "vs", "\(table.event) k/n", "KM median step [interval]", "speed-up", "speed-up interval", "log-rank p", "Holm p", "final val acc", "max softmax collapse", "final weight norm", "published"])
            for row in g.rows {
                let median = row.median.estimate.map { m in num(m) + " [" + num(row.median.interval?.lower ?? row.median.lowerBound) + ", " + (row.median.interval?.upper ?? row.median.upperBound).map { num($0) }.ifNil("not reached") + "]" }
                    ?? "none" + (row.censoredAt.map { " (budget \($0))" } ?? "")
                let (su, si) = speedUp(row.speedUp)
                t.add([row.arm, row.vs ?? "—", "\(row.reached)/\(row.trials)", median, su, si, pValue(row.logRank?.pValue), pValue(row.holmP),
                       num(row.finalValAccuracy, 3), num(row.maxSoftmaxCollapse, 3), num(row.finalWeightNorm, 1), row.published ?? "—"])
            }
            blocks.append(.table(t))
            blocks.append(.paragraph(answer(g, event: table.event)))
            let trialsOf = Dictionary(uniqueKeysWithValues: g.rows.map { row in (row.arm, r.trials.filter { row.trialIds.contains($0.id) }) })
            // Kaplan-Meier curves of every arm.
            let curves = g.rows.compactMap { row in row.kaplanMeier.map { (row.arm, $0) } }
            let suffix = g.configuration.isEmpty ? "" : " (\(g.configuration))"
            if !curves.isEmpty {
                let chart = Figures.kaplanMeier(title: "Time to \(table.event) per arm" + suffix, event: table.event, curves: curves)
                figures.append(Figure(file: "figures/interventions-km-\(gi + 1).svg", caption: "Kaplan-Meier estimate of the share of trials of each arm that have not reached \(table.event) by each step, with 95 % pointwise bands; rings: trials censored at their budget.", svg: chart.svg()))
            }
            let means = Dictionary(uniqueKeysWithValues: g.rows.map { ($0.arm, seedMeans(trialsOf[$0.arm]!, ["softmax_collapse", "weight_norm"], r.store)) })
            for (column, label, file, range) in [("softmax_collapse", "softmax collapse (share of training rows)", "collapse", (0.0, 1.0) as (Double, Double)?), ("weight_norm", "total weight norm", "weight-norm", nil)] {
                var chart = Chart(title: "\(label.prefix(1).uppercased() + label.dropFirst()) per arm" + suffix, xLabel: "training step (log scale)", yLabel: label, xLog: true, yRange: range)
                for (i, row) in g.rows.enumerated() {
                    let pts = means[row.arm]?[column] ?? []
                    if !pts.isEmpty { chart.series.append(Series(name: row.arm, points: pts, color: Palette.color(i), width: row.arm == table.baseline ? 2.4 : 1.6)) }
                }
                guard !chart.series.isEmpty else { continue }
                let caption = column == "softmax_collapse"
                    ? "Seed mean of the share of training rows in softmax collapse (the correct class's softmax probability rounds to exactly 1 in the loss's precision, so its loss and gradient vanish; Prieto et al. 2025), per arm."
                    : "Seed mean of the total weight norm over training, per arm (Liu et al. 2022 tie the delay to the norm)."
                figures.append(Figure(file: "figures/interventions-\(file)-\(gi + 1).svg", caption: caption, svg: chart.svg()))
            }
            groupsJSON.append(.raw(String(decoding: (try? JSONEncoder.sorted.encode(g)) ?? Data("null".utf8), as: UTF8.self)))
        }
        let json = JSON.object([("event", .string(table.event)), ("baseline", .string(table.baseline)), ("level", .number(table.level)),
                                ("method", .string(table.method)), ("comparisons", .int(table.comparisons)), ("groups", .array(groupsJSON))])
        return (Section("Interventions", blocks), figures, json)
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}

extension Optional where Wrapped == String {
    func ifNil(_ other: String) -> String { self ?? other }
}

extension JSONEncoder {
    /// Sorted keys in snake case, as summary.json (also `descent compare`'s comparison.json).
    public static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase   // as the rest of summary.json
        return e
    }
}

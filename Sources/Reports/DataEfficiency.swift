// The data-efficiency section of a steps report: DataEfficiencyAnalysis (Evaluation) as a table.
import Evaluation
import Foundation

enum DataEfficiency {
    static func section(_ r: StudyResults) -> Section? {
        guard let d = DataEfficiencyAnalysis(r) else { return nil }
        var section = Section("Data efficiency: the smallest training fraction that generalizes, per \(d.otherKey)")
        section.blocks.append(.paragraph("Per seed: the smallest swept fraction at which that seed's trial reached generalization within the budget "
            + "(\"none\" when no fraction did). Over seeds: the median and the range (min–max) of those fractions; with few seeds the range, not a parametric interval, is the honest spread."))
        var table = Table([d.otherKey] + d.fractions.map { "k/n at \(g($0))" } + ["smallest fraction per seed", "median", "range"])
        for row in d.rows {
            let none = row.smallestPerSeed.filter { $0 == nil }.count
            var range = "—"
            if let lo = row.min, let hi = row.max { range = "\(g(lo))–\(g(hi))" + (none > 0 ? " (\(none) seed(s): none)" : "") }
            table.add([row.value] + zip(row.reached, row.trials).map { "\($0)/\($1)" }
                      + [row.smallestPerSeed.map { $0.map(g) ?? "none" }.joined(separator: ", "), row.median.map(g) ?? "—", range])
        }
        section.blocks.append(.table(table))
        return section
    }

    static func g(_ v: Double) -> String { String(format: "%g", v) }
}

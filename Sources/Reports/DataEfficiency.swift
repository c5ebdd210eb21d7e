// Data efficiency (Power et al. 2022, Fig. 1 left): when a study sweeps the training fraction together
// with another key (the operation, say), the smallest fraction from which each value of that key
// generalizes within the budget: per seed, then over seeds.
import Evaluation
import Foundation
import Studies

enum DataEfficiency {
    static func section(_ r: StudyResults) -> Section? {
        let fractionKey = "task.train_fraction"
        guard r.study.sweep.count == 2, r.study.sweep.contains(where: { $0.path == fractionKey }),
              let other = r.study.sweep.first(where: { $0.path != fractionKey }),
              r.study.events.contains(where: { $0.name == "generalization" }) else { return nil }
        let fractions = r.study.sweep.first { $0.path == fractionKey }!.values.compactMap(\.asDouble).sorted()
        var section = Section("Data efficiency: the smallest training fraction that generalizes, per \(other.path)")
        section.blocks.append(.paragraph("Per seed: the smallest swept fraction at which that seed's trial reached generalization within the budget "
            + "(\"none\" when no fraction did). Over seeds: the median and the range (min–max) of those fractions; with few seeds the range, not a parametric interval, is the honest spread."))
        var table = Table([other.path] + fractions.map { "k/n at \(g($0))" } + ["smallest fraction per seed", "median", "range"])
        for v in other.values {
            let trials = r.trials.filter { $0.value(at: other.path) == v }
            var cells = [v.description]
            for f in fractions {
                let at = trials.filter { $0.value(at: fractionKey)?.asDouble == f }
                let k = at.filter { r.summaries[$0.id]?.events["generalization"]?.step != nil }.count
                cells.append("\(k)/\(at.count)")
            }
            var perSeed: [Double?] = []
            for seed in Set(trials.map(\.seedIndex)).sorted() {
                let reached = trials.filter { $0.seedIndex == seed && r.summaries[$0.id]?.events["generalization"]?.step != nil }
                perSeed.append(reached.compactMap { $0.value(at: fractionKey)?.asDouble }.min())
            }
            let found = perSeed.compactMap { $0 }.sorted()
            cells.append(perSeed.map { $0.map(g) ?? "none" }.joined(separator: ", "))
            if found.count * 2 > perSeed.count {
                let mid = found.count % 2 == 1 ? found[found.count / 2] : (found[found.count / 2 - 1] + found[found.count / 2]) / 2
                cells.append(g(mid))
            } else {
                cells.append("—")
            }
            cells.append(found.isEmpty ? "—" : "\(g(found.first!))–\(g(found.last!))" + (found.count < perSeed.count ? " (\(perSeed.count - found.count) seed(s): none)" : ""))
            table.add(cells)
        }
        section.blocks.append(.table(table))
        return section
    }

    static func g(_ v: Double) -> String { String(format: "%g", v) }
}

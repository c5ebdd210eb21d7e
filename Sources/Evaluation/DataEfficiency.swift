// Data efficiency (Power et al. 2022, Fig. 1 left): when a study sweeps the training fraction together
// with another key (the operation, say), the smallest fraction from which each value of that key
// generalizes within the budget: per seed, then over seeds (median when more than half found one, and
// the range).
import Foundation
import Studies

public struct DataEfficiencyAnalysis: Codable, Sendable {
    public struct Row: Codable, Sendable {
        /// The other key's value, as written in the study.
        public var value: String
        /// Per swept fraction (in `fractions` order): trials that generalized, and trials.
        public var reached: [Int]
        public var trials: [Int]
        /// Per seed (in seed order): the smallest fraction at which that seed generalized; nil: none did.
        public var smallestPerSeed: [Double?]
        /// Median of the seeds' smallest fractions, when more than half of the seeds found one.
        public var median: Double?
        /// The range of the seeds' smallest fractions (seeds with none left out).
        public var min: Double?
        public var max: Double?
    }

    public static let fractionKey = "task.train_fraction"
    public var otherKey: String
    public var fractions: [Double]
    public var rows: [Row]

    /// Nil unless the study sweeps exactly the training fraction and one other key and names a
    /// generalization event.
    public init?(_ r: StudyResults) {
        let fractionKey = DataEfficiencyAnalysis.fractionKey
        guard r.study.sweep.count == 2, r.study.sweep.contains(where: { $0.path == fractionKey }),
              let other = r.study.sweep.first(where: { $0.path != fractionKey }),
              r.study.events.contains(where: { $0.name == "generalization" }) else { return nil }
        let fractions = r.study.sweep.first { $0.path == fractionKey }!.values.compactMap(\.asDouble).sorted()
        otherKey = other.path
        self.fractions = fractions
        func generalized(_ t: Trial) -> Bool { r.summaries[t.id]?.events["generalization"]?.step != nil }
        rows = other.values.map { v in
            let trials = r.trials.filter { $0.value(at: other.path) == v }
            let at = fractions.map { f in trials.filter { $0.value(at: fractionKey)?.asDouble == f } }
            let perSeed = Set(trials.map(\.seedIndex)).sorted().map { seed in
                trials.filter { $0.seedIndex == seed && generalized($0) }.compactMap { $0.value(at: fractionKey)?.asDouble }.min()
            }
            let found = perSeed.compactMap { $0 }.sorted()
            var median: Double? = nil
            if found.count * 2 > perSeed.count {
                median = found.count % 2 == 1 ? found[found.count / 2] : (found[found.count / 2 - 1] + found[found.count / 2]) / 2
            }
            return Row(value: v.description, reached: at.map { $0.filter(generalized).count }, trials: at.map(\.count),
                       smallestPerSeed: perSeed, median: median, min: found.first, max: found.last)
        }
    }
}

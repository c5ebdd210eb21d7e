// A contrast on one task: whether the size study and the steps study train the same family on the same
// data (the keys of the task, the model and the optimizer that differ between them, if any), and the
// configurations both ran (the same values of every key either sweeps but the size, such as label noise
// and weight decay), each with what the size axis and the steps axis measured there.
import Analysis
import Foundation
import Studies

/// A configuration both studies of a contrast ran: the values of every key either sweeps (but the size), and each
/// side's measures there.
public struct MatchedConfiguration: Sendable {
    public var values: [(key: String, value: String)]
    public var size: SizeSide
    public var steps: StepsSide
    /// A trial of each side (every key but the size and the seed is the same across a configuration's trials).
    public var stepsTrial: Trial
    public var sizeTrial: Trial
    public var label: String { values.isEmpty ? "(single configuration)" : values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
}

public enum OneTask {
    /// Keys that say what is trained on what: the task's, the model's but its size, the optimizer's and the budget.
    static func defining(_ path: String) -> Bool {
        (path.hasPrefix("task.") || path.hasPrefix("model.") || path.hasPrefix("optimizer.") || path.hasPrefix("regularization.")
            || path == "training.max_steps" || path == "training.batch" || path == "training.loss")
    }

    /// The keys either study sweeps (but the size study's size key): a configuration of one study matches one of
    /// the other when its trials take the same values of all of them.
    public static func sweptKeys(size: StudyResults, steps: StudyResults) -> [String] {
        let sizeKey = Schema.sizeKey(size.study)
        var seen = Set<String>()
        return (size.study.sweep.map(\.path) + steps.study.sweep.map(\.path)).filter { $0 != sizeKey && $0 != "arm" && seen.insert($0).inserted }
    }

    static func same(_ a: Value?, _ b: Value?) -> Bool {
        if let x = a?.asDouble, let y = b?.asDouble { return x == y }
        return a == b
    }

    /// The size configuration whose trials take the steps trial's values of every swept key (nil when none does).
    static func sizeConfiguration(for t: Trial, among configurations: [SizeConfiguration], keys: [String]) -> SizeConfiguration? {
        configurations.first { sc in
            guard let u = sc.trials.first else { return false }
            return keys.allSatisfy { same(t.value(at: $0), u.value(at: $0)) }
        }
    }

    /// For every configuration of the steps study, the size study's configuration with the same values of every
    /// swept key, and both sides' measures there (configurations without a match, or without measures, are left out).
    public static func matched(size: StudyResults, steps: StudyResults) throws -> [MatchedConfiguration] {
        let keys = sweptKeys(size: size, steps: steps)
        let statistics = try StudyStatistics(steps)
        let configurations = SizeData.configurations(size)
        var out: [MatchedConfiguration] = []
        for c in statistics.configurations {
            guard let t = steps.trials.first(where: { $0.id == c.trialIds.first }),
                  let sc = sizeConfiguration(for: t, among: configurations, keys: keys),
                  let s = try? ContrastAnalysis.sizeSide(size, configuration: sc),
                  let side = try? ContrastAnalysis.stepsSide(steps, statistics: statistics, configuration: c.key) else { continue }
            out.append(MatchedConfiguration(values: keys.map { k in (k, t.value(at: k).map { "\($0)" } ?? "—") }, size: s, steps: side, stepsTrial: t, sizeTrial: sc.trials[0]))
        }
        return out
    }

    /// The keys that define the trained models and data (the task's, the model's, the optimizer's, the budget) and
    /// differ between the two sides of a matched configuration, with both values; the size key is left out when
    /// the steps study's value is one of the sizes swept. Empty: one family, one task, one optimizer on both axes.
    public static func differences(_ pairs: [MatchedConfiguration], size: StudyResults) -> [(key: String, size: String, steps: String)] {
        differences(pairs.map { ($0.sizeTrial, $0.stepsTrial) }, size: size.study)
    }

    /// `differences` for pairs of trials (a size-axis trial, a steps-axis trial) of the size study `size`.
    public static func differences(_ pairs: [(size: Trial, steps: Trial)], size: Study) -> [(key: String, size: String, steps: String)] {
        let sizeKey = Schema.sizeKey(size)
        let sizes = Set(size.sweep.first { $0.path == sizeKey }?.values.compactMap(\.asDouble) ?? [])
        var out: [(String, String, String)] = []
        var seen = Set<String>()
        for (a, b) in pairs {
            for key in Set(a.config.keys).union(b.config.keys).filter(defining).sorted() where !seen.contains(key) {
                let x = a.value(at: key), y = b.value(at: key)
                if key == sizeKey, let v = y?.asDouble, sizes.contains(v) { continue }
                if same(x, y) { continue }
                seen.insert(key)
                out.append((key, x.map { "\($0)" } ?? "not set", y.map { "\($0)" } ?? "not set"))
            }
        }
        return out
    }
}

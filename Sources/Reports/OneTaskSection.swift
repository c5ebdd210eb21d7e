// The contrast on one task: when the size study and the steps study train one family on one task (the
// keys that differ are named, loudly, when they do not), a table of the configurations both ran (e.g.
// with and without label noise, two weight decays), each axis's over-fitting point, how high the error
// climbs and what recovery costs, with intervals; then, per key that varies among them, how it moves each axis.
import Analysis
import Evaluation
import Foundation
import Studies

extension ContrastWriter {
    /// The section and its summary.json entry, from the configurations both studies ran (`OneTask.matched`); nil
    /// when there are none (neither study sweeps a key but the size, or no configuration has its match).
    static func oneTaskSection(_ input: ContrastInputs, _ pairs: [MatchedConfiguration]) -> (Section, JSON)? {
        guard !pairs.isEmpty else { return nil }
        // The keys whose value changes between the configurations both ran.
        let shared = pairs[0].values.map(\.key).filter { k in Set(pairs.map { p in p.values.first { $0.key == k }!.value }).count > 1 }
        let diffs = OneTask.differences(pairs, size: input.size)
        var section = Section("Both axes, configuration by configuration")
        if diffs.isEmpty {
            section.blocks.append(.paragraph("Both studies train one family on one task with one optimizer: in every configuration below, every key of the task, the model (but the size the size axis sweeps) and the optimizer, and the step budget, take the same values in `\(input.size.study.name)` and `\(input.steps.study.name)`." + (shared.isEmpty ? "" : " The rows differ only in \(shared.map { "`\($0)`" }.joined(separator: " and ")).")))
        } else {
            section.blocks.append(.note("**Not one task:** the two sides of these configurations differ in " + diffs.map { "`\($0.key)` (size study: \($0.size); steps study: \($0.steps))" }.joined(separator: "; ") + ". The rows below set side by side what each measured, but a difference between the axes may come from these keys."))
        }
        let k = pairs[0].size.sizeKey
        var table = Table(["configuration", "size: threshold (\(k), parameters)", "size: test-error peak at \(k) [95 %]", "size: peak height [95 %]", "size: peak / classical minimum [95 %]",
                           "size: to recover (× parameters, peak → post-peak minimum)", "steps: \(pairs[0].steps.memorization) step [95 %]", "steps: \(pairs[0].steps.generalization) step [95 %] (reached)",
                           "steps: delay [95 %]", "steps: to recover (× steps, \(pairs[0].steps.generalization) / \(pairs[0].steps.memorization))", "steps: validation accuracy at memorization → at the end"])
        var rows: [JSON] = []
        for p in pairs {
            let S = p.size, T = p.steps, m = S.measures
            let factor = S.postPeakMinimum.map { Double(S.params($0.size)) / Double(S.params(Int(m.peakSize))) }
            let reached = T.gen?.reached
            table.add([p.label, S.threshold.map { "\($0) (\(S.params($0)))" } ?? "not reached",
                       "\(Int(m.peakSize))\(m.peakIsInterior ? "" : " (no interior peak)") \(ivSize(m.peakSizeInterval))", "\(f(m.peakHeight)) \(iv(m.peakHeightInterval))",
                       "\(f(m.peakOverClassicalMinimum, 2)) \(iv(m.peakOverClassicalMinimumInterval, 2))",
                       factor.map { "× \(f($0, 1)) (error \(f(m.peakHeight)) → \(f(S.postPeakMinimum!.error)))" } ?? "no size right of the peak",
                       "\(step(T.memoStep.value)) \(ivStep(T.memoStep.interval))",
                       "\(step(T.genStep.value)) \(ivStep(T.genStep.interval))" + (reached.map { " (\($0.k)/\($0.n))" } ?? ""),
                       T.delay.value == nil ? "—" : "\(step(T.delay.value)) \(ivStep(T.delay.interval))",
                       T.ratio.map { "× \(f($0.median, 1)) (seeds \(f($0.min, 1))–\(f($0.max, 1)))" } ?? "—",
                       "\(f(T.valAtMemo?.mean, 3)) → \(f(T.finalVal?.mean, 3))"])
            rows.append(.object([("configuration", .object(p.values.map { ($0.key, .string($0.value)) })),
                                 ("size", .object([("threshold_size", S.threshold.map { .int($0) } ?? .null), ("threshold_parameters", S.threshold.map { .int(S.params($0)) } ?? .null),
                                                   ("peak_size", Estimate(value: m.peakSize, interval: m.peakSizeInterval, method: "paired bootstrap over seeds").json),
                                                   ("peak_height", Estimate(value: m.peakHeight, interval: m.peakHeightInterval, method: "paired bootstrap over seeds").json),
                                                   ("peak_over_classical_minimum", Estimate(value: m.peakOverClassicalMinimum, interval: m.peakOverClassicalMinimumInterval, method: "paired bootstrap over seeds").json),
                                                   ("post_peak_minimum", S.postPeakMinimum.map { .object([("size", .int($0.size)), ("mean_test", .num($0.error))]) } ?? .null),
                                                   ("parameter_factor", .num(factor))])),
                                 ("steps", .object([("memorization_step", T.memoStep.json), ("generalization_step", T.genStep.json),
                                                    ("generalized", reached.map { .object([("k", .int($0.k)), ("n", .int($0.n))]) } ?? .null), ("delay_steps", T.delay.json),
                                                    ("step_factor", T.ratio.map { .object([("median", .num($0.median)), ("min", .num($0.min)), ("max", .num($0.max))]) } ?? .null),
                                                    ("val_accuracy_at_memorization", .num(T.valAtMemo?.mean)), ("final_val_accuracy", .num(T.finalVal?.mean))]))]))
        }
        section.blocks.append(.paragraph("Size axis: the double-descent measures of `\(input.size.study.name)` in that configuration (intervals: paired bootstrap over seeds). Steps axis: the statistics of `\(input.steps.study.name)` in that configuration (event steps: Kaplan-Meier median with its Brookmeyer-Crowley interval, censored trials counted; delay: mean with its t-interval over the trials that reached both)."))
        section.blocks.append(.table(table))
        // How each shared key moves each axis: the pairs of configurations that differ in it alone.
        var sentences: [String] = []
        for key in shared {
            for a in pairs {
                for b in pairs where b.label != a.label {
                    let da = a.values.first { $0.key == key }?.value, db = b.values.first { $0.key == key }?.value
                    guard let da, let db, (Double(da) ?? 0, da) < (Double(db) ?? 0, db), a.values.filter({ $0.key != key }).map(\.value) == b.values.filter({ $0.key != key }).map(\.value) else { continue }
                    let rest = a.values.filter { $0.key != key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                    sentences.append("`\(key)` \(da) → \(db)\(rest.isEmpty ? "" : " (\(rest))"): " + moved(a, b))
                }
            }
        }
        if !sentences.isEmpty { section.blocks.append(.list(sentences)) }
        let json = JSON.object([("same_task", .bool(diffs.isEmpty)),
                                ("differences", .array(diffs.map { .object([("key", .string($0.key)), ("size", .string($0.size)), ("steps", .string($0.steps))]) })),
                                ("shared_keys", .array(shared.map { .string($0) })), ("configurations", .array(rows)), ("effects", .array(sentences.map { .string($0) }))])
        return (section, json)
    }

    /// What changing one key does to each axis, from configuration a to configuration b.
    static func moved(_ a: MatchedConfiguration, _ b: MatchedConfiguration) -> String {
        let ma = a.size.measures, mb = b.size.measures
        let k = a.size.sizeKey
        var size = "size axis: threshold \(a.size.threshold.map(String.init) ?? "none") → \(b.size.threshold.map(String.init) ?? "none")"
        size += ", peak \(f(ma.peakHeight)) at \(Int(ma.peakSize)) → \(f(mb.peakHeight)) at \(Int(mb.peakSize))"
        if let x = ma.peakHeightInterval, let y = mb.peakHeightInterval { size += x.upper < y.lower || y.upper < x.lower ? " (the intervals do not overlap)" : " (the intervals overlap)" }
        size += ", largest model \(f(ma.farRight)) → \(f(mb.farRight)) (\(k) = \(Int(mb.farRightSize)))"
        let ta = a.steps, tb = b.steps
        var steps = "steps axis: \(ta.generalization) \(step(ta.genStep.value)) \(ivStep(ta.genStep.interval)) → \(step(tb.genStep.value)) \(ivStep(tb.genStep.interval))"
        if let ra = ta.gen?.reached, let rb = tb.gen?.reached { steps += " (reached \(ra.k)/\(ra.n) → \(rb.k)/\(rb.n))" }
        steps += ", final validation accuracy \(f(ta.finalVal?.mean, 3)) → \(f(tb.finalVal?.mean, 3))"
        return size + "; " + steps + "."
    }
}

// The contrast report: one size-axis study (model-wise double descent) and one steps-axis study
// (grokking) side by side. Each study's own report is written first; the numbers here come from the
// same analyses (Evaluation) as that report's, so they are the ones it states, with the same interval. Charts of both axes
// with the over-fitting point (interpolation threshold / memorization) and the recovery point
// (post-peak minimum / generalization) marked, a comparison table, the size × steps heatmap and the
// epoch-wise study as the bridge, and sentences built from the numbers.
import Analysis
import Evaluation
import Foundation
import Studies

/// One gate of the contrast report (its own expectations, and those of the studies it contrasts).
public struct ContrastCheck: Sendable {
    public let name: String
    public let location: String
    public let passed: Bool
    public let detail: String
}

public struct ContrastOutput {
    public let directory: URL
    public let files: [String]
    public let checks: [ContrastCheck]
    public var passed: Bool { checks.allSatisfy(\.passed) }
}

/// The studies to contrast and the contrast's own expectations (none for `descent report --contrast`).
public struct ContrastInputs {
    public var name: String
    public var question: String
    public var size: StudyResults
    public var steps: StudyResults
    public var bridge: StudyResults?
    /// A study that sweeps the amount of training data, for the "more data" row.
    public var moreData: StudyResults?
    public var expectations: [ContrastStudy.Expectation]
    /// The contrast study is marked `status: not_reproduced`.
    public var notReproduced: Bool
    public init(name: String, question: String, size: StudyResults, steps: StudyResults, bridge: StudyResults? = nil, moreData: StudyResults? = nil, expectations: [ContrastStudy.Expectation] = [],
                notReproduced: Bool = false) {
        self.name = name; self.question = question; self.size = size; self.steps = steps; self.bridge = bridge; self.moreData = moreData; self.expectations = expectations
        self.notReproduced = notReproduced
    }
}

public enum ContrastWriter {
    static func f(_ x: Double?, _ d: Int = 3) -> String { x.map { String(format: "%.\(d)f", $0) } ?? "—" }
    static func step(_ x: Double?) -> String { x.map { String(Int($0.rounded())) } ?? "—" }
    static func iv(_ i: Interval?, _ d: Int = 3) -> String { i.map { "[\(f($0.lower, d)), \(f($0.upper, d))]" } ?? "no interval" }
    static func ivStep(_ i: Interval?) -> String { i.map { "[\(step($0.lower)), \(step($0.upper))]" } ?? "no interval" }

    /// Writes the contrast report into `dir`; the two studies' own reports are (re)written first.
    /// A folder as the report names it: relative to the working directory when inside it, so a report
    /// does not carry the machine's absolute paths.
    static func shown(_ url: URL) -> String {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    /// How the results folders the contrast reads were made (each one's runs.jsonl: command, commit,
    /// wall time), and where and when the contrast report was written.
    static func provenance(_ input: ContrastInputs, command: String?) -> [Block] {
        let parts: [(String, StudyResults)] = [("size axis", input.size), ("steps axis", input.steps)]
            + (input.bridge.map { [("bridge", $0)] } ?? []) + (input.moreData.map { [("more data", $0)] } ?? [])
        let day = String(RunRecord.dateFormat.string(from: Date()).prefix(10))
        let made = "**Made by** \(command.map { "`\($0)`" } ?? "descent") at commit `\(RunRecord.currentCommit())` on \(RunRecord.currentMachine()), \(day), from these results folders:"
        var folders: [String] = []
        var total = 0.0
        for (what, r) in parts {
            let runs = r.store.runs()
            total += runs.reduce(0) { $0 + $1.wallSeconds }
            folders.append("\(what), `\(r.study.name)`: " + (runs.isEmpty ? "no run recorded (a folder from an older descent, or made by hand)" : runs.map { run in
                "trained by `\(run.command)` at commit `\(run.commit)`, \(ReportWriter.duration(run.wallSeconds)) (\(run.trained) trials, BLAS kernel \(run.blasKernel), \(run.jobs) at a time)"
            }.joined(separator: "; ")))
        }
        return [.paragraph(made), .list(folders), .paragraph("**Wall time** \(ReportWriter.duration(total)) of training in all.")]
    }

    public static func write(_ input: ContrastInputs, to dir: URL, formats: ReportFormats = .all, command: String? = nil) throws -> ContrastOutput {
        guard input.size.study.axis == "size" else { throw StudyError(nil, "'\(input.size.store.root.path)' holds a \(input.size.study.axis)-axis study, not a size-axis one", hint: "pass one size-axis and one steps-axis results folder") }
        guard input.steps.study.axis == "steps" else { throw StudyError(nil, "'\(input.steps.store.root.path)' holds a \(input.steps.study.axis)-axis study, not a steps-axis one", hint: "pass one size-axis and one steps-axis results folder") }
        do {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("figures"), withIntermediateDirectories: true)
        } catch {
            throw StudyError(nil, "cannot create the report folder '\(dir.path)': \(error.localizedDescription)", hint: "check that the folder is writable")
        }
        let sizeReport = try ReportWriter.write(input.size)
        let stepsReport = try ReportWriter.write(input.steps)
        let bridgeReport = try input.bridge.map { try ReportWriter.write($0) }
        let dataReport = try input.moreData.map { try ReportWriter.write($0) }
        // The steps configuration that generalized most often and the size study's first configuration; when the two
        // studies sweep keys, the configuration both ran that generalized most often on the steps axis.
        let pairs = OneTask.sweptKeys(size: input.size, steps: input.steps).isEmpty ? [] : ((try? OneTask.matched(size: input.size, steps: input.steps)) ?? [])
        let T: StepsSide, S: SizeSide
        if let best = ContrastAnalysis.mostGeneralized(pairs, reached: { $0.steps.gen?.reached?.k ?? 0 }) {
            T = best.steps
            S = best.size
        } else {
            T = try ContrastAnalysis.stepsSide(input.steps)
            S = try ContrastAnalysis.sizeSide(input.size)
        }
        var front: [Block] = []
        if !input.question.isEmpty { front.append(.paragraph("**Question.** \(input.question)")) }
        var line = "Size axis: `\(S.study)`" + (input.size.study.profile.map { " (profile `\($0)`)" } ?? "") + " · steps axis: `\(T.study)`" + (input.steps.study.profile.map { " (profile `\($0)`)" } ?? "")
        if let b = input.bridge { line += " · bridge: `\(b.study.name)`" + (b.study.profile.map { " (profile `\($0)`)" } ?? "") }
        if let command { line += " · command: `\(command)`" }
        front.append(.paragraph(line))
        if input.notReproduced {
            front.append(.note("**Not reproduced here:** this contrast is marked `status: not_reproduced`; its gate fails on this setting, and the study file says by how much. The numbers below are what was measured."))
        }
        front += provenance(input, command: command)
        for (r, what) in [(input.size, "size"), (input.steps, "steps")] + (input.bridge.map { [($0, "bridge")] } ?? []) where !r.missing.isEmpty {
            front.append(.note("**Incomplete:** the \(what) study has \(r.missing.count) of \(r.trials.count) trials without a result; the numbers below use the others."))
        }

        // Gates: the contrast's own expectations, then those of the two studies (the bridge informs only).
        var checks: [ContrastCheck] = input.expectations.flatMap { e -> [ContrastCheck] in
            let sides: [ContrastStudy.Side] = e.side == .both ? [.size, .steps] : [e.side]
            return sides.map { side in
                let (ok, detail) = evaluate(e.kind, side, S, T)
                return ContrastCheck(name: "\(e.text)" + (e.side == .both ? " [\(side.rawValue)]" : ""), location: e.location.description, passed: ok, detail: detail)
            }
        }
        for (label, rep) in [("size study", sizeReport), ("steps study", stepsReport)] {
            checks += rep.expectations.map { ContrastCheck(name: "\(label): \($0.expectation.text)", location: $0.expectation.location.description, passed: $0.passed, detail: $0.detail) }
        }
        // The verdict first (failures named); the full list after the comparison.
        let failed = checks.filter { !$0.passed }
        front.append(.paragraph(failed.isEmpty ? "**Gate: all \(checks.count) expectations hold.**" : "**Gate: \(failed.count) of \(checks.count) expectations FAIL.**"))
        front.append(.list(failed.map { "**FAIL**: `\($0.name)` (\($0.location)) — \($0.detail)" }))
        var expectations = Section("Expectations", checks.isEmpty ? [.paragraph("None.")] : [])
        var items = checks.map { "\($0.passed ? "pass" : "**FAIL**"): `\($0.name)` — \($0.detail)" }
        if let b = bridgeReport {
            let held = b.expectations.filter(\.passed).count
            items.append("bridge (informative, not a gate): \(held) of \(b.expectations.count) expectations of `\(input.bridge!.study.name)` hold\(input.bridge!.study.value("status") == .string("not_reproduced") ? " (the study is marked not reproduced)" : "")")
        }
        expectations.blocks.append(.list(items))

        // The summary in words.
        var sections = [Section(nil, front), Section("In one paragraph", [.paragraph(paragraph(S, T))])]

        // Side by side.
        let (sizeChart, sizeCaption) = sizeFigure(input.size, S)
        let (stepsChart, stepsCaption) = stepsFigure(input.steps, T)
        sections.append(Section("The two axes side by side", [.figures([Figure(file: "figures/contrast-size.svg", caption: sizeCaption, svg: sizeChart.svg()),
                                                                          Figure(file: "figures/contrast-steps.svg", caption: stepsCaption, svg: stepsChart.svg())],
                                                                         caption: "*Figures: the \(sizeCaption)* *The \(stepsCaption)*")]))

        // The comparison table.
        // The data study, read back like the others: a steps side (its statistics) or a size side.
        var dataSteps: StepsSide? = nil, dataSize: SizeSide? = nil
        if let d = input.moreData, dataReport != nil {
            if d.study.axis == "size" { dataSize = try ContrastAnalysis.sizeSide(d) }
            else { dataSteps = try ContrastAnalysis.stepsSide(d) }
        }
        let rows = comparison(input, S, T, dataSize: dataSize, dataSteps: dataSteps, dataExpectations: dataReport?.expectations ?? [])
        sections.append(Section("Comparison", [
            .paragraph("Intervals are 95 %; each says how it was computed in summary.json. Size axis: configuration \(S.configuration.isEmpty ? "(single)" : "`\(S.configuration)`"); steps axis: configuration \(T.configuration.key.isEmpty ? "(single)" : "`\(T.configuration.key)`")."),
            .table(Table(["", "size axis (model-wise double descent)", "steps axis (grokking)"], rows: rows.map { ["**\($0.aspect)**", $0.size, $0.steps] })),
            .list(rows.filter { !$0.sentence.isEmpty }.map(\.sentence)),
        ]))

        // The same task on both axes: the configurations both ran.
        var oneTaskJSON: JSON = .null
        if let (section, json) = oneTaskSection(input, pairs) {
            sections.append(section)
            oneTaskJSON = json
        }

        // The bridge: size × steps, and the epoch-wise curve.
        var bridge = Section("The bridge between the axes")
        var heatmapJSON: JSON = .null
        if let c0 = compared(input.size, S), let (hm, caption, hj, sentence) = heatmap(input.size, c0, threshold: S.threshold) {
            bridge.blocks += [.paragraph(sentence), .figure(Figure(file: "figures/contrast-heatmap.svg", caption: caption, svg: hm.svg()))]
            heatmapJSON = hj
        } else {
            bridge.blocks.append(.paragraph("No size × steps heatmap: the size study's trials record no curve over steps (closed-form fits)."))
        }
        var bridgeJSON: JSON = .null
        if let b = input.bridge {
            let (blocks, bj) = bridgeSection(b)
            bridge.blocks += blocks
            bridgeJSON = bj
        } else {
            bridge.blocks.append(.paragraph("No epoch-wise study is named (`bridge:` in a contrast study): the test error over steps of one model at the edge of interpolation would show the size-axis peak as a bump in time."))
        }
        sections.append(bridge)

        // What more data does, drawn: event steps against the data key, with the best law.
        if let d = dataSteps, let sw = d.statistics.sweeps.first(where: { ["task.train_fraction", "task.n_train"].contains($0.key) }), sw.points.count >= 2 {
            let (chart, caption) = Figures.lawScatter(key: sw.key, event: sw.event ?? d.generalization, points: sw.points, laws: sw.laws)
            let cap = "\(d.study): " + caption
            sections.append(Section("What more data does (`\(d.study)`)", [.figure(Figure(file: "figures/contrast-more-data.svg", caption: cap, svg: chart.svg()))]))
        }

        // Kaplan-Meier of both events on the steps side.
        let kmCurves = [T.memo, T.gen].compactMap { $0 }.map { ($0.event, $0.kaplanMeier) }
        if !kmCurves.isEmpty {
            let km = Figures.kaplanMeier(title: "Steps axis: share of trials not yet at each event", event: "the event", curves: kmCurves)
            let cap = "Kaplan-Meier estimate of the share of \(T.study) trials that have not yet reached \(T.memorization) and \(T.generalization), with 95 % pointwise bands (Greenwood, log-log)."
            sections.append(Section("Time to each event (steps axis)", [.figure(Figure(file: "figures/contrast-km.svg", caption: cap, svg: km.svg()))]))
        }

        expectations.blocks.append(.paragraph("Full reports: size study in `\(shown(sizeReport.directory))`, steps study in `\(shown(stepsReport.directory))`" + (bridgeReport.map { ", bridge in `\(shown($0.directory))`" } ?? "") + (dataReport.map { ", data study in `\(shown($0.directory))`" } ?? "") + "."))
        sections.append(expectations)

        let summary = JSON.object([
            ("contrast", .string(input.name)), ("question", .string(input.question)),
            ("size_study", .object([("study", .string(S.study)), ("profile", input.size.study.profile.map { .string($0) } ?? .null), ("folder", .string(shown(input.size.store.root))),
                                    ("configuration", .string(S.configuration)), ("summary", .string(shown(sizeReport.directory.appendingPathComponent("summary.json"))))])),
            ("steps_study", .object([("study", .string(T.study)), ("profile", input.steps.study.profile.map { .string($0) } ?? .null), ("folder", .string(shown(input.steps.store.root))),
                                     ("configuration", .string(T.configuration.key)), ("summary", .string(shown(stepsReport.directory.appendingPathComponent("summary.json"))))])),
            ("comparison", .array(rows.map { .object([("aspect", .string($0.aspect)), ("size", $0.sizeJSON), ("steps", $0.stepsJSON), ("sentence", .string($0.sentence))]) })),
            ("one_task", oneTaskJSON), ("heatmap", heatmapJSON), ("bridge", bridgeJSON),
            ("expectations", .array(checks.map { .object([("expectation", .string($0.name)), ("location", .string($0.location)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
        ])
        let gates = checks.map { GateLine(name: $0.name, location: $0.location, passed: $0.passed, detail: $0.detail) }
        let files = try DocumentWriter.write(ReportDocument(title: input.name, sections: sections), to: dir, formats: formats, summary: summary, gates: gates, suite: input.name)
        return ContrastOutput(directory: dir, files: files, checks: checks)
    }

    // MARK: - Expectations

    static func evaluate(_ kind: ContrastStudy.Expectation.Kind, _ side: ContrastStudy.Side, _ S: SizeSide, _ T: StepsSide) -> (Bool, String) {
        let m = S.measures
        switch (kind, side) {
        case (.overfitting, .size):
            guard let th = S.threshold else { return (false, "no size reaches mean train error 0: no interpolation threshold in the sweep") }
            let ok = m.peakIsInterior
            return (ok, "interpolation threshold at \(S.sizeKey) = \(th); test-error peak at \(Int(m.peakSize)) \(ivSize(m.peakSizeInterval)), height \(f(m.peakHeight)) \(iv(m.peakHeightInterval))" + (ok ? "" : "; the peak is at an end of the sweep, not interior"))
        case (.overfitting, _):
            guard let e = T.memo, let p = e.reached else { return (false, "no \(T.memorization) statistics") }
            let ok = p.k * 2 > p.n && T.memoStep.value != nil
            return (ok, "\(T.memorization) reached in \(p.k) of \(p.n) trials (95 % Clopper-Pearson \(iv(p.interval, 2))), median step \(step(T.memoStep.value)); needed more than half")
        case (.recovery, .size):
            guard let r = m.peakOverFarRight else { return (false, "no peak / largest-model ratio") }
            let lower = m.peakOverFarRightInterval?.lower
            let ok = r > 1 && (lower ?? 0) > 1
            return (ok, "peak / largest model = \(f(r, 3)) \(iv(m.peakOverFarRightInterval)) (\(m.resamples) bootstrap resamples); needed above 1 with the interval's lower end above 1")
        case (.recovery, _):
            guard let e = T.gen, let p = e.reached else { return (false, "no \(T.generalization) statistics") }
            let ok = p.k * 2 > p.n && T.genStep.value != nil
            return (ok, "\(T.generalization) reached in \(p.k) of \(p.n) trials (95 % Clopper-Pearson \(iv(p.interval, 2))), median step \(step(T.genStep.value)); needed more than half")
        }
    }

    static func ivSize(_ i: Interval?) -> String { i.map { "[\(Int($0.lower)), \(Int($0.upper))]" } ?? "(no interval)" }

    // MARK: - Comparison

    struct Row {
        var aspect: String
        var size: String
        var steps: String
        var sentence: String
        var sizeJSON: JSON
        var stepsJSON: JSON
    }

    static func comparison(_ input: ContrastInputs, _ S: SizeSide, _ T: StepsSide, dataSize: SizeSide? = nil, dataSteps: StepsSide? = nil,
                           dataExpectations: [ExpectationResult] = []) -> [Row] {
        let m = S.measures
        var rows: [Row] = []
        let k = S.sizeKey
        // Where over-fitting happens.
        let thText = S.threshold.map { th in "interpolation threshold (mean train error 0) at \(k) = \(th), \(S.params(th)) parameters" + (S.nTrain.map { n in " (\(f(Double(S.params(th)) / Double(n), 2)) per training example)" } ?? "") } ?? "no interpolation threshold in the sweep"
        let memoP = T.memo?.reached
        rows.append(Row(aspect: "over-fitting point", size: thText + "; test-error peak at \(k) = \(Int(m.peakSize)), 95 % bootstrap \(ivSize(m.peakSizeInterval))",
                        steps: "\(T.memorization) (train accuracy reached) at median step \(step(T.memoStep.value)), \(ivStep(T.memoStep.interval)) (Kaplan-Meier, Brookmeyer-Crowley); \(memoP.map { "\($0.k)/\($0.n) trials" } ?? "")",
                        sentence: S.threshold.map { th in
                            let gap = S.sizes.firstIndex(of: Int(m.peakSize)).flatMap { ip in S.sizes.firstIndex(of: th).map { abs(ip - $0) } }
                            let where_ = m.peakIsInterior ? "peaks \(gap == 0 ? "exactly at" : "\(gap.map(String.init) ?? "?") grid step(s) from") the interpolation threshold (\(k) = \(th))" : "has no interior peak (its largest error is at an end of the sizes measured; threshold \(k) = \(th))"
                            return "Over-fitting: the size axis \(where_); the steps axis memorizes at step \(step(T.memoStep.value))" + (T.valAtMemo.map { " with validation accuracy still \(f($0.mean, 2))" + (T.chance.map { c in " (chance: \(f(c, 3)))" } ?? "") } ?? "") + "."
                        } ?? "",
                        sizeJSON: .object([("threshold_size", S.threshold.map { .int($0) } ?? .null), ("threshold_parameters", S.threshold.map { .int(S.params($0)) } ?? .null),
                                           ("peak_size", Estimate(value: m.peakSize, interval: m.peakSizeInterval, method: "size of the largest seed-mean test error; interval: paired bootstrap over seeds").json)]),
                        stepsJSON: .object([("memorization_step", T.memoStep.json), ("reached", memoP.map { .object([("k", .int($0.k)), ("n", .int($0.n)), ("interval", Estimate(value: $0.estimate, interval: $0.interval, method: "Clopper-Pearson").json)]) } ?? .null)])))
        // How bad it gets.
        let ratioText = T.ratio.map { "; \(T.generalization) / \(T.memorization) = \(f($0.median, 1))× (seeds \(f($0.min, 1))–\(f($0.max, 1)))" } ?? ""
        rows.append(Row(aspect: "how bad it gets",
                        size: "peak test error \(f(m.peakHeight)) \(iv(m.peakHeightInterval)), \(f(m.peakOverClassicalMinimum, 2))× the classical minimum \(f(m.classicalMinimum)) \(iv(m.peakOverClassicalMinimumInterval, 2))",
                        steps: "delay \(T.generalization) − \(T.memorization): mean \(step(T.delay.value)) steps, \(ivStep(T.delay.interval)) (t-interval over \(T.configuration.delay?.summary.n ?? 0) trials)\(ratioText)",
                        sentence: "How bad: " + (m.peakIsInterior && m.classicalMinimum != nil ? "bigger models first get worse, by \(f(((m.peakOverClassicalMinimum ?? 1) - 1) * 100, 0)) % over the classical minimum" : "bigger models do not get worse (no interior peak)") + "; longer training does not get worse but stalls for \(step(T.delay.value)) steps" + (T.valAtMemo.map { " at validation accuracy \(f($0.mean, 2))" } ?? "") + ".",
                        sizeJSON: .object([("peak_height", Estimate(value: m.peakHeight, interval: m.peakHeightInterval, method: "seed-mean test error at the peak; paired bootstrap").json),
                                           ("peak_over_classical_minimum", Estimate(value: m.peakOverClassicalMinimum, interval: m.peakOverClassicalMinimumInterval, method: "paired bootstrap").json),
                                           ("classical_minimum", .num(m.classicalMinimum))]),
                        stepsJSON: .object([("delay_steps", T.delay.json), ("val_accuracy_at_memorization", T.valAtMemo.map { .object([("mean", .num($0.mean)), ("min", .num($0.min)), ("max", .num($0.max))]) } ?? .null),
                                            ("generalization_over_memorization", T.ratio.map { .object([("median", .num($0.median)), ("min", .num($0.min)), ("max", .num($0.max))]) } ?? .null)])))
        // Recovery point.
        let genP = T.gen?.reached
        let post = S.postPeakMinimum
        rows.append(Row(aspect: "recovery point",
                        size: post.map { "post-peak minimum \(f($0.error)) at \(k) = \($0.size) (\(S.params($0.size)) parameters); largest model \(f(m.farRight)) at \(Int(m.farRightSize))" } ?? "no size right of the peak",
                        steps: "\(T.generalization) at median step \(step(T.genStep.value)), \(ivStep(T.genStep.interval)) (Kaplan-Meier, Brookmeyer-Crowley); \(genP.map { "\($0.k)/\($0.n) trials, Clopper-Pearson \(iv($0.interval, 2))" } ?? "")" + (T.finalVal.map { "; final validation accuracy \(f($0.mean, 3))" } ?? ""),
                        sentence: "Recovery: " + (post.map { p in "past the peak the error falls to \(f(p.error)) (\(f((m.peakHeight - p.error) / max(m.peakHeight, 1e-12) * 100, 0)) % below the peak)" + (m.classicalMinimum == nil ? "" : S.recoveredAt != nil ? ", back under the classical minimum" : ", but not back under the classical minimum \(f(m.classicalMinimum)) within the sweep") } ?? "no size right of the peak")
                            + "; " + (T.finalVal.map { fv in "the steps axis ends at validation accuracy \(f(fv.mean, 3))" + (T.valAtMemo.map { " from \(f($0.mean, 2)) at memorization" } ?? "") } ?? "no final accuracy") + ".",
                        sizeJSON: .object([("post_peak_minimum", post.map { .object([("size", .int($0.size)), ("parameters", .int(S.params($0.size))), ("mean_test", .num($0.error))]) } ?? .null),
                                           ("largest_model", .object([("size", .num(m.farRightSize)), ("mean_test", .num(m.farRight))]))]),
                        stepsJSON: .object([("generalization_step", T.genStep.json), ("reached", genP.map { .object([("k", .int($0.k)), ("n", .int($0.n)), ("interval", Estimate(value: $0.estimate, interval: $0.interval, method: "Clopper-Pearson").json)]) } ?? .null),
                                            ("final_val_accuracy", T.finalVal.map { .object([("mean", .num($0.mean)), ("min", .num($0.min)), ("max", .num($0.max))]) } ?? .null)])))
        // How long recovery takes.
        let factor = post.map { Double(S.params($0.size)) / Double(S.params(Int(m.peakSize))) }
        rows.append(Row(aspect: "how long recovery takes",
                        size: (factor.map { "×\(f($0, 1)) parameters from the peak to the post-peak minimum" } ?? "—") + "; peak / largest model \(f(m.peakOverFarRight, 2)) \(iv(m.peakOverFarRightInterval, 2))" + (S.recoveredAt.map { "; back under the classical minimum at \(k) = \($0)" } ?? "; never back under the classical minimum in the sweep"),
                        steps: "\(step(T.delay.value)) steps after \(T.memorization)" + (T.ratio.map { ", ×\(f($0.median, 1)) the steps it took to memorize" } ?? ""),
                        sentence: factor.map { fa in "Recovery costs the size axis ×\(f(fa, 1)) more parameters and the steps axis ×\(T.ratio.map { f($0.median, 1) } ?? "—") more steps." } ?? "",
                        sizeJSON: .object([("parameter_factor", .num(factor)), ("peak_over_largest", Estimate(value: m.peakOverFarRight, interval: m.peakOverFarRightInterval, method: "paired bootstrap").json),
                                           ("recovered_below_classical_minimum_at", S.recoveredAt.map { .int($0) } ?? .null)]),
                        stepsJSON: .object([("delay_steps", T.delay.json)])))
        // What the regularizer and more data do: measured only when a study varies them.
        for (aspect, sizeKeys, stepsKeys) in [("regularization", ["solver.lambda", "optimizer.weight_decay"], ["optimizer.weight_decay"]),
                                               ("more data", ["task.n_train"], ["task.train_fraction", "task.n_train"])] {
            // The data row may come from the data study, on its axis's side.
            let data = aspect == "more data"
            let sizeStudy = data && dataSize != nil ? input.moreData! : input.size
            let stepsStudy = data && dataSteps != nil ? input.moreData! : input.steps
            let (st, sj) = sizeEffect(sizeStudy, data ? dataSize ?? S : S, sizeKeys)
            let (tt, tj) = stepsEffect(stepsStudy, data ? dataSteps ?? T : T, stepsKeys)
            var sentence = ""
            if data, let d = dataSteps, let sw = d.statistics.sweeps.first(where: { stepsKeys.contains($0.key) }) {
                let per = d.statistics.configurations.map { ($0.point.first { $0.key == sw.key }?.value ?? $0.key, ContrastAnalysis.eventStep($0.events.first { $0.event == d.generalization })) }
                let reached = per.filter { $0.1.value != nil }
                if let first = reached.first, let last = reached.last, reached.count >= 2 {
                    sentence = "More data (\(d.study), \(sw.key) \(first.0) → \(last.0)): the median \(d.generalization) step goes from \(step(first.1.value)) to \(step(last.1.value))"
                    // The study's own trend test ranks censored trials last; the statistics' trend leaves them out.
                    let own = dataExpectations.first { if case .trend(let x, _, _, _) = $0.expectation.kind { return x == sw.key }; return false }
                    if let own { sentence += "; the study's trend test (\(own.passed ? "holds" : "fails")): \(own.detail)." }
                    else { sentence += sw.trend.map { "; trend of the reached steps: \($0.direction.rawValue) (Spearman ρ = \(f($0.spearman.coefficient, 2)), \($0.spearman.n) trials)." } ?? "." }
                    let missing = per.count - reached.count
                    if missing > 0 { sentence += " \(missing) value(s) of \(sw.key) did not generalize in more than half of the trials (censored, not averaged in)." }
                }
            }
            rows.append(Row(aspect: aspect, size: st, steps: tt, sentence: sentence, sizeJSON: sj, stepsJSON: tj))
        }
        return rows
    }

    /// The effect of a swept key on the size axis (peak per configuration), or the fixed value.
    static func sizeEffect(_ r: StudyResults, _ S: SizeSide, _ keys: [String]) -> (String, JSON) {
        let swept = r.study.sweep.first { keys.contains($0.path) }
        guard let swept else {
            let fixed = keys.compactMap { key in r.trials.first?.value(at: key).map { "\(key) = \($0)" } }.first ?? "not a key of this study"
            return ("not varied in \(r.study.name) (\(fixed))", .object([("varied", .bool(false)), ("fixed", .string(fixed))]))
        }
        let parts = S.configurations.map { c in "\(c.0): peak \(f(c.1?.peakHeight)) \(iv(c.1?.peakHeightInterval)) at \(c.1.map { String(Int($0.peakSize)) } ?? "—")" }
        return ("\(swept.path) varied: " + parts.joined(separator: "; "),
                .object([("varied", .string(swept.path)), ("configurations", .array(S.configurations.map { .object([("configuration", .string($0.0)), ("peak_height", .num($0.1?.peakHeight)), ("peak_size", .num($0.1?.peakSize))]) }))]))
    }

    /// The effect of a swept key on the steps axis (median generalization step per value, the trend), or the fixed value.
    static func stepsEffect(_ r: StudyResults, _ T: StepsSide, _ keys: [String]) -> (String, JSON) {
        guard let swept = r.study.sweep.first(where: { keys.contains($0.path) }) else {
            let fixed = keys.compactMap { key in r.trials.first?.value(at: key).map { "\(key) = \($0)" } }.first ?? "not a key of this study"
            return ("not varied in \(r.study.name) (\(fixed))", .object([("varied", .bool(false)), ("fixed", .string(fixed))]))
        }
        let per = T.statistics.configurations.map { c -> (String, Estimate) in (c.key, ContrastAnalysis.eventStep(c.events.first { $0.event == T.generalization })) }
        var text = "\(r.study.name): \(swept.path) varied: " + per.map { $0.1.value == nil ? "\($0.0): \(T.generalization) not reached by more than half of the trials (no median)" : "\($0.0): \(T.generalization) median \(step($0.1.value)) \(ivStep($0.1.interval))" }.joined(separator: "; ")
        var trendJSON: JSON = .null
        if let sw = T.statistics.sweeps.first(where: { $0.key == swept.path }), let tv = sw.trend {
            text += "; trend of the reached steps (censored left out): \(tv.direction.rawValue), Spearman ρ = \(f(tv.spearman.coefficient, 2)) over \(tv.spearman.n) trials"
            trendJSON = .object([("direction", .string(tv.direction.rawValue)), ("spearman", .num(tv.spearman.coefficient)), ("level", .num(tv.level)), ("reason", .string(tv.reason))])
        }
        return (text, .object([("varied", .string(swept.path)), ("configurations", .array(per.map { .object([("configuration", .string($0.0)), ("generalization_step", $0.1.json)]) })), ("trend", trendJSON)]))
    }

    /// The opening paragraph: what is alike and what differs, from the numbers.
    static func paragraph(_ S: SizeSide, _ T: StepsSide) -> String {
        let m = S.measures
        // A size axis without an interior peak above a classical minimum does not over-fit: say so, not "a bump".
        let sizeOverfits = m.peakIsInterior && m.classicalMinimum != nil
        let stepsGeneralizes = T.genStep.value != nil
        var p = sizeOverfits && stepsGeneralizes ? "Both axes over-fit before they recover. "
            : sizeOverfits ? "The size axis over-fits and recovers; the steps axis does not recover within its budget. "
            : stepsGeneralizes ? "Only the steps axis over-fits before it recovers: along model size the test error has no interior peak. "
            : "Neither axis shows over-fitting followed by recovery here. "
        if let th = S.threshold, sizeOverfits {
            p += "Along model size, test error is lowest at \(S.sizeKey) = \(m.classicalMinimumSize.map { String(Int($0)) } ?? "—") (\(f(m.classicalMinimum))), rises to \(f(m.peakHeight)) at \(Int(m.peakSize)) — "
            p += Int(m.peakSize) == th ? "exactly where the networks start to fit every training label — " : "near \(th), where the networks start to fit every training label — "
            p += "and falls again to \(f(S.postPeakMinimum?.error)) for larger models. "
        } else if let th = S.threshold {
            p += "Along model size, the test error falls from \(f(m.curve.first?.meanTest)) at \(S.sizeKey) = \(m.curve.first.map { String(Int($0.size)) } ?? "—") to \(f(m.farRight)) at \(Int(m.farRightSize)) without rising at the interpolation threshold (\(th)); its largest value, \(f(m.peakHeight)) at \(Int(m.peakSize)), is at an end of the sizes measured. "
        } else {
            p += "Along model size no network fits every training label, so there is no interpolation threshold to mark. "
        }
        p += "Along training steps, the network fits its training set at step \(step(T.memoStep.value))"
        p += stepsGeneralizes ? " but generalizes only at step \(step(T.genStep.value))" : " and does not generalize in more than half of the trials within the budget"
        if let r = T.ratio, stepsGeneralizes { p += ", \(f(r.median, 1)) times later" }
        p += ". "
        if sizeOverfits {
            p += "They differ in what over-fitting looks like: the size axis shows a bump (\(f(((m.peakOverClassicalMinimum ?? 1) - 1) * 100, 0)) % above the classical minimum) and a partial recovery"
            if let post = S.postPeakMinimum, let cm = m.classicalMinimum { p += post.error < cm ? " that ends below it" : " that stays above it within the sweep" }
            p += ", while the steps axis shows a plateau at "
        } else {
            p += "The steps axis shows a plateau at "
        }
        p += T.valAtMemo.map { "validation accuracy \(f($0.mean, 2))" } ?? "low validation accuracy"
        p += " and ends at " + (T.finalVal.map { f($0.mean, 3) } ?? "—") + "."
        return p
    }

    // MARK: - Figures

    /// The size study's configuration the comparison reads (the size side's), else its first.
    static func compared(_ r: StudyResults, _ S: SizeSide) -> SizeConfiguration? {
        let configs = SizeData.configurations(r)
        return configs.first { ContrastAnalysis.pointKey($0.point) == S.configuration } ?? configs.first
    }

    static func sizeFigure(_ r: StudyResults, _ S: SizeSide) -> (Chart, String) {
        let m = S.measures
        var chart = Chart(title: "Size axis: error against parameters", xLabel: "parameters (log scale)", yLabel: "error (1 − accuracy)", xLog: true, yRange: (0, 1))
        chart.width = 560
        guard let c = compared(r, S) else { return (chart, "no results") }
        let sizes = c.sizes
        // From 0 to just above the highest seed's error: a 0-1 axis would flatten a peak of a few points.
        let top = sizes.flatMap { c.at($0).map { max($0.testError, $0.trainError) } }.filter(\.isFinite).max() ?? 1
        chart.yRange = (0, min(1, (top * 10).rounded(.up) / 10 + 0.05))
        chart.bands.append(Band(name: "test error, range over seeds", points: sizes.map { s in
            let v = c.at(s).map(\.testError)
            return (Double(c.parameters(s)), v.min() ?? .nan, v.max() ?? .nan)
        }, color: Palette.color(0)))
        chart.series.append(Series(name: "test error, seed mean", points: sizes.map { (Double(c.parameters($0)), c.mean($0)) }, color: Palette.color(0), width: 2.4))
        chart.series.append(Series(name: "train error, seed mean", points: sizes.map { (Double(c.parameters($0)), c.meanTrain($0)) }, color: Palette.color(1), dashed: true))
        var notes: [String] = []
        if let th = S.threshold {
            chart.markers.append(Marker(x: Double(S.params(th)), label: "interpolation threshold", color: "#009E73", labeled: true))
            notes.append("green: interpolation threshold (\(S.sizeKey) = \(th))")
        }
        chart.markers.append(Marker(x: Double(S.params(Int(m.peakSize))), label: "peak", color: "#D55E00", labeled: true))
        notes.append("red: test-error peak (\(Int(m.peakSize)))")
        if let post = S.postPeakMinimum {
            chart.markers.append(Marker(x: Double(S.params(post.size)), label: "post-peak minimum", color: "#0072B2", labeled: true))
            notes.append("blue: post-peak minimum (\(post.size))")
        }
        return (chart, "size axis (\(S.study)): test error (solid, band: range over seeds) and train error (dashed) against parameters; " + notes.joined(separator: "; ") + ".")
    }

    static func stepsFigure(_ r: StudyResults, _ T: StepsSide) -> (Chart, String) {
        var chart = Chart(title: "Steps axis: accuracy against training steps", xLabel: "training step (log scale)", yLabel: "accuracy", xLog: true, yRange: (0, 1))
        chart.width = 560
        let ids = T.configuration.trialIds
        var perSeed: [(steps: [Double], train: [Double], val: [Double])] = []
        for id in ids {
            guard let c = r.store.curve(id), let st = c.column("step"), let tr = c.column("train_accuracy"), let va = c.column("val_accuracy") else { continue }
            perSeed.append((st, tr, va))
        }
        // Mean over the seeds still running at a step (runs stop at their own step after generalizing).
        let steps = Array(Set(perSeed.flatMap(\.steps))).filter { $0 > 0 }.sorted()
        func at(_ s: Double, _ col: KeyPath<(steps: [Double], train: [Double], val: [Double]), [Double]>) -> [Double] {
            perSeed.compactMap { p in p.steps.firstIndex(of: s).map { p[keyPath: col][$0] } }
        }
        let common = steps.filter { at($0, \.val).count == perSeed.count }
        chart.bands.append(Band(name: "validation accuracy, range over seeds", points: common.map { s in let v = at(s, \.val); return (s, v.min()!, v.max()!) }, color: Palette.color(0)))
        chart.series.append(Series(name: "validation, seed mean", points: common.map { s in (s, at(s, \.val).reduce(0, +) / Double(perSeed.count)) }, color: Palette.color(0), width: 2.4))
        chart.series.append(Series(name: "train, seed mean", points: common.map { s in (s, at(s, \.train).reduce(0, +) / Double(perSeed.count)) }, color: Palette.color(1), dashed: true))
        var notes: [String] = []
        if let ms = T.memoStep.value {
            chart.markers.append(Marker(x: ms, label: T.memorization, color: "#009E73", labeled: true)); notes.append("green: median \(T.memorization) step (\(step(ms)))")
        }
        if let gs = T.genStep.value {
            chart.markers.append(Marker(x: gs, label: T.generalization, color: "#0072B2", labeled: true)); notes.append("blue: median \(T.generalization) step (\(step(gs)))")
        }
        return (chart, "steps axis (\(T.study)\(T.configuration.key.isEmpty ? "" : ", \(T.configuration.key)")): validation accuracy (solid, band: range over seeds) and train accuracy (dashed) against steps, over the steps every seed evaluated; " + notes.joined(separator: "; ") + ".")
    }

    /// Test error over (parameters × training steps) from the size study's curves (Davies et al. 2023):
    /// rows are the sizes, columns log-spaced step bins; a cell holds the seed mean of the test error at
    /// the last evaluation up to the bin's end, over the seeds still training at the bin's start.
    static func heatmap(_ r: StudyResults, _ c: SizeConfiguration, threshold: Int?) -> (Heatmap, String, JSON, String)? {
        let sizeKey = Schema.sizeKey(r.study), study = r.study.name
        let sizes = c.sizes
        var curves: [Int: [(steps: [Double], err: [Double])]] = [:]
        for s in sizes {
            curves[s] = c.at(s).compactMap { sm in
                guard let cv = r.store.curve(sm.trial.id), let st = cv.column("step"), let va = cv.column("val_accuracy"), st.count >= 2 else { return nil }
                return (st, va.map { 1 - $0 })
            }
        }
        let allSteps = sizes.flatMap { curves[$0]!.flatMap(\.steps) }.filter { $0 > 0 }
        guard sizes.count >= 2, let lo = allSteps.min(), let hi = allSteps.max(), hi > lo else { return nil }
        let cols = 28
        let l0 = log10(lo), l1 = log10(hi)
        let xEdges = (0...cols).map { pow(10, l0 + (l1 - l0) * Double($0) / Double(cols)) }
        var values: [[Double?]] = []
        for s in sizes {
            values.append((0..<cols).map { j in
                let v = curves[s]!.compactMap { cv -> Double? in
                    guard let last = cv.steps.last, last >= xEdges[j] else { return nil }
                    guard let i = cv.steps.lastIndex(where: { $0 <= xEdges[j + 1] * (1 + 1e-12) }) else { return nil }
                    return cv.err[i]
                }
                return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
            })
        }
        let params = sizes.map { Double(c.parameters($0)) }
        var yEdges = [params[0] / (params.count > 1 ? (params[1] / params[0]).squareRoot() : 2)]
        for i in 0..<params.count - 1 { yEdges.append((params[i] * params[i + 1]).squareRoot()) }
        yEdges.append(params.last! * (params.count > 1 ? (params[params.count - 1] / params[params.count - 2]).squareRoot() : 2))
        let flat = values.flatMap { $0 }.compactMap { $0 }
        let vmin = max(0, floor((flat.min() ?? 0) * 20) / 20), vmax = min(1, ceil((flat.max() ?? 1) * 20) / 20)
        var hm = Heatmap(title: "Test error over model size × training steps", xLabel: "training step (log scale)", yLabel: "parameters (log scale)",
                         colorLabel: "test error (1 − accuracy)", xEdges: xEdges, yEdges: yEdges, values: values, range: (vmin, vmax > vmin ? vmax : vmin + 0.05))
        hm.height = 460
        var lines: [String] = []
        if let th = threshold { hm.lines.append(Marker(x: Double(c.parameters(th)), label: "interpolation threshold (\(sizeKey) = \(th))", color: "#ffffff")); lines.append("interpolation threshold") }
        let caption = "Test error of the size study's networks (\(study)) at each training step (columns: \(cols) log-spaced step bins; rows: the \(sizes.count) sizes); seed mean over the runs still training; hatched: every run of that size had stopped (they stop once they fit every training label)" + (lines.isEmpty ? "." : "; dashed white line: \(lines.joined(separator: ", ")).")
        // The sentence: where in (size, steps) the error is worst, and how the final column orders the sizes.
        var sentence = "Read across a row, a network of fixed size trains over steps (the grokking axis); read up a column, models of growing size after the same number of steps (the double-descent axis)."
        // Where the peak sits at a few training times (columns every size still fills), among the sizes
        // from the classical minimum on (the smaller ones underfit): does the peak move as training goes on?
        let from = (try? c.measures())?.classicalMinimumSize.map { Int($0) } ?? sizes[0]
        let rowsFrom = sizes.indices.filter { sizes[$0] >= from }
        let full = (0..<cols).filter { j in rowsFrom.allSatisfy { values[$0][j] != nil } }
        if let last = full.last, rowsFrom.count >= 2 {
            let picks = Array(Set([full[full.count / 3], full[2 * full.count / 3], last])).sorted()
            let peaks = picks.map { j in (j, rowsFrom.max { values[$0][j]! < values[$1][j]! }!) }
            sentence += " Among the sizes from the classical minimum (\(sizeKey) = \(from)) on, and while every one of them is still training, the highest test error sits at "
            sentence += peaks.map { "\(sizeKey) = \(sizes[$0.1]) after about \(step(xEdges[$0.0 + 1])) steps (\(f(values[$0.1][$0.0])))" }.joined(separator: ", ")
            let ws = peaks.map { sizes[$0.1] }
            sentence += ws.count < 2 || Set(ws).count == 1 ? ": the peak stays put." : zip(ws, ws.dropFirst()).allSatisfy { $0 <= $1 } ? ": the peak moves to larger models as training goes on." : ": the peak moves, not monotonically."
            if let th = threshold { sentence += " The interpolation threshold at the end of training is \(sizeKey) = \(th)." }
        }
        let json = JSON.object([("method", .string("seed mean of 1 − val_accuracy at the last evaluation up to each step bin's end, over the seeds still training at the bin's start")),
                                ("sizes", .array(sizes.map { .int($0) })), ("parameters", .array(sizes.map { .int(c.parameters($0)) })),
                                ("step_edges", .array(xEdges.map { .num($0) })),
                                ("test_error", .array(values.map { .array($0.map { .num($0) }) }))])
        return (hm, caption, json, sentence)
    }

    /// The epoch-wise double-descent study: its seed-mean test error over steps with the fall-rise-fall marked.
    static func bridgeSection(_ b: StudyResults) -> ([Block], JSON) {
        let curves = EpochWise.meanErrorCurves(b, trials: b.trials)
        // The prominence the study itself asks for (its fall_rise_fall expectation), else 0.01.
        let needed = b.study.expectations.compactMap { e -> Double? in if case .size(.fallRiseFall(let p)) = e.kind { return p }; return nil }.first ?? 0.01
        var blocks: [Block] = [.heading("Epoch-wise double descent (`\(b.study.name)`)")]
        if b.study.notReproduced { blocks.append(.note("This study is marked **not reproduced**: its gate fails on this setting; the numbers below say by how much.")) }
        var js: [JSON] = []
        for (i, c) in curves.enumerated() {
            // A regression's test risk can exceed 1: the axis then fits the data.
            let isError = c.error.allSatisfy { $0 <= 1 }
            var chart = Chart(title: "Bridge: test \(isError ? "error" : "risk") over steps" + (c.key.isEmpty ? "" : " (\(c.key))"), xLabel: "training step (log scale)",
                              yLabel: isError ? "test error" : "test risk (mean squared error)", xLog: true, yRange: isError ? (0, 1) : nil)
            let what = isError ? "test error" : "test risk"
            chart.series.append(Series(name: "\(what), seed mean", points: Array(zip(c.steps, c.error)).filter { $0.0 > 0 }, color: Palette.color(0), width: 2))
            if let s = c.shape, s.prominence >= needed {
                chart.markers = [Marker(x: c.steps[s.firstMinimum], label: "first minimum", color: "#009E73", labeled: true),
                                 Marker(x: c.steps[s.peak], label: "bump", color: "#D55E00", labeled: true),
                                 Marker(x: c.steps[s.secondMinimum], label: "second minimum", color: "#0072B2", labeled: true)]
                blocks.append(.list(["\(c.key.isEmpty ? "" : "\(c.key): ")the seed-mean \(what) falls to \(f(c.error[s.firstMinimum])) at step \(Int(c.steps[s.firstMinimum])), rises to \(f(c.error[s.peak])) at step \(Int(c.steps[s.peak])) and falls to \(f(c.error[s.secondMinimum])) at step \(Int(c.steps[s.secondMinimum])): prominence \(f(s.prominence)), the same over-fit-then-recover shape as the size axis, in time."]))
                js.append(.object([("configuration", .string(c.key)), ("first_minimum", .object([("step", .num(c.steps[s.firstMinimum])), ("error", .num(c.error[s.firstMinimum]))])),
                                   ("bump", .object([("step", .num(c.steps[s.peak])), ("error", .num(c.error[s.peak]))])),
                                   ("second_minimum", .object([("step", .num(c.steps[s.secondMinimum])), ("error", .num(c.error[s.secondMinimum]))])), ("prominence", .num(s.prominence)), ("needed", .num(needed)), ("shape", .bool(true))]))
            } else if let s = c.shape {
                blocks.append(.list(["\(c.key.isEmpty ? "" : "\(c.key): ")the most prominent fall-rise-fall of the seed-mean \(what) (\(f(c.error[s.firstMinimum])) at step \(Int(c.steps[s.firstMinimum])), \(f(c.error[s.peak])) at step \(Int(c.steps[s.peak])), \(f(c.error[s.secondMinimum])) at step \(Int(c.steps[s.secondMinimum]))) has prominence \(f(s.prominence)), below the \(f(needed)) the study asks for: no clear epoch-wise double descent here."]))
                js.append(.object([("configuration", .string(c.key)), ("prominence", .num(s.prominence)), ("needed", .num(needed)), ("shape", .bool(false))]))
            } else {
                blocks.append(.list(["\(c.key.isEmpty ? "" : "\(c.key): ")too few evaluations for a fall-rise-fall."]))
            }
            let file = "figures/contrast-bridge-\(i + 1).svg"
            let cap = "Seed-mean \(what) over steps of \(b.study.name)\(c.key.isEmpty ? "" : " (\(c.key))")" + (chart.markers.isEmpty ? "; no fall-rise-fall of the prominence the study asks for, so none is marked." : "; verticals: first minimum, bump, second minimum of its most prominent fall-rise-fall.")
            blocks.append(.figure(Figure(file: file, caption: cap, svg: chart.svg())))
        }
        return (blocks, .object([("study", .string(b.study.name)), ("shapes", .array(js))]))
    }
}

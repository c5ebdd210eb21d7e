// The report of one results folder: report.md, report.html (inline SVG), summary.json, junit.xml and
// figures/*.svg. Every sentence is built from the measured numbers.
import Analysis
@_exported import Evaluation
import Foundation
import Studies
import Training

public struct ReportOutput {
    public let directory: URL
    public let files: [String]
    public let expectations: [ExpectationResult]
    public var passed: Bool { expectations.allSatisfy(\.passed) }
}

/// Which files a report writes (`descent report --format md,html,json,junit`); figures go with md and html.
public struct ReportFormats: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let md = ReportFormats(rawValue: 1)
    public static let html = ReportFormats(rawValue: 2)
    public static let json = ReportFormats(rawValue: 4)
    public static let junit = ReportFormats(rawValue: 8)
    public static let all: ReportFormats = [.md, .html, .json, .junit]
    static let names: [(String, ReportFormats)] = [("md", .md), ("html", .html), ("json", .json), ("junit", .junit)]

    /// Parses "md,html,json,junit" (any non-empty subset, any order); unknown names are an error naming them.
    public static func parse(_ text: String) throws -> ReportFormats {
        var f: ReportFormats = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            guard let (_, v) = names.first(where: { $0.0 == part }) else {
                throw StudyError(nil, "unknown report format '\(part)' in '\(text)'", hint: "use a comma-separated list of md, html, json, junit (default: all four)")
            }
            f.insert(v)
        }
        return f
    }
}

public enum ReportWriter {
    static func num(_ d: Double?) -> String {
        guard let d else { return "—" }
        return d == d.rounded() ? String(Int(d)) : String(format: "%.1f", d)
    }

    /// The columns of a curve.csv that probes added: those after the loop's own (the required ones, softmax
    /// collapse or its earlier name, the label-noise accuracies, the per-tensor norms).
    static func measureColumns(_ c: TrialCurve) -> [String] {
        c.columns.filter { !ResultsStore.requiredCurveColumns.contains($0) && $0 != "softmax_collapse" && $0 != "train_saturated" && !$0.hasPrefix("norm_")
            && !NoiseAccuracy.columns.contains($0) }
    }

    /// The accuracies on the corrupted rows (against their wrong and true labels), the clean rows and the validation set, per seed
    /// (nil when no trial of the configuration has label noise on a table).
    static func labelNoiseChart(_ r: StudyResults, _ trials: [Trial], key: String, markers: [Marker]) -> Chart? {
        var chart = Chart(title: "Corrupted and clean rows against training steps" + (key.isEmpty ? "" : " (\(key))"),
                          xLabel: "training step (log scale; step 0 not shown)", yLabel: "accuracy", xLog: true, yRange: (0, 1))
        // NoiseAccuracy.columns (corrupted against the wrong label, against the true result, clean), then validation.
        let kinds = zip(NoiseAccuracy.columns + ["val_accuracy"], [("corrupted rows, wrong label", true), ("corrupted rows, true result", true),
                                                                  ("clean training rows", false), ("validation", false)]).map { ($0, $1.0, $1.1) }
        for trial in trials {
            guard let curve = r.store.curve(trial.id), let st = curve.column("step"), curve.column(NoiseAccuracy.columns[0]) != nil else { continue }
            for (ki, (column, label, dashed)) in kinds.enumerated() {
                guard let v = curve.column(column) else { continue }
                chart.series.append(Series(name: "\(label), seed \(trial.seedIndex)", points: zip(st, v).filter { $0.1.isFinite }, color: Palette.color(ki), dashed: dashed))
            }
        }
        guard !chart.series.isEmpty else { return nil }
        chart.markers = markers
        return chart
    }

    /// `<results>/report` (or `out`) with its figures/ folder, created.
    static func reportDirectory(_ r: StudyResults, _ out: URL?) throws -> URL {
        let dir = out ?? r.store.root.appendingPathComponent("report")
        let figures = dir.appendingPathComponent("figures")
        // Figures of an earlier report that this one no longer draws must not linger beside it.
        for f in (try? FileManager.default.contentsOfDirectory(atPath: figures.path)) ?? [] where f.hasSuffix(".svg") {
            try? FileManager.default.removeItem(at: figures.appendingPathComponent(f))
        }
        do {
            try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        } catch {
            throw StudyError(nil, "cannot create the report folder '\(dir.path)': \(error.localizedDescription)", hint: "check that the folder is writable")
        }
        return dir
    }

    /// Writes the report into `<results>/report` (or `out`).
    public static func write(_ r: StudyResults, to out: URL? = nil, formats: ReportFormats = .all, command: String? = nil) throws -> ReportOutput {
        if r.study.axis == "size" { return try SizeReportWriter.write(r, to: out, formats: formats, command: command) }
        let dir = try ReportWriter.reportDirectory(r, out)
        let s = r.study
        let exps = ExpectationEvaluator.evaluate(r)
        let eventNames = s.events.map(\.name)
        let memo = eventNames.contains("memorization") ? "memorization" : eventNames.first
        let gen = eventNames.contains("generalization") ? "generalization" : eventNames.dropFirst().first
        var figures: [Figure] = []

        let done = r.summaries.count
        let statuses = Dictionary(grouping: r.summaries.values, by: \.status).mapValues(\.count)
        var line = "Profile: `\(s.profile ?? "default")` · trials: \(r.trials.count) (\(done) with results"
        line += statuses.keys.sorted().map { ", \(statuses[$0]!) \($0)" }.joined() + ")"
        if let command { line += " · command: `\(command)`" }
        var sections = [DocumentWriter.header(r, line: line, notReproduced: true)]
        // Expectations first: they are the gate.
        if let e = DocumentWriter.expectations(exps) { sections.append(e) }

        // Events per configuration.
        var events = Section("Events per configuration", [.paragraph("An event's step is the first evaluation step at which it held (it happened between the previous evaluation and that step). "
            + "A trial that never reached an event within its budget is censored: it counts in k/n but never as a step.")])
        var table = Table(["configuration", "seeds"] + eventNames.flatMap { ["\($0) k/n", "median \($0) step", "\($0) steps per seed"] }
            + ((memo != nil && gen != nil) ? ["median delay (\(gen!) − \(memo!))"] : []))
        var groupsJSON: [JSON] = []
        for (gi, c) in ConfigurationEvents.of(r).enumerated() {
            var cells = [c.key.isEmpty ? "(single configuration)" : c.key, String(c.trials.count)]
            for e in c.events { cells += [e.trials == 0 && !e.labels.isEmpty ? "n/a" : "\(e.reached)/\(e.trials)", num(e.medianStep), e.labels.joined(separator: ", ")] }
            if c.delayPair != nil { cells.append(c.medianDelay.map { num($0) } ?? "—") }
            table.add(cells)
            let evJSON = c.events.map { e -> (String, JSON) in
                (e.name, .object([("reached", .int(e.reached)), ("trials", .int(e.trials)), ("median_step", .num(e.medianStep)),
                                  ("median_method", .string(ConfigurationEvents.medianMethod)), ("steps", .array(e.steps.map { $0.map { .int($0) } ?? .null }))]))
            }
            groupsJSON.append(.object([("configuration", .object(c.trials[0].point.map { ($0.0, $0.1.jsonValue) })),
                                       ("trial_ids", .array(c.trials.map { .string($0.id) })), ("events", .object(evJSON))]))

            // The accuracy curves of this configuration, every seed.
            var chart = Chart(title: "Accuracy against training steps" + (c.key.isEmpty ? "" : " (\(c.key))"),
                              xLabel: "training step (log scale; step 0 not shown)", yLabel: "accuracy", xLog: true, yRange: (0, 1))
            for (si, trial) in c.trials.enumerated() {
                guard let curve = r.store.curve(trial.id), let st = curve.column("step"),
                      let tr = curve.column("train_accuracy"), let va = curve.column("val_accuracy"),
                      va.contains(where: \.isFinite) else { continue }   // a regression has no accuracy
                let color = Palette.color(si)
                let sm = r.summaries[trial.id]
                chart.series.append(Series(name: "seed \(trial.seedIndex) train", points: Array(zip(st, tr)), color: color, dashed: true))
                chart.series.append(Series(name: "seed \(trial.seedIndex) validation", points: Array(zip(st, va)), color: color))
                if let gen, let gs = sm?.events[gen]?.step { chart.markers.append(Marker(x: Double(gs), label: "\(gen) seed \(trial.seedIndex)", color: color)) }
                if let memo, let ms = sm?.events[memo]?.step { chart.markers.append(Marker(x: Double(ms), label: "\(memo) seed \(trial.seedIndex)", color: color)) }
            }
            guard !chart.series.isEmpty else { continue }
            figures.append(Figure(file: "figures/accuracy-\(gi + 1).svg", caption: "Train (dashed) and validation (solid) accuracy per seed; dotted verticals mark each seed's \([memo, gen].compactMap { $0 }.joined(separator: " and ")) steps.", svg: chart.svg()))
            if let noise = labelNoiseChart(r, c.trials, key: c.key, markers: chart.markers) {
                figures.append(Figure(file: "figures/label-noise-\(gi + 1).svg", caption: "Label noise: the accuracy on the corrupted training rows against their wrong labels (memorized noise) and against their true results, on the clean training rows, and on the validation set, every seed in the colour of its curve kind; dotted verticals mark each seed's \([memo, gen].compactMap { $0 }.joined(separator: " and ")) steps.", svg: noise.svg()))
            }
            // The losses on log-log axes (the validation loss rises after memorization and falls at grokking),
            // and the total weight norm, with the same event lines.
            var loss = Chart(title: "Loss against training steps" + (c.key.isEmpty ? "" : " (\(c.key))"),
                             xLabel: "training step (log scale; step 0 not shown)", yLabel: "training loss (log scale)", xLog: true)
            loss.yLog = true
            // Each measure a probe records in curve.csv (probes.json's method says how), with the same event lines.
            var measures: [String: Chart] = [:], measureOrder: [String] = []
            // Where a seed's validation loss rises and falls again (an epoch-wise double descent of the loss).
            var lossBumps: [String] = [], bumpMarkers: [Marker] = []
            var norm = Chart(title: "Weight norm against training steps" + (c.key.isEmpty ? "" : " (\(c.key))"),
                             xLabel: "training step (log scale; step 0 not shown)", yLabel: "total weight norm ‖θ‖", xLog: true)
            for (si, trial) in c.trials.enumerated() {
                guard let curve = r.store.curve(trial.id), let st = curve.column("step") else { continue }
                let color = Palette.color(si)
                if let tl = curve.column("train_loss"), let vl = curve.column("val_loss") {
                    loss.series.append(Series(name: "seed \(trial.seedIndex) train", points: Array(zip(st, tl)), color: color, dashed: true))
                    loss.series.append(Series(name: "seed \(trial.seedIndex) validation", points: Array(zip(st, vl)), color: color))
                    if let bump = EpochWise.validationLossBump(curve) {
                        lossBumps.append(String(format: "seed %d peaks at step %.0f (rise %.3g, fall %.3g nats)", trial.seedIndex, bump.step, bump.bump.rise, bump.bump.fall))
                        bumpMarkers.append(Marker(x: bump.step, label: "validation-loss peak seed \(trial.seedIndex)", color: color))
                    }
                }
                if let w = curve.column("weight_norm") { norm.series.append(Series(name: "seed \(trial.seedIndex)", points: Array(zip(st, w)), color: color)) }
                for name in ReportWriter.measureColumns(curve) {
                    guard let v = curve.column(name), v.contains(where: \.isFinite) else { continue }
                    if measures[name] == nil {
                        measureOrder.append(name)
                        measures[name] = Chart(title: "`\(name)` against training steps" + (c.key.isEmpty ? "" : " (\(c.key))"),
                                               xLabel: "training step (log scale; step 0 not shown)", yLabel: name + (name.hasSuffix("_loss") ? " (log scale)" : ""), xLog: true)
                        measures[name]!.yLog = name.hasSuffix("_loss")
                    }
                    // Measured on a sparser schedule: the line joins the evaluations that have a value.
                    measures[name]!.series.append(Series(name: "seed \(trial.seedIndex)", points: zip(st, v).filter { $0.1.isFinite }, color: color))
                }
            }
            loss.markers = chart.markers + bumpMarkers; norm.markers = chart.markers
            if !loss.series.isEmpty {
                let bumps = lossBumps.isEmpty
                    ? " No seed's validation loss rises and falls again by \(EpochWise.lossBumpProminence) nats or more."
                    : " The validation loss rises and falls again (an epoch-wise double descent of the loss; its top marked) in \(lossBumps.count) of \(c.trials.count) seeds: " + lossBumps.joined(separator: "; ") + " (the rise from the lowest value before the top, the fall to the lowest after it)."
                figures.append(Figure(file: "figures/loss-\(gi + 1).svg", caption: "Train (dashed) and validation (solid) loss per seed on log-log axes; dotted verticals mark the events." + bumps, svg: loss.svg()))
            }
            if norm.series.contains(where: { $0.points.contains { $0.1.isFinite && $0.1 > 0 } }) {
                figures.append(Figure(file: "figures/weight-norm-\(gi + 1).svg", caption: "Total weight norm per seed; dotted verticals mark the events.", svg: norm.svg()))
            }
            for name in measureOrder {
                var m = measures[name]!
                m.markers = chart.markers
                figures.append(Figure(file: "figures/measure-\(name.replacingOccurrences(of: "_", with: "-"))-\(gi + 1).svg",
                                      caption: "`\(name)` per seed, as the probes record it at every evaluation (probes.json gives the method); dotted verticals mark the events.", svg: m.svg()))
            }
            // Softmax collapse per seed, where any training row collapsed (curves before 2026-11-23 lack the column).
            var collapse = Chart(title: "Softmax collapse against training steps" + (c.key.isEmpty ? "" : " (\(c.key))"),
                                 xLabel: "training step (log scale; step 0 not shown)", yLabel: "share of training rows in softmax collapse", xLog: true, yRange: (0, 1))
            for (si, trial) in c.trials.enumerated() {
                guard let curve = r.store.curve(trial.id), let st = curve.column("step"), let sc = curve.column("softmax_collapse"),
                      sc.contains(where: { $0 > 0 }) else { continue }
                collapse.series.append(Series(name: "seed \(trial.seedIndex)", points: Array(zip(st, sc)), color: Palette.color(si)))
            }
            if !collapse.series.isEmpty {
                figures.append(Figure(file: "figures/softmax-collapse-\(gi + 1).svg", caption: "Share of training rows in softmax collapse per seed: the correct class's softmax probability rounds to exactly 1 in the loss's precision, so the row's loss and gradient vanish (Prieto et al. 2025).", svg: collapse.svg()))
            }
        }
        events.blocks.append(.table(table))
        sections.append(events)
        // A study with arms: the interventions compared with their matched arms.
        var interventionsJSON: JSON = .null
        if let it = InterventionTable(r) {
            let (section, figs, json) = InterventionsSection.section(r, it)
            sections.append(section)
            figures += figs
            interventionsJSON = json
        }
        // The figures go here, once all are drawn: the curves before the tables of statistics.
        let figuresAt = sections.count

        // Intervals, censored event times and fitted laws (GSL, through Analysis).
        var statisticsJSON: JSON = .null
        do {
            let st = try StudyStatistics(r)
            sections.append(StatisticsSection.section(st))
            statisticsJSON = .raw(String(decoding: try st.json(), as: UTF8.self))
            // Time to the last event (generalization) per configuration, as Kaplan-Meier step curves.
            if let last = gen ?? eventNames.last {
                let curves = st.configurations.compactMap { c -> (String, KaplanMeier)? in
                    c.events.first { $0.event == last }.map { (c.key.isEmpty ? "all trials" : c.key, $0.kaplanMeier) }
                }
                if !curves.isEmpty {
                    let chart = Figures.kaplanMeier(title: "Time to \(last) per configuration", event: last, curves: curves)
                    figures.append(Figure(file: "figures/time-to-\(last).svg", caption: "Kaplan-Meier estimate of the share of trials that have not reached \(last) by each step, per configuration, with 95 % pointwise bands (Greenwood, log-log); rings: trials censored at their budget.", svg: chart.svg()))
                }
            }
            // Event steps against each swept key, with the best law by AIC.
            for (i, sw) in st.sweeps.enumerated() where sw.points.count >= 2 {
                let (chart, caption) = Figures.lawScatter(key: sw.key, event: sw.event ?? "event", points: sw.points, laws: sw.laws)
                figures.append(Figure(file: "figures/law-\(i + 1).svg", caption: caption, svg: chart.svg()))
            }
        } catch {
            sections.append(Section("Statistics", [.note("Not computed: \(error)")]))
        }

        if let d = DataEfficiency.section(r) { sections.append(d) }
        let probes = ProbeSection.section(r)
        if let p = probes.section { sections.append(p) }
        figures += probes.figures
        var progressJSON: JSON? = nil
        if let ranking = ProgressMeasures.rank(r), !ranking.measures.isEmpty {
            let (section, json) = try ProgressMeasureSection.section(ranking)
            sections.append(section)
            progressJSON = json
        }
        sections.append(trialsSection(r, events: eventNames))
        if let e = SizeReportWriter.epochWiseSection(r, figures: &figures) { sections.append(e) }
        sections.insert(Section("Figures", figures.map { .figure($0) }), at: figuresAt)

        let doc = ReportDocument(title: s.name, sections: sections)
        let summary = JSON.object([
            ("study", .string(s.name)), ("question", .string(s.question)), ("axis", .string(s.axis)),
            ("profile", s.profile.map { .string($0) } ?? .null), ("study_hash", .string(s.hash)),
            ("runs", ReportWriter.provenanceJSON(r.store)),
            ("trials", .int(r.trials.count)), ("trials_with_results", .int(done)),
            ("configurations", .array(groupsJSON)),
            ("statistics", statisticsJSON),
            ("interventions", interventionsJSON),
            ("expectations", expectationsJSON(exps)),
        ] + (progressJSON.map { [("progress_measures", $0)] } ?? []))
        let files = try DocumentWriter.write(doc, to: dir, formats: formats, summary: summary, gates: DocumentWriter.gates(exps), suite: s.name)
        return ReportOutput(directory: dir, files: files, expectations: exps)
    }

    static func expectationsJSON(_ exps: [ExpectationResult]) -> JSON {
        .array(exps.map { .object([("expectation", .string($0.expectation.text)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })
    }

    /// Per-trial detail: one row per trial, one column per event (none for a study without events).
    static func trialsSection(_ r: StudyResults, events: [String]) -> Section {
        var table = Table(["trial", "configuration", "seed", "status", "steps run"] + events.map { "\($0) step" } + ["final train acc", "final val acc", "wall s"])
        for t in r.trials {
            let sm = r.summaries[t.id]
            var cells = ["`\(t.id)`", t.groupKey.isEmpty ? "—" : t.groupKey, String(t.seedIndex), sm?.status ?? "missing", sm.map { String($0.stepsRun) } ?? "—"]
            cells += events.map { e in sm.map { s in s.events[e]?.step.map(String.init) ?? "censored" } ?? "—" }
            cells += [sm?.final["train_accuracy"].map { String(format: "%.4f", $0) } ?? "—", sm?.final["val_accuracy"].map { String(format: "%.4f", $0) } ?? "—",
                      sm.map { String(format: "%.1f", $0.wallSeconds) } ?? "—"]
            table.add(cells)
        }
        return Section("Trials", [.table(table)])
    }

    static func xml(_ s: String) -> String { esc(s).replacingOccurrences(of: "'", with: "&apos;") }
}

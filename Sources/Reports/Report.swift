// The report of one results folder: report.md, report.html (inline SVG), summary.json, junit.xml and
// figures/*.svg. Every sentence is built from the measured numbers.
import Analysis
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
    struct Row {
        let trial: Trial
        let summary: TrialSummary?
        func step(_ e: String) -> Int? { summary?.events[e]?.step }
    }

    static func median(_ v: [Int]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func num(_ d: Double?) -> String {
        guard let d else { return "—" }
        return d == d.rounded() ? String(Int(d)) : String(format: "%.1f", d)
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
        var files: [String] = []
        var figures: [(String, String, String)] = []   // (file, caption, svg)

        var md = "# \(s.name)\n\n"
        if !s.question.isEmpty { md += "**Question.** \(s.question)\n\n" }
        if !s.description.isEmpty { md += "\(s.description)\n\n" }
        if s.notReproduced {
            md += "> **Not reproduced here:** this study's gate is known to fail on this setting; the study file says by how much and what was tried.\n\n"
        }
        let done = r.summaries.count
        let statuses = Dictionary(grouping: r.summaries.values, by: \.status).mapValues(\.count)
        md += "Profile: `\(s.profile ?? "default")` · trials: \(r.trials.count) (\(done) with results"
        md += statuses.keys.sorted().map { ", \(statuses[$0]!) \($0)" }.joined() + ")"
        if let command { md += " · command: `\(command)`" }
        md += "\n\n"
        md += ReportWriter.provenanceMarkdown(r.store)
        if !r.missing.isEmpty {
            md += "> **Incomplete:** \(r.missing.count) of \(r.trials.count) trials have no result; run the study again to finish them.\n\n"
        }

        // Expectations first: they are the gate.
        if !exps.isEmpty {
            md += "## Expectations\n\n"
            for x in exps {
                md += "- \(x.passed ? "pass" : "**FAIL**"): `\(x.expectation.text)` — \(x.detail)\n"
            }
            md += "\n"
        }

        // Events per configuration.
        md += "## Events per configuration\n\n"
        md += "An event's step is the first evaluation step at which it held (it happened between the previous evaluation and that step). "
        md += "A trial that never reached an event within its budget is censored: it counts in k/n but never as a step.\n\n"
        let cols = ["configuration", "seeds"] + eventNames.flatMap { ["\($0) k/n", "median \($0) step", "\($0) steps per seed"] }
            + ((memo != nil && gen != nil) ? ["median delay (\(gen!) − \(memo!))"] : [])
        md += "| " + cols.joined(separator: " | ") + " |\n|" + cols.map { _ in "---" }.joined(separator: "|") + "|\n"
        var groupsJSON: [JSON] = []
        for (gi, g) in r.groups.enumerated() {
            let rows = g.trials.map { Row(trial: $0, summary: r.summaries[$0.id]) }
            var cells = [g.key.isEmpty ? "(single configuration)" : g.key, String(rows.count)]
            var evJSON: [(String, JSON)] = []
            for e in eventNames {
                let steps = rows.compactMap { $0.step(e) }
                let k = steps.count, n = rows.count
                let med = k * 2 > n ? median(steps) : nil
                cells += ["\(k)/\(n)", num(med), rows.map { $0.step(e).map(String.init) ?? ($0.summary == nil ? "missing" : "censored") }.joined(separator: ", ")]
                evJSON.append((e, .object([("reached", .int(k)), ("trials", .int(n)), ("median_step", .num(med)),
                                           ("median_method", .string("sample median of the reached steps, reported only when more than half of the trials reached the event")),
                                           ("steps", .array(rows.map { $0.step(e).map { .int($0) } ?? .null }))])))
            }
            if let memo, let gen {
                let delays = rows.compactMap { row -> Int? in
                    guard let a = row.step(memo), let b = row.step(gen) else { return nil }
                    return b - a
                }
                cells.append(delays.count * 2 > rows.count ? num(median(delays)) : "—")
            }
            md += "| " + cells.joined(separator: " | ") + " |\n"
            groupsJSON.append(.object([("configuration", .object(g.trials[0].point.map { ($0.0, $0.1.jsonValue) })),
                                       ("trial_ids", .array(g.trials.map { .string($0.id) })), ("events", .object(evJSON))]))

            // The accuracy curves of this configuration, every seed.
            var chart = Chart(title: "Accuracy against training steps" + (g.key.isEmpty ? "" : " (\(g.key))"),
                              xLabel: "training step (log scale; step 0 not shown)", yLabel: "accuracy", xLog: true, yRange: (0, 1))
            for (si, row) in rows.enumerated() {
                guard let curve = r.store.curve(row.trial.id), let st = curve.column("step"),
                      let tr = curve.column("train_accuracy"), let va = curve.column("val_accuracy"),
                      va.contains(where: \.isFinite) else { continue }   // a regression has no accuracy
                let color = Palette.color(si)
                chart.series.append(Series(name: "seed \(row.trial.seedIndex) train", points: Array(zip(st, tr)), color: color, dashed: true))
                chart.series.append(Series(name: "seed \(row.trial.seedIndex) validation", points: Array(zip(st, va)), color: color))
                if let gen, let gs = row.step(gen) { chart.markers.append(Marker(x: Double(gs), label: "\(gen) seed \(row.trial.seedIndex)", color: color)) }
                if let memo, let ms = row.step(memo) { chart.markers.append(Marker(x: Double(ms), label: "\(memo) seed \(row.trial.seedIndex)", color: color)) }
            }
            guard !chart.series.isEmpty else { continue }
            let file = "figures/accuracy-\(gi + 1).svg"
            figures.append((file, "Train (dashed) and validation (solid) accuracy per seed; dotted verticals mark each seed's \([memo, gen].compactMap { $0 }.joined(separator: " and ")) steps.", chart.svg()))
        }
        md += "\n"

        // The figures go here, once all are drawn: the curves before the tables of statistics.
        let figuresAt = md.utf8.count
        // Intervals, censored event times and fitted laws (GSL, through Analysis).
        var statisticsJSON: JSON = .null
        do {
            let st = try StudyStatistics(r)
            md += StatisticsSection.markdown(st)
            statisticsJSON = .raw(String(decoding: try st.json(), as: UTF8.self))
            // Time to the last event (generalization) per configuration, as Kaplan-Meier step curves.
            if let last = gen ?? eventNames.last {
                let curves = st.configurations.compactMap { c -> (String, KaplanMeier)? in
                    c.events.first { $0.event == last }.map { (c.key.isEmpty ? "all trials" : c.key, $0.kaplanMeier) }
                }
                if !curves.isEmpty {
                    let chart = Figures.kaplanMeier(title: "Time to \(last) per configuration", event: last, curves: curves)
                    figures.append(("figures/time-to-\(last).svg", "Kaplan-Meier estimate of the share of trials that have not reached \(last) by each step, per configuration, with 95 % pointwise bands (Greenwood, log-log); rings: trials censored at their budget.", chart.svg()))
                }
            }
            // Event steps against each swept key, with the best law by AIC.
            for (i, sw) in st.sweeps.enumerated() where sw.points.count >= 2 {
                let (chart, caption) = Figures.lawScatter(key: sw.key, event: sw.event ?? "event", points: sw.points, laws: sw.laws)
                figures.append(("figures/law-\(i + 1).svg", caption, chart.svg()))
            }
        } catch {
            md += "## Statistics\n\n> Not computed: \(error)\n\n"
        }

        md += DataEfficiency.markdown(r)
        let probes = ProbeSection.render(r)
        md += probes.markdown
        figures += probes.figures

        // Per-trial detail.
        md += "## Trials\n\n| trial | configuration | seed | status | steps run | "
        md += eventNames.map { "\($0) step" }.joined(separator: " | ")
        md += " | final train acc | final val acc | wall s |\n|---|---|---|---|---|" + eventNames.map { _ in "---" }.joined(separator: "|") + "|---|---|---|\n"
        for t in r.trials {
            let sm = r.summaries[t.id]
            var cells = ["`\(t.id)`", t.groupKey.isEmpty ? "—" : t.groupKey, String(t.seedIndex), sm?.status ?? "missing", sm.map { String($0.stepsRun) } ?? "—"]
            cells += eventNames.map { e in sm.map { s in s.events[e]?.step.map(String.init) ?? "censored" } ?? "—" }
            cells += [sm?.final["train_accuracy"].map { String(format: "%.4f", $0) } ?? "—", sm?.final["val_accuracy"].map { String(format: "%.4f", $0) } ?? "—",
                      sm.map { String(format: "%.1f", $0.wallSeconds) } ?? "—"]
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        md += "\n" + SizeReportWriter.epochWiseSection(r, figures: &figures)
        md = insertFigures(md, at: figuresAt, figures)
        files += try writeDocuments(dir, title: s.name, markdown: md, figures: figures, formats: formats)

        let summary = JSON.object([
            ("study", .string(s.name)), ("question", .string(s.question)), ("axis", .string(s.axis)),
            ("profile", s.profile.map { .string($0) } ?? .null), ("study_hash", .string(s.hash)),
            ("runs", ReportWriter.provenanceJSON(r.store)),
            ("trials", .int(r.trials.count)), ("trials_with_results", .int(done)),
            ("configurations", .array(groupsJSON)),
            ("statistics", statisticsJSON),
            ("expectations", .array(exps.map { .object([("expectation", .string($0.expectation.text)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
        ])
        if formats.contains(.json) { try writeAtomically(summary.render() + "\n", to: dir.appendingPathComponent("summary.json")); files.append("summary.json") }
        if formats.contains(.junit) { try writeAtomically(junit(s, exps), to: dir.appendingPathComponent("junit.xml")); files.append("junit.xml") }
        return ReportOutput(directory: dir, files: files, expectations: exps)
    }

    /// The Markdown with a "Figures" section inserted at a UTF-8 offset taken while it was being written.
    static func insertFigures(_ md: String, at offset: Int, _ figures: [(String, String, String)]) -> String {
        var section = "## Figures\n\n"
        for (file, caption, _) in figures { section += "![\(caption)](\(file))\n\n*\(caption)*\n\n" }
        let bytes = Array(md.utf8)
        return String(decoding: bytes[..<offset], as: UTF8.self) + section + String(decoding: bytes[offset...], as: UTF8.self)
    }

    /// Writes the figures (with md or html), report.md and report.html as asked; returns the files written.
    static func writeDocuments(_ dir: URL, title: String, markdown md: String, figures: [(String, String, String)], formats: ReportFormats) throws -> [String] {
        var files: [String] = []
        if formats.contains(.md) || formats.contains(.html) {
            for (file, _, svg) in figures { try writeAtomically(svg, to: dir.appendingPathComponent(file)); files.append(file) }
        }
        if formats.contains(.md) { try writeAtomically(md, to: dir.appendingPathComponent("report.md")); files.append("report.md") }
        if formats.contains(.html) { try writeAtomically(html(title: title, markdown: md, figures: figures), to: dir.appendingPathComponent("report.html")); files.append("report.html") }
        return files
    }

    static func xml(_ s: String) -> String { esc(s).replacingOccurrences(of: "'", with: "&apos;") }

    /// One test case per expectation (JUnit XML as read by CI systems).
    static func junit(_ s: Study, _ exps: [ExpectationResult]) -> String {
        let failures = exps.filter { !$0.passed }.count
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites tests=\"\(exps.count)\" failures=\"\(failures)\">\n"
        x += "  <testsuite name=\"\(xml(s.name))\" tests=\"\(exps.count)\" failures=\"\(failures)\">\n"
        for (i, e) in exps.enumerated() {
            x += "    <testcase classname=\"\(xml(s.name))\" name=\"expect[\(i)] \(xml(e.expectation.text))\">"
            if e.passed {
                x += "<system-out>\(xml(e.detail))</system-out>"
            } else {
                x += "<failure message=\"\(xml(e.detail))\">\(xml(e.expectation.location.description)): \(xml(e.detail))</failure>"
            }
            x += "</testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    /// A self-contained HTML page: the Markdown's text in <pre>-free blocks, figures inline as SVG.
    static func html(title: String, markdown: String, figures: [(String, String, String)]) -> String {
        var body = ""
        var inTable = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("|") {
                let cells = line.trimmingCharacters(in: CharacterSet(charactersIn: "|")).components(separatedBy: " | ").map { $0.trimmingCharacters(in: .whitespaces) }
                if cells.allSatisfy({ $0.allSatisfy { $0 == "-" || $0 == "|" } }) { continue }
                if !inTable { body += "<div class=\"scroll\"><table>\n"; inTable = true; body += "<tr>" + cells.map { "<th>\(inline($0))</th>" }.joined() + "</tr>\n"; continue }
                body += "<tr>" + cells.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n"
                continue
            }
            if inTable { body += "</table></div>\n"; inTable = false }
            if line.hasPrefix("# ") { body += "<h1>\(inline(String(line.dropFirst(2))))</h1>\n" }
            else if line.hasPrefix("## ") { body += "<h2>\(inline(String(line.dropFirst(3))))</h2>\n" }
            else if line.hasPrefix("### ") { body += "<h3>\(inline(String(line.dropFirst(4))))</h3>\n" }
            else if line.hasPrefix("- ") { body += "<p class=\"item\">\(inline(String(line.dropFirst(2))))</p>\n" }
            else if line.hasPrefix("> ") { body += "<blockquote>\(inline(String(line.dropFirst(2))))</blockquote>\n" }
            else if line.hasPrefix("![") {
                // Several images on one line sit side by side (two columns, one on a narrow screen).
                let fs = figures.filter { line.contains("(\($0.0))") }
                if fs.count > 1 { body += "<div class=\"pair\">" + fs.map { "<figure>\($0.2)</figure>" }.joined() + "</div>\n" }
                else if let f = fs.first { body += "<figure>\(f.2)</figure>\n" }
            }
            else if !line.isEmpty { body += "<p>\(inline(line))</p>\n" }
        }
        if inTable { body += "</table></div>\n" }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; max-width: 1000px; margin: 0 auto; padding: 16px; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
        th { background: #f3f3f3; } .scroll { overflow-x: auto; margin: 8px 0 16px; }
        figure { margin: 12px 0; } figure svg { display: block; max-width: 100%; height: auto; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; } .pair figure { margin: 0; }
        @media (max-width: 760px) { .pair { grid-template-columns: 1fr; } body { padding: 8px; } }
        code { background: #f4f4f4; padding: 0 3px; } blockquote { border-left: 4px solid #D55E00; margin: 8px 0; padding: 4px 10px; background: #fff4ec; }
        @media print { body { max-width: none; } .scroll { overflow: visible; } figure, .pair, tr { break-inside: avoid; } h2 { break-after: avoid; } }
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// Markdown inline code and bold to HTML, everything else escaped.
    static func inline(_ s: String) -> String {
        var out = ""
        var code = false, bold = false
        var chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "`" { out += code ? "</code>" : "<code>"; code.toggle(); i += 1; continue }
            if !code && c == "*" && i + 1 < chars.count && chars[i + 1] == "*" { out += bold ? "</b>" : "<b>"; bold.toggle(); i += 2; continue }
            if !code && c == "*" { i += 1; continue }
            out += esc(String(c))
            i += 1
        }
        chars.removeAll()
        return out
    }
}

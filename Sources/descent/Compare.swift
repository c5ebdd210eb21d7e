import ArgumentParser
import Foundation
import Reports
import Studies

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs of one study: did a change move the science?",
        discussion: """
        BASE and NEW are results folders of the same study and trial grid (code, commit or machine may differ). \
        Per configuration and event: k/n on each side, Kaplan-Meier medians, the speed-up of NEW over BASE with a \
        bootstrap interval and the log-rank test, Holm-adjusted over every item; per configuration, the largest \
        difference between the seed-mean validation-accuracy curves in standard errors; byte-identical trials are \
        said as such. Verdicts: identical, same, better, worse, inconclusive (the seeds cannot tell a change of \
        --margin from none). Writes comparison.md, comparison.json and junit.xml (--format) to --out. Exits 1 when \
        a verdict that --fail-on names occurs (changed: better or worse; worse; never), 64 for bad input. \
        Steps-axis studies only so far.
        """)

    @Argument(help: "The baseline results folder.")
    var base: String

    @Argument(help: "The new results folder, of the same study.")
    var new: String

    @Option(name: .long, help: "Exit 1 on these verdicts: changed (better or worse), worse, or never.")
    var failOn: String = "changed"

    @Option(name: .long, help: "Family-wise error rate of the log-rank tests (Holm), and 1 − the bootstrap intervals' level.")
    var alpha: Double = 0.05

    @Option(name: .long, help: "A speed-up whose interval lies within [1/margin, margin] is 'same'.")
    var margin: Double = 1.25

    @Option(name: .long, help: "Files to write: a comma-separated subset of md, json, junit.")
    var format: String = "md,json,junit"

    @Option(name: .long, help: "Where to write the files (default: <NEW>/comparison).")
    var out: String?

    func validate() throws {
        guard ["changed", "worse", "never"].contains(failOn) else { throw ValidationError("--fail-on must be changed, worse or never, not '\(failOn)'") }
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1), not \(alpha)") }
        guard margin > 1, margin.isFinite else { throw ValidationError("--margin must be a ratio above 1, such as 1.25; got \(margin)") }
        let parts = format.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty, parts.allSatisfy({ ["md", "json", "junit"].contains($0) }) else {
            throw ValidationError("--format must be a comma-separated subset of md, json, junit; got '\(format)'")
        }
    }

    var failing: Set<Verdict> { failOn == "changed" ? [.better, .worse] : failOn == "worse" ? [.worse] : [] }

    func run() throws {
        let a = try loadResults(base), b = try loadResults(new)
        let c: StudyComparison
        do { c = try StudyComparison(base: a, new: b, alpha: alpha, margin: margin) } catch let e as StudyError { throw fail(e.description, code: 64) }
        let dir = URL(fileURLWithPath: out ?? URL(fileURLWithPath: new).appendingPathComponent("comparison").path)
        let formats = Set(format.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            if formats.contains("md") { try writeAtomically(markdown(c), to: dir.appendingPathComponent("comparison.md")) }
            if formats.contains("json") { try writeAtomically(json(c), to: dir.appendingPathComponent("comparison.json")) }
            if formats.contains("junit") { try writeAtomically(junit(c), to: dir.appendingPathComponent("junit.xml")) }
        } catch {
            throw fail("cannot write the comparison to '\(dir.path)': \(error.localizedDescription)", code: ExitStatus.writeFailed)
        }
        print("descent: " + headline(c))
        print("descent: comparison in \(dir.path)")
        let bad = c.events.filter { failing.contains($0.verdict) }
        for e in bad { print("  \(e.verdict.rawValue.uppercased()) \(e.configuration.isEmpty ? "" : e.configuration + ": ")\(e.event)") }
        if !bad.isEmpty { throw ExitCode(1) }
    }

    func headline(_ c: StudyComparison) -> String {
        let counts = c.counts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let ids = c.sameTrialIds == c.trials ? "" : " (\(c.trials - c.sameTrialIds) of \(c.trials) trials have other ids: a setting outside the sweep changed)"
        return "\(c.study): \(c.identicalTrials) of \(c.trials) trials byte-identical" + (c.identical ? " (the runs are identical)" : "") + ids + "; events: " + (counts.isEmpty ? "none" : counts)
    }

    static func num(_ d: Double?, _ f: String = "%.0f") -> String { d.map { String(format: f, $0) } ?? "—" }

    func markdown(_ c: StudyComparison) -> String {
        var s = "# descent compare: \(c.study)\n\nBASE `\(base)` · NEW `\(new)` · fail on: \(failOn) · α = \(c.alpha) · margin ×\(c.margin)\n\n**\(headline(c)).**\n\n"
        s += "Speed-up = median(BASE) / median(NEW): above 1 when NEW reaches the event sooner. \(c.method).\n\n"
        s += "| configuration | event | BASE k/n | NEW k/n | BASE median | NEW median | speed-up | \(Int((1 - c.alpha) * 100)) % interval | log-rank p | Holm p | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
        for e in c.events {
            let (value, interval) = speedUpText(e.speedUp)
            func med(_ x: ComparisonSide) -> String { x.median.map { Compare.num($0) } ?? (x.censoredAt.map { "none (budget \($0))" } ?? "none") }
            s += "| \(e.configuration.isEmpty ? "(single configuration)" : e.configuration) | \(e.event) | \(e.base.reached)/\(e.base.trials) | \(e.new.reached)/\(e.new.trials) | \(med(e.base)) | \(med(e.new)) | \(value) | \(interval) | \(Compare.num(e.logRankP, "%.4f")) | \(Compare.num(e.holmP, "%.4f")) | **\(e.verdict.rawValue)** |\n"
        }
        s += "\n| configuration | curve | common steps | largest difference | at step | in standard errors | identical |\n|---|---|---|---|---|---|---|\n"
        for k in c.curves {
            s += "| \(k.configuration.isEmpty ? "(single configuration)" : k.configuration) | \(k.metric) | \(k.commonSteps) | \(String(format: "%.4f", k.maxDifference)) | \(Compare.num(k.atStep)) | \(Compare.num(k.maxStandardErrors, "%.2f")) | \(k.identical ? "yes" : "no") |\n"
        }
        return s
    }

    func json(_ c: StudyComparison) throws -> String {
        var o = try JSONSerialization.jsonObject(with: JSONEncoder.sorted.encode(c)) as! [String: Any]
        o["base"] = base; o["new"] = new; o["fail_on"] = failOn
        o["identical"] = c.identical
        o["verdicts"] = Dictionary(uniqueKeysWithValues: c.counts.map { ($0.0.rawValue, $0.1) })
        o["failed"] = c.events.contains { failing.contains($0.verdict) }
        let d = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: d, as: UTF8.self) + "\n"
    }

    /// One test case per event item, failing for the verdicts --fail-on names.
    func junit(_ c: StudyComparison) -> String {
        junitXML(suite: "compare \(c.study)", c.events.map { e in
            GateLine(name: (e.configuration.isEmpty ? "" : e.configuration + ": ") + e.event, location: "\(base) → \(new)", passed: !failing.contains(e.verdict),
                     detail: "\(e.verdict.rawValue): BASE \(e.base.reached)/\(e.base.trials), NEW \(e.new.reached)/\(e.new.trials), Holm p \(Compare.num(e.holmP, "%.4f"))")
        }, casePrefix: "compare")
    }
}

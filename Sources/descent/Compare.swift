import ArgumentParser
import Foundation
import Reports
import Studies

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs of one study: did a change move the science?",
        discussion: """
        BASE and NEW are results folders (or .tar.gz archives of one) of the same study and trial grid (code, commit or machine may differ). \
        Steps axis, per configuration and event: k/n on each side, Kaplan-Meier medians, the speed-up of NEW over \
        BASE with a bootstrap interval and the log-rank test. Size axis, per configuration: the interpolation \
        threshold, the peak's size and height, the classical minimum and the far-right error, each as NEW − BASE \
        with a bootstrap interval and p-value. Holm-adjusted over every item; per configuration, the largest \
        difference between the seed-mean curves in standard errors; byte-identical trials are said as such. \
        Verdicts: identical, same, better, worse, changed (a location moved), inconclusive (the seeds cannot tell \
        a change of --margin from none). Writes comparison.md, comparison.json and junit.xml (--format) to --out. \
        Exits 1 when a verdict that --fail-on names occurs (changed: better, worse or changed; worse; never), \
        64 for bad input.
        """)

    @Argument(help: "The baseline results folder, or a .tar.gz of one (such as results/reference/<study>/ci.tar.gz).")
    var base: String

    @Argument(help: "The new results folder, of the same study (or a .tar.gz of one, with --out).")
    var new: String

    @Option(name: .long, help: "Exit 1 on these verdicts: changed (better, worse or changed), worse, or never.")
    var failOn: String = "changed"

    @Option(name: .long, help: "Family-wise error rate of the log-rank tests (Holm), and 1 − the bootstrap intervals' level.")
    var alpha: Double = 0.05

    @Option(name: .long, help: "An item whose interval of NEW / BASE (a speed-up, or a size measure's ratio) lies within [1/margin, margin] is 'same'.")
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

    var failing: Set<Verdict> { failOn == "changed" ? [.better, .worse, .changed] : failOn == "worse" ? [.worse] : [] }

    func run() throws {
        if Compare.isArchive(new) && out == nil { throw fail("NEW '\(new)' is an archive: say where to write the comparison with --out", code: 64) }
        var temporaries: [URL] = []
        defer { for t in temporaries { try? FileManager.default.removeItem(at: t) } }
        let a = try loadResults(Compare.unpacked(base, &temporaries)), b = try loadResults(Compare.unpacked(new, &temporaries))
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
        let bad = c.events.filter { failing.contains($0.verdict) }.map { ($0.verdict, $0.configuration, $0.event) }
            + c.sizes.filter { failing.contains($0.verdict) }.map { ($0.verdict, $0.configuration, $0.measure) }
        for (v, configuration, item) in bad { print("  \(v.rawValue.uppercased()) \(Compare.label(configuration, item))") }
        if !bad.isEmpty { throw ExitCode(1) }
    }

    func headline(_ c: StudyComparison) -> String {
        let counts = c.counts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let ids = c.sameTrialIds == c.trials ? "" : " (\(c.trials - c.sameTrialIds) of \(c.trials) trials have other ids: a setting outside the sweep changed)"
        return "\(c.study): \(c.identicalTrials) of \(c.trials) trials byte-identical" + (c.identical ? " (the runs are identical)" : "") + ids + "; verdicts: " + (counts.isEmpty ? "none" : counts)
    }

    static func label(_ configuration: String, _ item: String) -> String { (configuration.isEmpty ? "" : configuration + ": ") + item }
    static func configuration(_ key: String) -> String { key.isEmpty ? "(single configuration)" : key }

    static func isArchive(_ path: String) -> Bool { path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") }

    /// A results folder given as a .tar.gz of its contents (the committed ci baselines, made by
    /// scripts/ci-baselines) is unpacked with tar into a temporary folder that `temporaries` lists.
    static func unpacked(_ path: String, _ temporaries: inout [URL]) throws -> String {
        guard isArchive(path) else { return path }
        guard FileManager.default.isReadableFile(atPath: path) else { throw fail("no readable archive '\(path)'", code: 64) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        temporaries.append(dir)
        let tar = Process(), err = Pipe()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-xzf", path, "-C", dir.path]
        tar.standardError = err
        try tar.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw fail("cannot unpack '\(path)' (tar: \(message.isEmpty ? "exit \(tar.terminationStatus)" : message))", code: 64) }
        return dir.path
    }

    static func num(_ d: Double?, _ f: String = "%.0f") -> String { d.map { String(format: f, $0) } ?? "—" }

    func markdown(_ c: StudyComparison) -> String {
        var s = "# descent compare: \(c.study)\n\nBASE `\(base)` · NEW `\(new)` · fail on: \(failOn) · α = \(c.alpha) · margin ×\(c.margin)\n\n**\(headline(c)).**\n\n"
        let level = "\(Int((1 - c.alpha) * 100)) % interval"
        if !c.events.isEmpty {
            s += "Speed-up = median(BASE) / median(NEW): above 1 when NEW reaches the event sooner. \(c.method).\n\n"
            s += "| configuration | event | BASE k/n | NEW k/n | BASE median | NEW median | speed-up | \(level) | log-rank p | Holm p | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
            for e in c.events {
                let (value, interval) = speedUpText(e.speedUp)
                func med(_ x: ComparisonSide) -> String { x.median.map { Compare.num($0) } ?? (x.censoredAt.map { "none (budget \($0))" } ?? "none") }
                s += "| \(Compare.configuration(e.configuration)) | \(e.event) | \(e.base.reached)/\(e.base.trials) | \(e.new.reached)/\(e.new.trials) | \(med(e.base)) | \(med(e.new)) | \(value) | \(interval) | \(Compare.num(e.logRankP, "%.4f")) | \(Compare.num(e.holmP, "%.4f")) | **\(e.verdict.rawValue)** |\n"
            }
        }
        if !c.sizes.isEmpty {
            s += "Each measure of the seed-mean test-error curve, NEW − BASE (sizes for the threshold and the peak's location, test errors for the others). \(c.method).\n\n"
            s += "| configuration | measure | BASE | NEW | NEW − BASE | \(level) | bootstrap p | Holm p | verdict |\n|---|---|---|---|---|---|---|---|---|\n"
            for m in c.sizes {
                let f = m.lowerIsBetter ? "%.4f" : "%.0f"
                let interval = m.lower.map { lo in "[\(Compare.num(lo, f)), \(Compare.num(m.upper, f))]" } ?? "—"
                let undefined = m.undefinedResamples > 0 ? " (\(m.undefinedResamples) resamples undefined)" : ""
                s += "| \(Compare.configuration(m.configuration)) | \(m.measure) | \(Compare.num(m.base, f)) | \(Compare.num(m.new, f)) | \(Compare.num(m.difference, m.lowerIsBetter ? "%+.4f" : "%+.0f")) | \(interval)\(undefined) | \(Compare.num(m.p, "%.4f")) | \(Compare.num(m.holmP, "%.4f")) | **\(m.verdict.rawValue)** |\n"
            }
        }
        let point = c.axis == "size" ? "size" : "step"
        s += "\n| configuration | curve | common \(point)s | largest difference | at \(point) | in standard errors | identical |\n|---|---|---|---|---|---|---|\n"
        for k in c.curves {
            s += "| \(Compare.configuration(k.configuration)) | \(k.metric) | \(k.commonPoints) | \(String(format: "%.4f", k.maxDifference)) | \(Compare.num(k.at)) | \(Compare.num(k.maxStandardErrors, "%.2f")) | \(k.identical ? "yes" : "no") |\n"
        }
        return s
    }

    func json(_ c: StudyComparison) throws -> String {
        var o = try JSONSerialization.jsonObject(with: JSONEncoder.sorted.encode(c)) as! [String: Any]
        o["base"] = base; o["new"] = new; o["fail_on"] = failOn
        o["identical"] = c.identical
        o["verdicts"] = Dictionary(uniqueKeysWithValues: c.counts.map { ($0.0.rawValue, $0.1) })
        o["failed"] = c.verdicts.contains { failing.contains($0) }
        let d = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: d, as: UTF8.self) + "\n"
    }

    /// One test case per item, failing for the verdicts --fail-on names.
    func junit(_ c: StudyComparison) -> String {
        let events = c.events.map { e in
            GateLine(name: Compare.label(e.configuration, e.event), location: "\(base) → \(new)", passed: !failing.contains(e.verdict),
                     detail: "\(e.verdict.rawValue): BASE \(e.base.reached)/\(e.base.trials), NEW \(e.new.reached)/\(e.new.trials), Holm p \(Compare.num(e.holmP, "%.4f"))")
        }
        let sizes = c.sizes.map { m in
            GateLine(name: Compare.label(m.configuration, m.measure), location: "\(base) → \(new)", passed: !failing.contains(m.verdict),
                     detail: "\(m.verdict.rawValue): BASE \(Compare.num(m.base, "%.4g")), NEW \(Compare.num(m.new, "%.4g")), Holm p \(Compare.num(m.holmP, "%.4f"))")
        }
        return junitXML(suite: "compare \(c.study)", events + sizes, casePrefix: "compare")
    }
}

// What every report shares, written once: the header (question, description, profile line, provenance,
// incomplete folder), the expectations list, and the files (figures, report.md, report.html,
// summary.json, junit.xml) as the formats ask.
import Evaluation
import Foundation
import Studies

/// One gate as JUnit and the expectations list show it.
public struct GateLine: Sendable {
    public var name: String
    public var location: String
    public var passed: Bool
    public var detail: String
    public init(name: String, location: String, passed: Bool, detail: String) {
        self.name = name; self.location = location; self.passed = passed; self.detail = detail
    }
}

/// JUnit XML with one test case per gate, named `<casePrefix>[i] <name>` (for `descent compare` too).
public func junitXML(suite: String, _ gates: [GateLine], casePrefix: String = "expect") -> String {
    DocumentWriter.junit(suite: suite, gates, casePrefix: casePrefix)
}

enum DocumentWriter {
    /// The front matter of a study's report: question, description, the given summary line, how the folder
    /// was made, and a note when trials lack results. `notReproduced` adds the study's own warning.
    static func header(_ r: StudyResults, line: String, notReproduced: Bool) -> Section {
        let s = r.study
        var blocks: [Block] = []
        if !s.question.isEmpty { blocks.append(.paragraph("**Question.** \(s.question)")) }
        let description = s.description.trimmingCharacters(in: .whitespacesAndNewlines)
        if !description.isEmpty { blocks.append(.paragraph(description)) }
        if notReproduced && s.notReproduced {
            blocks.append(.note("**Not reproduced here:** this study's gate is known to fail on this setting; the study file says by how much and what was tried."))
        }
        blocks.append(.paragraph(line))
        if let p = ReportWriter.provenance(r.store) { blocks.append(.paragraph(p)) }
        if !r.missing.isEmpty {
            blocks.append(.note("**Incomplete:** \(r.missing.count) of \(r.trials.count) trials have no result; run the study again to finish them."))
        }
        return Section(nil, blocks)
    }

    /// "## Expectations": one line per gate; nil when the study has none.
    static func expectations(_ exps: [ExpectationResult]) -> Section? {
        exps.isEmpty ? nil : Section("Expectations", [.list(exps.map { "\($0.passed ? "pass" : "**FAIL**"): `\($0.expectation.text)` — \($0.detail)" })])
    }

    static func gates(_ exps: [ExpectationResult]) -> [GateLine] {
        exps.map { GateLine(name: $0.expectation.text, location: $0.expectation.location.description, passed: $0.passed, detail: $0.detail) }
    }

    /// One test case per gate (JUnit XML as read by CI systems).
    static func junit(suite: String, _ gates: [GateLine], casePrefix: String = "expect") -> String {
        let xml = ReportWriter.xml
        let failures = gates.filter { !$0.passed }.count
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"\(gates.count)\" failures=\"\(failures)\">\n"
        x += "  <testsuite name=\"\(xml(suite))\" tests=\"\(gates.count)\" failures=\"\(failures)\">\n"
        for (i, g) in gates.enumerated() {
            x += "    <testcase classname=\"\(xml(suite))\" name=\"\(casePrefix)[\(i)] \(xml(g.name))\">"
            x += g.passed ? "<system-out>\(xml(g.detail))</system-out>" : "<failure message=\"\(xml(g.detail))\">\(xml(g.location)): \(xml(g.detail))</failure>"
            x += "</testcase>\n"
        }
        return x + "  </testsuite>\n</testsuites>\n"
    }

    /// Writes the document's figures (with md or html), report.md, report.html, summary.json and junit.xml
    /// as `formats` asks; returns the files written, relative to `dir`.
    static func write(_ doc: ReportDocument, to dir: URL, formats: ReportFormats, summary: JSON, gates: [GateLine], suite: String) throws -> [String] {
        var files: [String] = []
        if formats.contains(.md) || formats.contains(.html) {
            for f in doc.figures { try writeAtomically(f.svg, to: dir.appendingPathComponent(f.file)); files.append(f.file) }
        }
        if formats.contains(.md) { try writeAtomically(MarkdownRenderer.render(doc), to: dir.appendingPathComponent("report.md")); files.append("report.md") }
        if formats.contains(.html) { try writeAtomically(HTMLRenderer.render(doc), to: dir.appendingPathComponent("report.html")); files.append("report.html") }
        if formats.contains(.json) { try writeAtomically(summary.render() + "\n", to: dir.appendingPathComponent("summary.json")); files.append("summary.json") }
        if formats.contains(.junit) { try writeAtomically(junit(suite: suite, gates), to: dir.appendingPathComponent("junit.xml")); files.append("junit.xml") }
        return files
    }
}

// The contrast report on two tiny studies trained here (a size sweep of MLPs on MNIST-1D and grokking
// of x + y mod 11): both axes' events marked, the comparison table with intervals read back from the
// studies' own summary.json, the heatmap, byte-identical figures across two writes, failing
// expectations named in report.md and junit.xml, and the contrast study file's errors.
import Analysis
import Foundation
import Reports
import Studies
import XCTest

final class ContrastReportTests: XCTestCase {
    /// Shared with the other test target's contrast tests: Tests/Fixtures/tiny-size.yaml and tiny-steps.yaml.
    static func fixture(_ name: String) -> String {
        try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)"), encoding: .utf8)
    }
    static let sizeStudy = fixture("tiny-size.yaml")
    static let stepsStudy = fixture("tiny-steps.yaml")

    static let work = FileManager.default.temporaryDirectory.appendingPathComponent("descent-contrast-\(getpid())")

    func train(_ text: String, _ name: String) throws -> StudyResults {
        let study = try StudyParser.parse(text, file: "\(name).yaml")
        let store = ResultsStore(root: Self.work.appendingPathComponent(name))
        try store.prepare(study, sourceText: text, force: true)
        let report = StudyRunner(study: study, store: store, jobs: 2).run()
        XCTAssertEqual(report.failed.count, 0, "\(report.failed)")
        return StudyResults(study: study, store: store)
    }

    /// Trained once for the whole class (a few seconds).
    nonisolated(unsafe) static var trained: (StudyResults, StudyResults)?
    func studies() throws -> (StudyResults, StudyResults) {
        if let t = Self.trained { return t }
        let t = (try train(Self.sizeStudy, "tiny-size"), try train(Self.stepsStudy, "tiny-steps"))
        Self.trained = t
        return t
    }

    override class func tearDown() { try? FileManager.default.removeItem(at: work) }

    func expectation(_ yaml: String) throws -> [ContrastStudy.Expectation] {
        // Expectations come from a contrast file; parse one naming the shipped studies for its expect block.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = "axis: contrast\nsize: \(root.path)/studies/double-descent-mlp-mnist1d.yaml\nsteps: \(root.path)/studies/grokking-modular-addition.yaml\nexpect:\n\(yaml)"
        return try ContrastStudy.parse(text, file: "c.yaml", profile: nil).expectations
    }

    func testContrastReportShowsBothAxesAndIsDeterministic() throws {
        let (size, steps) = try studies()
        let input = ContrastInputs(name: "tiny-contrast", question: "q", size: size, steps: steps,
                                   expectations: try expectation("  - { overfitting: steps }\n  - { recovery: steps }\n"))
        let a = try ContrastWriter.write(input, to: Self.work.appendingPathComponent("a"))
        let b = try ContrastWriter.write(input, to: Self.work.appendingPathComponent("b"))
        let figures = a.files.filter { $0.hasPrefix("figures/") }
        XCTAssertEqual(Set(figures), ["figures/contrast-size.svg", "figures/contrast-steps.svg", "figures/contrast-heatmap.svg", "figures/contrast-km.svg"])
        for f in figures {
            XCTAssertEqual(try Data(contentsOf: a.directory.appendingPathComponent(f)), try Data(contentsOf: b.directory.appendingPathComponent(f)), "\(f) differs between two writes")
        }
        let md = try String(contentsOf: a.directory.appendingPathComponent("report.md"), encoding: .utf8)
        for row in ["over-fitting point", "how bad it gets", "recovery point", "how long recovery takes", "regularization", "more data"] {
            XCTAssertTrue(md.contains("| **\(row)** |"), "the table lacks \(row)")
        }
        // The numbers are those of the studies' own summary.json: the size peak with its bootstrap interval.
        let sizeSummary = try XCTUnwrap(JSON.parse(try Data(contentsOf: size.store.root.appendingPathComponent("report/summary.json"))) as? [String: Any])
        let measures = try XCTUnwrap(((sizeSummary["configurations"] as? [[String: Any]])?.first?["measures"]) as? [String: Any])
        let peak = try XCTUnwrap((measures["peakHeight"] as? NSNumber)?.doubleValue)
        XCTAssertTrue(md.contains("peak test error \(String(format: "%.3f", peak))"), md)
        let sizeSVG = try String(contentsOf: a.directory.appendingPathComponent("figures/contrast-size.svg"), encoding: .utf8)
        XCTAssertTrue(sizeSVG.contains(">peak</text>"))
        let stepsSVG = try String(contentsOf: a.directory.appendingPathComponent("figures/contrast-steps.svg"), encoding: .utf8)
        XCTAssertTrue(stepsSVG.contains(">memorization</text>"), "the memorization step is not marked")
        // summary.json: six comparison rows, every interval with its method.
        let sj = try XCTUnwrap(JSON.parse(try Data(contentsOf: a.directory.appendingPathComponent("summary.json"))) as? [String: Any])
        let rows = try XCTUnwrap(sj["comparison"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 6)
        let text = String(decoding: try Data(contentsOf: a.directory.appendingPathComponent("summary.json")), as: UTF8.self)
        XCTAssertTrue(text.contains("\"method\": \"paired bootstrap\"") && text.contains("Clopper-Pearson"))
        XCTAssertNotNil(sj["heatmap"] as? [String: Any])
        // The steps side's expectations hold on x + y mod 11 (memorized by every seed), and so the gate.
        XCTAssertTrue(a.checks.contains { $0.name.contains("overfitting: steps") && $0.passed }, "\(a.checks.map(\.detail))")
        let html = try String(contentsOf: a.directory.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<div class=\"pair\"><figure><svg"), "the two axes are not side by side")
        XCTAssertFalse(html.contains("src=\"http"), "external assets in the HTML")
    }

    func testFailingExpectationIsNamedInReportAndJUnit() throws {
        let (size, steps) = try studies()
        // mod 11 never reaches 0.99 validation accuracy in 300 steps: recovery on the steps side fails.
        let input = ContrastInputs(name: "tiny-contrast", question: "q", size: size, steps: steps, expectations: try expectation("  - { recovery: steps }\n"))
        let out = try ContrastWriter.write(input, to: Self.work.appendingPathComponent("fail"), formats: [.md, .junit])
        XCTAssertEqual(Set(out.files.filter { !$0.hasPrefix("figures/") }), ["report.md", "junit.xml"])
        let gen = try XCTUnwrap(steps.summaries.values.map { $0.events["generalization"]?.step }.first)
        try XCTSkipIf(gen != nil, "this tiny study generalized; the failing case needs one that does not")
        XCTAssertFalse(out.passed)
        let failed = try XCTUnwrap(out.checks.first { !$0.passed })
        XCTAssertTrue(failed.name.contains("recovery: steps") && failed.location == "c.yaml:5:5", "\(failed)")
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("**Gate: 1 of 2 expectations FAIL.**") && md.contains("- **FAIL**: `{ recovery: steps }`"), md)
        let junit = try String(contentsOf: out.directory.appendingPathComponent("junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("failures=\"1\"") && junit.contains("<failure message=\"generalization reached in 0 of 2"), junit)
    }

    func testContrastStudyErrorsNameTheLine() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let size = root.appendingPathComponent("studies/double-descent-mlp-mnist1d.yaml").path
        let steps = root.appendingPathComponent("studies/grokking-modular-addition.yaml").path
        func error(_ text: String, profile: String? = nil) -> StudyError? {
            do { _ = try ContrastStudy.parse(text, file: "c.yaml", profile: profile); return nil } catch let e as StudyError { return e } catch { return nil }
        }
        let ok = try ContrastStudy.parse("axis: contrast\nsize: \(size)\nsteps: \(steps)\nprofiles: { ci: { size: ci, steps: ci } }\n", file: "c.yaml", profile: "ci")
        XCTAssertEqual(ok.size.profile, "ci"); XCTAssertEqual(ok.steps.profile, "ci"); XCTAssertEqual(ok.name, "c")
        let swapped = error("axis: contrast\nsize: \(steps)\nsteps: \(steps)\n")
        XCTAssertEqual(swapped?.location?.line, 2); XCTAssertTrue(swapped?.message.contains("not size") ?? false, "\(String(describing: swapped))")
        let typo = error("axis: contrast\nsize: \(size)\nstep: \(steps)\n")
        XCTAssertEqual(typo?.location?.line, 3); XCTAssertEqual(typo?.hint, "did you mean 'steps'?")
        XCTAssertTrue(error("axis: contrast\nsize: \(size)\n")?.message.contains("needs 'steps:'") ?? false)
        XCTAssertTrue(error("axis: contrast\nsize: \(size)\nsteps: \(steps)\n", profile: "fast")?.message.contains("no profile 'fast'") ?? false)
        let badKind = error("axis: contrast\nsize: \(size)\nsteps: \(steps)\nexpect:\n  - { recovery: sideways }\n")
        XCTAssertEqual(badKind?.location?.line, 5)
        // The study parser refuses a contrast file with a pointer to the right command.
        XCTAssertThrowsError(try StudyParser.parse("axis: contrast\nsize: a.yaml\n", file: "c.yaml")) { e in
            XCTAssertTrue("\(e)".contains("descent run c.yaml"), "\(e)")
        }
        XCTAssertThrowsError(try ReportFormats.parse("md,pdf")) { e in XCTAssertTrue("\(e)".contains("'pdf'"), "\(e)") }
        XCTAssertEqual(try ReportFormats.parse("junit, MD"), [.junit, .md])
    }
}

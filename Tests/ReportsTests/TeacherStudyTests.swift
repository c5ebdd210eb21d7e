// studies/double-descent-random-features-teacher.yaml (ci profile) end to end: the peak at N = n on
// teacher-labelled Gaussian data, its gate, and the noisy-label table of the configuration with label noise.
import Foundation
import Reports
import Studies
import XCTest

final class TeacherStudyTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTeacherStudyCIPeaksAtNAndReportsNoisyLabelErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-teacher-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let study = try StudyParser.load(path: Self.root.appendingPathComponent("studies/double-descent-random-features-teacher.yaml").path, profile: "ci")
        let store = ResultsStore(root: dir)
        try store.prepare(study, sourceText: "", force: true)
        XCTAssertEqual(StudyRunner(study: study, store: store, jobs: 2).run().failed.count, 0)
        let r = StudyResults(study: study, store: store)
        for x in ExpectationEvaluator.evaluate(r) { XCTAssertTrue(x.passed, "\(x.expectation.text): \(x.detail)") }
        // The peak read from the summaries, independently of the measures: the noiseless seed mean is highest at N = n.
        let n = study.value("task.n_train").asInt!
        var byN: [Int: [Double]] = [:]
        for t in r.trials where t.config["task.label_noise"] == .double(0) {
            let size = try XCTUnwrap(r.summaries[t.id]?.raw["size"] as? [String: Any])
            byN[t.config["model.features"]!.asInt!, default: []].append((size["test_error"] as! NSNumber).doubleValue)
        }
        let peak = byN.max { $0.value.reduce(0, +) < $1.value.reduce(0, +) }!.key
        XCTAssertEqual(peak, n)
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"))
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("mean test error, noisy labels"), "the noisy-label table of the label_noise = 0.2 configuration")
        let summary = try String(contentsOf: out.directory.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertTrue(summary.contains("\"noisy_label_test\""))
    }
}

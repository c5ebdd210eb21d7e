// studies/double-descent-sample-wise.yaml (ci profile) end to end: at a fixed random-features model the
// test error rises from n ≈ N/4 to n = N (more data hurts), a ridge penalty removes the rise, the gate
// says so, and the report and summary.json carry the sample-wise measures.
import Foundation
import Reports
import Studies
import XCTest

final class SampleWiseStudyTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testMoreDataHurtsAtTheThresholdAndRidgeRemovesIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-sample-wise-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let study = try StudyParser.load(path: Self.root.appendingPathComponent("studies/double-descent-sample-wise.yaml").path, profile: "ci")
        let store = ResultsStore(root: dir)
        try store.prepare(study, sourceText: "", force: true)
        XCTAssertEqual(StudyRunner(study: study, store: store, jobs: 2).run().failed.count, 0)
        let r = StudyResults(study: study, store: store)
        let verdicts = ExpectationEvaluator.evaluate(r)
        XCTAssertEqual(verdicts.count, 3)
        for x in verdicts { XCTAssertTrue(x.passed, "\(x.expectation.text): \(x.detail)") }
        // Read from the summaries, independently of the measures: the minimum-norm error at n = N is above the one at
        // N/4, the largest over the sweep, and the ridge fit's error at n = N is below both.
        let features = study.value("model.features").asInt!
        func mean(_ arm: String, _ n: Int) throws -> Double {
            let v = try r.trials.filter { $0.config["arm"] == .string(arm) && $0.config["task.n_train"] == .int(n) }.map { t in
                try XCTUnwrap((r.summaries[t.id]?.raw["size"] as? [String: Any])?["test_error"] as? NSNumber).doubleValue
            }
            XCTAssertEqual(v.count, study.seeds)
            return v.reduce(0, +) / Double(v.count)
        }
        let ns = study.sweep.first { $0.path == "task.n_train" }!.values.map { $0.asInt! }
        XCTAssertGreaterThan(try mean("min_norm", features), try mean("min_norm", features / 4) + 0.2)
        XCTAssertEqual(try ns.max { try mean("min_norm", $0) < mean("min_norm", $1) }, features)
        XCTAssertLessThan(try mean("ridge", features), try mean("min_norm", features / 4))
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"))
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Sample-wise measures (arm=min_norm)"), md)
        XCTAssertTrue(md.contains("| more data hurts from n | 50 |"), md)
        XCTAssertTrue(md.contains("| exact-fit limit (largest n whose every seed fits its targets exactly, squared loss) | \(features) |"), md)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.directory.appendingPathComponent("figures/sample-wise-2.svg").path))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.directory.appendingPathComponent("summary.json"))) as? [String: Any])
        let configs = try XCTUnwrap(summary["configurations"] as? [[String: Any]])
        XCTAssertEqual(configs.count, 2)
        let sw = try XCTUnwrap(configs[0]["sample_wise"] as? [String: Any])
        XCTAssertEqual((sw["stretchTop"] as? NSNumber)?.intValue, features)
        XCTAssertEqual(summary["size_key"] as? String, "task.n_train")
    }
}

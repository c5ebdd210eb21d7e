// scripts/gate, the steps of the GitHub Action (action.yml): a ci run compared with its committed baseline
// is identical (exit 0) and the job summary holds the comparison and the report; a baseline of another
// study fails the gate with exit 64 and the summary says the run could not be compared; bad usage is 64.
import Foundation
import XCTest

final class GateTests: XCTestCase {
    func testTheGateRunsComparesAndSummarizes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = packageRoot()
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("studies"), withDestinationURL: root.appendingPathComponent("studies"))
        var env = baselineEnvironment ?? ProcessInfo.processInfo.environment
        env["DESCENT"] = descentBinary().path
        env["GITHUB_STEP_SUMMARY"] = dir.appendingPathComponent("summary.md").path
        let gate = root.appendingPathComponent("scripts/gate")
        let name = "double-descent-random-features-digits"
        let baseline = root.appendingPathComponent("results/reference/\(name)/ci.tar.gz").path

        let r = try runProcess(gate, ["studies/\(name).yaml", "--baseline", baseline], env: env, in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let summary = try String(contentsOf: dir.appendingPathComponent("summary.md"), encoding: .utf8)
        XCTAssertTrue(summary.contains("## descent gate: \(name) (profile ci)"), summary)
        XCTAssertTrue(summary.contains("every expectation holds"), summary)
        XCTAssertTrue(summary.contains("### descent compare: \(name)"), summary)
        if baselineEnvironment != nil { XCTAssertTrue(summary.contains("(the runs are identical)"), summary) }
        XCTAssertTrue(summary.contains("### \(name)"), "the report follows the comparison: \(summary.prefix(600))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results/\(name)-ci/comparison/junit.xml").path))

        // A baseline of another study: the run is done (nothing trains again), the comparison refused.
        let other = root.appendingPathComponent("results/reference/grokking-modular-addition/ci.tar.gz").path
        let bad = try runProcess(gate, ["studies/\(name).yaml", "--baseline", other, "--summary", "bad.md"], env: env, in: dir)
        XCTAssertEqual(bad.status, 64, bad.stdout + bad.stderr)
        XCTAssertTrue(bad.stderr.contains("different studies"), bad.stderr)
        let badSummary = try String(contentsOf: dir.appendingPathComponent("bad.md"), encoding: .utf8)
        XCTAssertTrue(badSummary.contains("could not be compared"), badSummary)

        XCTAssertEqual(try runProcess(gate, ["studies/none.yaml"], env: env, in: dir).status, 64)
        XCTAssertEqual(try runProcess(gate, ["studies/\(name).yaml", "--baseline", "nowhere.tar.gz"], env: env, in: dir).status, 64)
        XCTAssertEqual(try runProcess(gate, ["studies/\(name).yaml", "--colour"], env: env, in: dir).status, 64)
    }
}

// descent compare on real runs: a rerun is identical (exit 0); a slower learning rate is found worse with
// a significant log-rank test (exit 1, named in the terminal and junit.xml), and --fail-on never lets it
// pass; different studies, grids and unfinished runs are refused with exit 64.
import Foundation
import XCTest

final class CompareTests: XCTestCase {
    static let study = """
    name: cmp
    task: { operation: x+y, modulus: 23, train_fraction: 0.6 }
    model: { width: 64, embedding: 16 }
    optimizer: { lr: 3e-3, weight_decay: 1.0 }
    training: { max_steps: 3000, patience: 20, eval: { points: 40 } }
    seeds: 6
    """

    func testARerunIsIdenticalAndASlowerLearningRateIsWorse() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.study.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try Self.study.replacingOccurrences(of: "lr: 3e-3", with: "lr: 1e-3").write(to: dir.appendingPathComponent("slow.yaml"), atomically: true, encoding: .utf8)
        for (file, out) in [("s.yaml", "A"), ("s.yaml", "B"), ("slow.yaml", "C")] {
            let r = try descent(["run", file, "--out", out, "--no-report"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let same = try descent(["compare", "A", "B"], in: dir)
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        XCTAssertTrue(same.stdout.contains("6 of 6 trials byte-identical (the runs are identical)"), same.stdout)
        let sameJSON = try XCTUnwrap(json(dir.appendingPathComponent("B/comparison/comparison.json")))
        XCTAssertEqual(sameJSON["identical"] as? Bool, true)

        let slow = try descent(["compare", "A", "C"], in: dir)
        XCTAssertEqual(slow.status, 1, slow.stdout + slow.stderr)
        XCTAssertTrue(slow.stdout.contains("WORSE memorization"), slow.stdout)
        XCTAssertTrue(slow.stdout.contains("6 of 6 trials have other ids"), slow.stdout)
        let c = try XCTUnwrap(json(dir.appendingPathComponent("C/comparison/comparison.json")))
        let events = try XCTUnwrap(c["events"] as? [[String: Any]])
        let memo = try XCTUnwrap(events.first { $0["event"] as? String == "memorization" })
        XCTAssertEqual(memo["verdict"] as? String, "worse")
        XCTAssertLessThan(try XCTUnwrap(memo["holm_p"] as? Double), 0.05)
        let speed = try XCTUnwrap(memo["speed_up"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(speed["estimate"] as? Double), 1)   // NEW is slower
        XCTAssertLessThan(try XCTUnwrap(speed["upper"] as? Double), 1)
        let junit = try String(contentsOf: dir.appendingPathComponent("C/comparison/junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("failures=\"1\""), junit)
        XCTAssertTrue(junit.contains("<failure message=\"worse"), junit)
        let md = try String(contentsOf: dir.appendingPathComponent("C/comparison/comparison.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| (single configuration) | memorization | 6/6 | 6/6 |"), md)

        // The other direction is better; --fail-on worse passes it, --fail-on never passes everything.
        let better = try descent(["compare", "C", "A", "--fail-on", "worse", "--out", "CA"], in: dir)
        XCTAssertEqual(better.status, 0, better.stdout + better.stderr)
        XCTAssertTrue(better.stdout.contains("1 better"), better.stdout)
        XCTAssertEqual(try descent(["compare", "A", "C", "--fail-on", "never", "--out", "AC"], in: dir).status, 0)
    }

    func testMismatchedOrUnfinishedRunsAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = Self.study.replacingOccurrences(of: "max_steps: 3000", with: "max_steps: 200")
        try small.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try small.replacingOccurrences(of: "seeds: 6", with: "seeds: 4").write(to: dir.appendingPathComponent("four.yaml"), atomically: true, encoding: .utf8)
        try small.replacingOccurrences(of: "name: cmp", with: "name: other").write(to: dir.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try descent(["run", "s.yaml", "--out", "A", "--no-report"], in: dir).status, 0)
        XCTAssertEqual(try descent(["run", "four.yaml", "--out", "F", "--no-report"], in: dir).status, 0)
        XCTAssertEqual(try descent(["run", "other.yaml", "--out", "O", "--no-report"], in: dir).status, 0)
        XCTAssertEqual(try descent(["run", "s.yaml", "--out", "H", "--shard", "0/2", "--no-report"], in: dir).status, 0)
        let grid = try descent(["compare", "A", "F"], in: dir)
        XCTAssertEqual(grid.status, 64); XCTAssertTrue(grid.stderr.contains("different grids"), grid.stderr)
        let other = try descent(["compare", "A", "O"], in: dir)
        XCTAssertEqual(other.status, 64); XCTAssertTrue(other.stderr.contains("different studies: 'cmp' and 'other'"), other.stderr)
        let half = try descent(["compare", "A", "H"], in: dir)
        XCTAssertEqual(half.status, 64); XCTAssertTrue(half.stderr.contains("NEW has 3 of 6 trials without a result"), half.stderr)
        let bad = try descent(["compare", "A", "A", "--fail-on", "sometimes"], in: dir)
        XCTAssertEqual(bad.status, 64); XCTAssertTrue(bad.stderr.contains("--fail-on must be changed, worse or never"), bad.stderr)
        let missing = try descent(["compare", "A", "nowhere"], in: dir)
        XCTAssertEqual(missing.status, 64, missing.stderr)
    }
}

// `descent report` and `descent stats` on a damaged results folder: each damaged file is named and the
// command fails (64), and a study copy replaced by another study is refused against the recorded hash.
import Foundation
import XCTest

final class DamagedFolderTests: XCTestCase {
    /// A finished run of the tiny steps study, and one of its trial folders.
    func finishedFolder() throws -> (dir: URL, results: URL, trial: URL) {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("tiny.yaml")
        try tinySteps(["name": "tiny"]).write(to: file, atomically: true, encoding: .utf8)
        let results = dir.appendingPathComponent("r")
        let run = try descent(["run", file.path, "--out", results.path, "--no-report"], in: dir)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let trials = results.appendingPathComponent("trials")
        let id = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: trials.path).filter { !$0.hasPrefix(".") }.sorted().first)
        return (dir, results, trials.appendingPathComponent(id))
    }

    func assertRefused(_ results: URL, _ dir: URL, naming: String, _ why: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for command in ["report", "stats"] {
            let r = try descent([command, results.path], in: dir)
            XCTAssertEqual(r.status, 64, "\(why): descent \(command) " + r.stdout + r.stderr, file: file, line: line)
            XCTAssertTrue(r.stderr.contains(naming), "\(why): descent \(command) must name \(naming): " + r.stderr, file: file, line: line)
        }
    }

    func testDamagedTrialFilesAreNamedAndFail() throws {
        let damages: [(String, String, (String) -> String)] = [
            ("summary.json", "a truncated summary", { String($0.prefix($0.count / 2)) }),
            ("summary.json", "a NaN in the summary", { $0.replacingOccurrences(of: "\"steps_run\": 300", with: "\"steps_run\": NaN") }),
            ("summary.json", "a field of the wrong type", { $0.replacingOccurrences(of: "\"steps_run\": 300", with: "\"steps_run\": \"many\"") }),
            ("curve.csv", "a renamed column", { $0.replacingOccurrences(of: "val_accuracy", with: "val_acc") }),
            ("curve.csv", "garbage in the curve", { $0 + "12,garbage,3\n" }),
        ]
        for (name, why, damage) in damages {
            let (dir, results, trial) = try finishedFolder()
            defer { try? FileManager.default.removeItem(at: dir) }
            let f = trial.appendingPathComponent(name)
            let text = try String(contentsOf: f, encoding: .utf8)
            XCTAssertNotEqual(damage(text), text, "\(why): the damage applies")
            try damage(text).write(to: f, atomically: true, encoding: .utf8)
            try assertRefused(results, dir, naming: f.lastPathComponent, why)
            XCTAssertTrue(try descent(["report", results.path], in: dir).stderr.contains(trial.lastPathComponent), "\(why): the trial is named")
        }
    }

    /// A curve written before softmax collapse was measured (2026-11-23) lacks that column and is not
    /// damaged: report and stats read it.
    func testACurveFromAnEarlierVersionIsNotDamaged() throws {
        let (dir, results, trial) = try finishedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = trial.appendingPathComponent("curve.csv")
        let rows = try String(contentsOf: f, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let column = try XCTUnwrap(rows.first?.firstIndex(of: "softmax_collapse"))
        let earlier = rows.map { r in r.enumerated().filter { $0.offset != column }.map { String($0.element) }.joined(separator: ",") }
        try (earlier.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        for command in ["report", "stats"] {
            let r = try descent([command, results.path], in: dir)
            XCTAssertEqual(r.status, 0, "descent \(command) on a curve without softmax_collapse: " + r.stderr)
        }
    }

    func testAReplacedStudyCopyIsRefused() throws {
        let (dir, results, _) = try finishedFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(try descent(["report", results.path], in: dir).status, 0, "the intact folder reports")
        try tinySteps(["name": "tiny", "seeds": "5"]).write(to: results.appendingPathComponent("study.yaml"), atomically: true, encoding: .utf8)
        try assertRefused(results, dir, naming: "not the study that made", "another study in study.yaml")
    }
}

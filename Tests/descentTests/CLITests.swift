// The real binary, run as a user would: determinism, reruns, bad input, output folders, gates, `list`.
// The shipped studies' ci profiles are ShippedStudiesTests', the benchmark BenchTests'.
import Foundation
import XCTest

final class CLITests: XCTestCase {
    /// The tiny steps study (Tests/Fixtures/tiny-steps.yaml) over two widths: four trials.
    let tiny = tinySteps(["sweep": "{ model.width: [16, 32] }"])

    func write(_ text: String, _ name: String = "study.yaml") throws -> (URL, URL) {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    /// Same seed and thread count: byte-identical curves (and configs), in a fresh folder each time.
    func testCurvesAreByteIdenticalAcrossRuns() throws {
        let (dir, file) = try write(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        var curves: [[String: Data]] = []
        for run in ["a", "b"] {
            let out = dir.appendingPathComponent(run)
            let r = try descent(["run", file.path, "--out", out.path], in: dir)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            var files: [String: Data] = [:]
            for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) {
                for f in ["curve.csv", "config.json"] { files[id + "/" + f] = try Data(contentsOf: out.appendingPathComponent("trials/\(id)/\(f)")) }
            }
            curves.append(files)
        }
        XCTAssertEqual(curves[0].count, 8)
        XCTAssertEqual(curves[0], curves[1])
        // And the curves say something: memorization happened.
        let first = String(decoding: curves[0].first { $0.key.hasSuffix("curve.csv") }!.value, as: UTF8.self)
        XCTAssertTrue(first.hasPrefix("step,train_loss,train_accuracy,val_loss,val_accuracy,weight_norm,lr,"))
    }

    func testRerunSkipsFinishedTrialsAndRefusesAChangedStudy() throws {
        let (dir, file) = try write(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        XCTAssertEqual(try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir).status, 0)
        let again = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stdout.contains("0 trials trained, 4 already done"), again.stdout)
        // A corrupt trial folder is detected and that trial alone runs again.
        let ids = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path)
        try "{ truncated".write(to: out.appendingPathComponent("trials/\(ids[0])/summary.json"), atomically: true, encoding: .utf8)
        let repaired = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertTrue(repaired.stdout.contains("1 trials trained, 3 already done"), repaired.stdout)
        // A different study is refused for this folder.
        try tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 301").write(to: file, atomically: true, encoding: .utf8)
        let refused = try descent(["run", file.path, "--out", out.path], in: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("holds a different study"), refused.stderr)
    }

    /// The table of bad inputs: each exits 64 (a malformed study or bad arguments, naming file:line:column
    /// where there is one) and writes nothing.
    func testBadInputsExit64AndWriteNothing() throws {
        let cases: [(String, String, String)] = [
            ("task: { modulus: 11\nmodel: {}\n", ":2:", "YAML syntax"),                                  // unclosed flow mapping
            ("task:\n  modulus: 11\n   operation: [x\n", ":3:", "YAML syntax"),                            // bad indentation
            ("task:\n  modulos: 11\n", ":2:3", "unknown key 'task.modulos'"),
            ("modle: { width: 3 }\n", ":1:1", "unknown key 'modle'"),
            ("model:\n  width: wide\n", ":2:10", "expected an integer"),
            ("model: { width: \"64\" }\n", ":1:17", "the string"),
            ("model: { width: 2.5 }\n", ":1:17", "expected an integer"),
            ("model: { width: 0 }\n", ":1:17", "out of range"),
            ("model: { depth: -1 }\n", ":1:17", "out of range"),
            ("model: { embedding: -8 }\n", ":1:21", "out of range"),
            ("model: { activation: swish }\n", ":1:22", "one of"),
            ("task: { train_fraction: 1.5 }\n", ":1:25", "out of range"),
            ("task: { train_fraction: 0 }\n", ":1:25", "out of range"),
            ("task: { train_fraction: 0.0001, modulus: 5 }\n", ":1:25", "empty training"),
            ("task:\n  operation: x/y\n  modulus: 12\n", ":3:12", "not prime"),
            ("sweep:\n  task.modulus: [11, 12]\ntask: { operation: x/y }\n", ":2:17", "not prime"),
            ("task: { operation: x%y }\n", ":1:20", "one of"),
            ("task: { operation: x.y, modulus: 9 }\n", ":1:34", "permutation degree"),
            ("task: { modulus: 1 }\n", ":1:18", "out of range"),
            ("seeds: 0\n", ":1:8", "out of range"),
            ("optimizer: { lr: -0.1 }\n", ":1:18", "out of range"),
            ("optimizer: { name: rmsprop }\n", ":1:20", "one of"),
            ("optimizer: { betas: [0.9] }\n", ":1:21", "list of 2 numbers"),
            ("optimizer: { weight_decay: -1 }\n", ":1:28", "out of range"),
            ("training: { batch: 0 }\n", ":1:20", "out of range"),
            ("training: { max_steps: 0 }\n", ":1:24", "out of range"),
            ("training: { eval: { schedule: cubic } }\n", ":1:31", "one of"),
            ("training: { stop_after: grokking }\n", ":1:25", "does not define"),
            ("sweep: { model.width: [] }\n", ":1:23", "non-empty list"),
            ("sweep: { seed: [1, 2] }\n", ":1:10", "cannot be swept"),
            ("events: { g: { metric: accuracy, at_least: 1 } }\n", ":1:24", "metric must be one of"),
            ("expect:\n  - { event: grokking, reached_in_fraction_of_trials: 1 }\n", ":2:14", "unknown event 'grokking'"),
            ("profiles: { ci: { model.wdth: 3 } }\n", ":1:19", "did you mean 'model.width'"),
            ("", ":1:1", "empty"),
            ("[1, 2]\n", ":1:1", "must be a mapping"),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for (text, position, message) in cases {
            let (dir, file) = try write(text, "bad.yaml")
            defer { try? FileManager.default.removeItem(at: dir) }
            let out = dir.appendingPathComponent("out")
            let r = try descent(["run", file.path, "--out", out.path], in: dir)
            XCTAssertEqual(r.status, 64, "\(text): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("bad.yaml" + position), "\(text): \(position) not in \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(text): \(message) not in \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(text) wrote \(out.path)")
        }
        let missing = try descent(["run", "no/such.yaml"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.contains("no study file at 'no/such.yaml'"))
        for args in [["run", "studies/grokking-modular-addition.yaml", "--jobs", "0"],
                     ["run", "studies/grokking-modular-addition.yaml", "--shard", "3/2"],
                     ["run", "studies/grokking-modular-addition.yaml", "--shard", "x"],
                     ["run"], ["frobnicate"]] {
            XCTAssertEqual(try descent(args).status, 64, args.joined(separator: " "))
        }
        let noProfile = try descent(["run", "studies/grokking-modular-addition.yaml", "--profile", "nightly"])
        XCTAssertEqual(noProfile.status, 64)
        XCTAssertTrue(noProfile.stderr.contains("available profiles: ci"), noProfile.stderr)
    }

    /// Runtime problems with the output folder: a clear error (exit 1), and nothing half-written.
    func testUnusableOutputFoldersAreRefused() throws {
        let (dir, file) = try write(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A file where the folder should be created.
        let blocker = dir.appendingPathComponent("blocker")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let underFile = try descent(["run", file.path, "--out", blocker.appendingPathComponent("out").path], in: dir)
        XCTAssertEqual(underFile.status, 1, underFile.stderr)
        XCTAssertTrue(underFile.stderr.contains("cannot create the results folder"), underFile.stderr)
        // A folder with somebody else's files.
        let foreign = dir.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try "data".write(to: foreign.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let refused = try descent(["run", file.path, "--out", foreign.path], in: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("is not a descent results folder"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: foreign.path).filter { !$0.hasPrefix(".") }, ["notes.txt"])
    }

    /// Two runs on one folder: the second is refused while the first holds the lock.
    func testConcurrentRunsOnOneFolderAreRefused() throws {
        let long = tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 200000")
        let (dir, file) = try write(long)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("shared")
        let first = Process()
        first.executableURL = descentBinary()
        first.arguments = ["run", file.path, "--out", out.path, "--no-report"]
        first.standardOutput = FileHandle.nullDevice; first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) }; first.waitUntilExit() }
        var waited = 0
        while !FileManager.default.fileExists(atPath: out.appendingPathComponent("study.resolved.yaml").path) && waited < 200 { usleep(50_000); waited += 1 }
        let second = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("another descent run is using"), second.stderr)
        // SIGINT stops the first one cleanly: exit 130, and the folder stays consistent.
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 130)
    }

    /// A failed expectation fails the run (exit 1) and is named in the terminal, report.md and junit.xml.
    func testFailingExpectationFailsTheRun() throws {
        let text = tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 3")
            + "  - { event: generalization, reached_in_fraction_of_trials: 1.0 }\n"
        let (dir, file) = try write(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("f")
        let r = try descent(["run", file.path, "--out", out.path], in: dir)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let line = tiny.filter { $0 == "\n" }.count + 1   // the expectation added at the end of the file
        XCTAssertTrue(r.stdout.contains("study.yaml:\(line):5: { event: generalization, reached_in_fraction_of_trials: 1.0 }") && r.stdout.contains("FAIL "), r.stdout)
        XCTAssertTrue(r.stdout.contains("generalization reached in 0 of 4 trials"), r.stdout)
        let md = try String(contentsOf: out.appendingPathComponent("report/report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("**FAIL**") && md.contains("reached_in_fraction_of_trials: 1.0"), md)
        let junit = try String(contentsOf: out.appendingPathComponent("report/junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("failures=\"2\"") && junit.contains("<failure message=\"generalization reached in 0 of 4"), junit)
        // `descent report` reaches the same verdict, and its charts are the same bytes.
        let chart = try Data(contentsOf: out.appendingPathComponent("report/figures/accuracy-1.svg"))
        let rep = try descent(["report", out.path], in: dir)
        XCTAssertEqual(rep.status, 1)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("report/figures/accuracy-1.svg")), chart)
        let notAFolder = try descent(["report", dir.appendingPathComponent("nothing").path], in: dir)
        XCTAssertEqual(notAFolder.status, 64)
        XCTAssertTrue(notAFolder.stderr.contains("not a descent results folder"), notAFolder.stderr)
    }

    func testListShowsOperationsAndStudies() throws {
        let r = try descent(["list"])
        XCTAssertEqual(r.status, 0)
        for s in ["x/y", "x.y.x^-1", "grokking-modular-addition.yaml", "grokking-vs-fraction.yaml", "mlp"] {
            XCTAssertTrue(r.stdout.contains(s), "\(s) not listed:\n\(r.stdout)")
        }
        XCTAssertFalse(r.stdout.contains("INVALID"), r.stdout)
    }
}

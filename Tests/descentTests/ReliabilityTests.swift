// Issue 16, "Fail loudly, lose nothing", through the real binary: signals at any moment (exit 130 for
// SIGINT, 143 for SIGTERM), a study too large to enumerate, profile names that would leave results/,
// lock files left by a refused run, a contrast's --out, checkpoints that do not check out, whole-study
// runs and shards on one folder, a shard's report (incomplete, not failed) and arguments that are wrong.
import Foundation
import XCTest

/// A `descent` process running in the background, its output collected until it ends.
final class BackgroundRun: @unchecked Sendable {
    let process = Process()
    private var out = Data(), err = Data()
    private let done = DispatchGroup()

    init(_ args: [String], in dir: URL, env: [String: String]? = nil) throws {
        process.executableURL = descentBinary()
        process.arguments = args
        process.currentDirectoryURL = dir
        if let env { process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
        let o = Pipe(), e = Pipe()
        process.standardOutput = o; process.standardError = e
        try process.run()
        for (pipe, isOut) in [(o, true), (e, false)] {
            done.enter()
            Thread { [self] in
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                if isOut { out = d } else { err = d }
                done.leave()
            }.start()
        }
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// Waits for the end; the output as `descent()` gives it.
    func wait() -> Output {
        process.waitUntilExit()
        done.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

/// Waits up to `seconds` for a condition, polling every 20 ms.
@discardableResult
func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// The bytes that must match between a run and an uninterrupted one: config.json, curve.csv and
/// summary.json of every trial, summary.json without its wall-clock field (as FaultInjectionTests compares).
func trialSnapshot(_ root: URL) throws -> [String: String] {
    var out: [String: String] = [:]
    let trials = root.appendingPathComponent("trials")
    for id in try FileManager.default.contentsOfDirectory(atPath: trials.path) where !id.hasPrefix(".") {
        for f in ["config.json", "curve.csv", "summary.json"] {
            var text = try String(contentsOf: trials.appendingPathComponent("\(id)/\(f)"), encoding: .utf8)
            if f == "summary.json" { text = text.split(separator: "\n").filter { !$0.contains("\"wall_seconds\"") }.joined(separator: "\n") }
            out["\(id)/\(f)"] = text
        }
    }
    return out
}

/// Help text with its line breaks and indentation folded into single spaces.
func flowed(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
}

/// Every path under a folder, relative to it.
func allPaths(_ root: URL) -> [String] {
    (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String]) ?? []
}

final class ReliabilityTests: XCTestCase {
    let tiny = """
    name: tiny
    task: { operation: x+y, modulus: 11, train_fraction: 0.6 }
    model: { width: 32, embedding: 8 }
    optimizer: { lr: 3e-3, weight_decay: 0.1 }
    training: { max_steps: 300, stop_after: never, eval: { points: 30 } }
    sweep: { model.width: [16, 32] }
    seeds: 2
    expect:
      - { event: memorization, reached_in_fraction_of_trials: 1.0 }

    """
    /// Trials that run for minutes: something to interrupt.
    var long: String { tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 2000000") }

    func write(_ text: String, _ name: String = "study.yaml") throws -> (URL, URL) {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    func lockFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".lock") }.sorted()
    }

    // MARK: - 12: SIGTERM exits 143, SIGINT 130

    func testSIGTERMExits143AndTheHelpSaysSo() throws {
        let (dir, file) = try write(long)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        let run = try BackgroundRun(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertTrue(waitUntil(30) { FileManager.default.fileExists(atPath: out.appendingPathComponent("study.resolved.yaml").path) })
        usleep(300_000)   // training has started
        run.signal(SIGTERM)
        let r = run.wait()
        XCTAssertEqual(r.status, 143, r.stderr)
        XCTAssertTrue(r.stderr.contains("interrupted; finished trials are kept"), r.stderr)
        // The trial in flight was checkpointed on the way out.
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)) ?? []).filter { $0.hasSuffix(".ckpt") }.isEmpty)
        let help = flowed(try descent(["--help"]).stdout)
        XCTAssertTrue(help.contains("130 when interrupted by SIGINT (Ctrl-C), 143 when interrupted by SIGTERM"), help)
        XCTAssertFalse(help.contains("130 when interrupted."), help)
        let runHelp = flowed(try descent(["run", "--help"]).stdout)
        XCTAssertTrue(runHelp.contains("130 when interrupted by SIGINT (Ctrl-C), 143 by SIGTERM"), runHelp)
    }

    // MARK: - 1: a grid too large, and signals during set-up

    /// A sweep of 400 × 400 widths and rates, times 2 seeds: 320 000 trials.
    func largeSweep() -> String {
        let widths = (1...400).map(String.init).joined(separator: ", ")
        let rates = (1...400).map { "\(Double($0) * 1e-5)" }.joined(separator: ", ")
        return tiny.replacingOccurrences(of: "sweep: { model.width: [16, 32] }\n", with: "sweep: { model.width: [\(widths)], optimizer.lr: [\(rates)] }\n")
    }

    func testALargeGridIsRefusedUnenumeratedAndSIGTERMDuringItsSetUpActsWithinASecond() throws {
        let (dir, file) = try write(largeSweep())
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        let start = Date()
        let refused = try descent(["run", file.path, "--out", out.path], in: dir)
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("the study has 320000 trials (400 (model.width) × 400 (optimizer.lr) × 2 seeds), more than 100000"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--allow-large"), refused.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the refusal must not enumerate the grid")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        // Accepted with --allow-large, its set-up (building every trial) takes far longer than a second;
        // SIGTERM in the middle of it ends the process within a second, exit 143.
        let run = try BackgroundRun(["run", file.path, "--out", out.path, "--allow-large"], in: dir)
        usleep(1_500_000)
        XCTAssertTrue(run.process.isRunning, "set-up ended early: \(run.wait().stderr)")
        let sent = Date()
        run.signal(SIGTERM)
        let r = run.wait()
        let took = Date().timeIntervalSince(sent)
        XCTAssertEqual(r.status, 143, r.stderr)
        XCTAssertEqual(run.process.terminationReason, .exit, "killed by the signal rather than exiting")
        XCTAssertLessThan(took, 1.0, "SIGTERM took \(took) s to act")
        XCTAssertTrue(r.stderr.contains("interrupted before training started"), r.stderr)
    }

    // MARK: - 4: a trial that cannot fit in memory is refused before it starts

    func testATrialThatCannotFitInMemoryIsRefusedWithItsEstimate() throws {
        guard FileManager.default.fileExists(atPath: "/proc/meminfo") else { throw XCTSkip("no /proc/meminfo: the memory check is Linux-only") }
        let text = """
        name: huge
        task: { operation: x+y, modulus: 2048, train_fraction: 0.5 }
        model: { width: 65536, embedding: 8 }
        training: { max_steps: 10 }
        seeds: 1

        """
        let (dir, file) = try write(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        let r = try descent(["run", file.path, "--out", out.path], in: dir)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        XCTAssertTrue(r.stderr.contains("with a batch of 2097152 rows; this machine has"), r.stderr)
        XCTAssertTrue(r.stderr.contains("(/proc/meminfo)") && r.stderr.contains("HINT: use a minibatch (training.batch: "), r.stderr)
        // The estimate covers the MLP's dominant buffers and is not far above them: per row, z and a
        // (2 × 65536), logits and dlogits (2 × 2048), gradA and gradZ (2 × 65536), float32.
        let rows: Double = 2048 * 2048 / 2
        let values: Double = 2 * 65536 + 2 * 2048 + 2 * 65536
        let dominantGB: Double = rows * 4 * values / 1_073_741_824
        let match = try XCTUnwrap(r.stderr.range(of: #"needs about [0-9.]+ GB at its peak"#, options: .regularExpression), r.stderr)
        let gb = try XCTUnwrap(Double(r.stderr[match].split(separator: " ")[2]))
        XCTAssertGreaterThanOrEqual(gb, dominantGB)
        XCTAssertLessThan(gb, dominantGB * 1.2)
    }

    // MARK: - 5: profile names stay inside results/

    func testProfileNamesThatWouldLeaveResultsAreRefused() throws {
        let text = tiny + "profiles:\n  \"/../../../ESCAPED\": { seeds: 1 }\n  \".hidden\": { seeds: 1 }\n"
        let (dir, file) = try write(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("a/b/c")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for (profile, problem) in [("/../../../ESCAPED", "contains '/'"), (".hidden", "starts with '.'"), ("a b", "contains ' '")] {
            let r = try descent(["run", file.path, "--profile", profile], in: work)
            XCTAssertEqual(r.status, 64, "\(profile): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--profile '\(profile)' \(problem), so it cannot name a results folder"), r.stderr)
            XCTAssertTrue(r.stderr.contains("HINT"), r.stderr)
        }
        XCTAssertEqual(allPaths(dir).filter { $0.contains("ESCAPED") || $0.contains("results") }, [], "a refused profile wrote something")
    }

    // MARK: - 8: a refused run leaves no lock file

    func testARefusedRunLeavesNoLockFile() throws {
        let (dir, file) = try write(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "mine".write(to: work.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let dot = try descent(["run", file.path, "--out", "."], in: work)
        XCTAssertEqual(dot.status, 1, dot.stderr)
        XCTAssertTrue(dot.stderr.contains("is not a descent results folder"), dot.stderr)
        XCTAssertEqual(lockFiles(work), [])
        let empty = try descent(["run", file.path, "--out", ""], in: work)
        XCTAssertEqual(empty.status, 64, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("--out is empty"), empty.stderr)
        XCTAssertEqual(lockFiles(work), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), ["notes.txt"])
        // A folder of another study: refused, and its lock file gone too.
        let out = dir.appendingPathComponent("r")
        XCTAssertEqual(try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir).status, 0)
        XCTAssertEqual(lockFiles(out), [], "a finished run leaves no lock file")
        let changed = dir.appendingPathComponent("changed.yaml")
        try tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 301").write(to: changed, atomically: true, encoding: .utf8)
        let other = try descent(["run", changed.path, "--out", out.path], in: dir)
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("holds a different study"), other.stderr)
        XCTAssertEqual(lockFiles(out), [])
    }

    // MARK: - 9: a contrast's --out holds its studies

    func testAContrastsOutHoldsItsStudiesFolders() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let contrast = """
        name: tiny-contrast
        axis: contrast
        size: size.yaml
        steps: steps.yaml
        expect:
          - { overfitting: steps }

        """
        for (name, text) in [("size.yaml", ReportRenderingTests.size), ("steps.yaml", ReportRenderingTests.steps), ("contrast.yaml", contrast)] {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let r = try descent(["run", "contrast.yaml", "--out", "elsewhere/c"], in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path), "a sub-study went to ./results: \(r.stdout)")
        for study in ["tiny-size", "tiny-steps"] {
            let trials = dir.appendingPathComponent("elsewhere/c/\(study)/trials")
            XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: trials.path)) ?? []).filter { !$0.hasPrefix(".") }.isEmpty, "\(study) has no trials under --out")
        }
        let record = try String(contentsOf: dir.appendingPathComponent("elsewhere/c/contrast.json"), encoding: .utf8)
        XCTAssertTrue(record.contains("\"elsewhere/c/tiny-size\"") && record.contains("\"elsewhere/c/tiny-steps\""), record)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("elsewhere/c/report/report.md").path))
        // The folder reports again as a contrast, from its record.
        XCTAssertEqual(try descent(["report", "elsewhere/c", "--format", "md"], in: dir).status, 0)
    }

    // MARK: - 10: checkpoints carry a checksum

    func testACorruptCheckpointIsReportedAndItsTrialStartsAgain() throws {
        let text = """
        name: corrupt
        task: { operation: x+y, modulus: 11, train_fraction: 0.6 }
        model: { width: 32, embedding: 8 }
        optimizer: { lr: 3e-3, weight_decay: 0.1 }
        training: { max_steps: 100000, batch: 16, stop_after: never, checkpoint_every: 200, eval: { points: 40 } }
        seeds: 1

        """
        let (dir, file) = try write(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = dir.appendingPathComponent("reference"), broken = dir.appendingPathComponent("broken")
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let expected = try trialSnapshot(reference)
        XCTAssertEqual(expected.count, 3)

        let run = try BackgroundRun(["run", file.path, "--out", broken.path, "--no-report"], in: dir)
        let checkpoints = broken.appendingPathComponent("checkpoints")
        func checkpoint() -> URL? {
            ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).first { $0.hasSuffix(".ckpt") }.map { checkpoints.appendingPathComponent($0) }
        }
        // The first checkpoint comes at step 200 of 100 000 (a second or more of training still to go): the
        // run is stopped as soon as it is there.
        XCTAssertTrue(waitUntil(30) { checkpoint() != nil }, "no checkpoint appeared")
        run.signal(SIGTERM)
        XCTAssertEqual(run.wait().status, 143, "the run ended before SIGTERM reached it")
        let ckpt = try XCTUnwrap(checkpoint())
        // Three flipped bytes: the top bytes of three of the second moment's last values (the file ends with it).
        var bytes = [UInt8](try Data(contentsOf: ckpt))
        for k in [3, 40, 400] { bytes[bytes.count - 4 * k - 1] ^= 0xFF }
        try Data(bytes).write(to: ckpt)

        let r = try descent(["run", file.path, "--out", broken.path, "--no-report"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: the checkpoint '\(ckpt.path)' cannot be resumed from: its checksum does not match"), r.stderr)
        XCTAssertTrue(r.stderr.contains("starts again from step 0"), r.stderr)
        let got = try trialSnapshot(broken)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (k, v) in expected { XCTAssertEqual(got[k], v, "\(k) differs from an uninterrupted run") }
    }

    // MARK: - 11: a whole-study run and shards exclude each other

    func testAWholeStudyRunAndShardsOnOneFolderExcludeEachOther() throws {
        let (dir, file) = try write(long)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("shared")
        let whole = try BackgroundRun(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertTrue(waitUntil(30) { FileManager.default.fileExists(atPath: out.appendingPathComponent("study.resolved.yaml").path) })
        let shard = try descent(["run", file.path, "--out", out.path, "--shard", "0/3", "--no-report"], in: dir)
        XCTAssertEqual(shard.status, 1, shard.stdout + shard.stderr)
        XCTAssertTrue(shard.stderr.contains("a run of the whole study (without --shard) is training in"), shard.stderr)
        XCTAssertTrue(shard.stdout.isEmpty, "the refused shard trained: \(shard.stdout)")
        whole.signal(SIGINT)
        XCTAssertEqual(whole.wait().status, 130)

        let s0 = try BackgroundRun(["run", file.path, "--out", out.path, "--shard", "0/3", "--no-report"], in: dir)
        XCTAssertTrue(waitUntil(30) { FileManager.default.fileExists(atPath: out.appendingPathComponent(".lock-shard-0-of-3").path) })
        usleep(300_000)
        let plain = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertEqual(plain.status, 1, plain.stdout + plain.stderr)
        XCTAssertTrue(plain.stderr.contains("shards of this study (--shard i/n) are training in"), plain.stderr)
        let otherSplit = try descent(["run", file.path, "--out", out.path, "--shard", "1/2", "--no-report"], in: dir)
        XCTAssertEqual(otherSplit.status, 1, otherSplit.stdout + otherSplit.stderr)
        XCTAssertTrue(otherSplit.stderr.contains("shards of a 3-way split (--shard i/3) are training"), otherSplit.stderr)
        let same = try descent(["run", file.path, "--out", out.path, "--shard", "0/3", "--no-report"], in: dir)
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.stderr.contains("another descent run of shard 0/3"), same.stderr)
        s0.signal(SIGINT)
        XCTAssertEqual(s0.wait().status, 130)
        XCTAssertEqual(lockFiles(out), [], "lock files left behind")
    }

    // MARK: - 15: a shard's gate is incomplete, not failed

    func testAShardsReportIsIncompleteNotFailed() throws {
        let (dir, file) = try write(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        let first = try descent(["run", file.path, "--out", out.path, "--shard", "0/2"], in: dir)
        XCTAssertEqual(first.status, 3, first.stdout + first.stderr)
        XCTAssertTrue(first.stderr.contains("the gate is incomplete, not failed: 2 of 4 trials have no result yet"), first.stderr)
        XCTAssertTrue(first.stderr.contains("run the other shards (--shard j/2)"), first.stderr)
        let report = try descent(["report", out.path], in: dir)
        XCTAssertEqual(report.status, 3, report.stdout + report.stderr)
        let second = try descent(["run", file.path, "--out", out.path, "--shard", "1/2"], in: dir)
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        XCTAssertFalse(second.stderr.contains("incomplete"), second.stderr)
        // A complete folder whose expectation fails still fails (1), whatever the shards.
        let failing = tiny.replacingOccurrences(of: "max_steps: 300", with: "max_steps: 3")
        let (dir2, file2) = try write(failing)
        defer { try? FileManager.default.removeItem(at: dir2) }
        let out2 = dir2.appendingPathComponent("r")
        XCTAssertEqual(try descent(["run", file2.path, "--out", out2.path, "--shard", "0/2"], in: dir2).status, 3)
        XCTAssertEqual(try descent(["run", file2.path, "--out", out2.path, "--shard", "1/2"], in: dir2).status, 1)
        let help = flowed(try descent(["run", "--help"]).stdout)
        XCTAssertTrue(help.contains("3 when trials of the study have no result yet"), help)
    }

    // MARK: - 16: wrong arguments say what is wrong

    func testNegativeNumbersAndADirectorySayWhatIsWrong() throws {
        let jobs = try descent(["run", "studies/grokking-modular-addition.yaml", "--jobs", "-3"])
        XCTAssertEqual(jobs.status, 64)
        XCTAssertTrue(jobs.stderr.contains("--jobs must be between 1 and 256, not -3"), jobs.stderr)
        XCTAssertFalse(jobs.stderr.contains("Missing value"), jobs.stderr)
        let shard = try descent(["run", "studies/grokking-modular-addition.yaml", "--shard", "-1/2"])
        XCTAssertEqual(shard.status, 64)
        XCTAssertTrue(shard.stderr.contains("--shard must be i/n with 0 ≤ i < n, such as 0/4; got '-1/2'"), shard.stderr)
        XCTAssertFalse(shard.stderr.contains("Missing value"), shard.stderr)
        let cpus = try descent(["slurm", "studies/grokking-modular-addition.yaml", "--cpus-per-task", "-1"])
        XCTAssertEqual(cpus.status, 64)
        XCTAssertTrue(cpus.stderr.contains("--cpus-per-task must be between 1 and 256, not -1"), cpus.stderr)
        let folder = try descent(["run", "studies"])
        XCTAssertEqual(folder.status, 64)
        XCTAssertTrue(folder.stderr.contains("'studies' is a directory, not a study file"), folder.stderr)
        XCTAssertTrue(folder.stderr.contains("HINT: pass one study file, such as studies/"), folder.stderr)
        XCTAssertFalse(folder.stderr.contains("UTF-8"), folder.stderr)
    }
}

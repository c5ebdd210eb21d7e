// Shards and Slurm through the real binary: shards cover a study exactly, the generated scripts mark
// and report shards correctly, and a real single-node Slurm cluster (scripts/slurm-test-cluster.sh)
// runs a study as a job array whose results equal a local run's, byte for byte.
//
// The cluster test needs root (it installs slurm-wlm and munge with apt-get when they are missing and
// starts munged, slurmctld and slurmd under a temporary folder). Where that is impossible it FAILS,
// saying why; set DESCENT_SKIP_SLURM=1 to skip it instead (for example on a developer laptop).
import Foundation
import XCTest

final class SlurmTests: XCTestCase {
    /// The tiny steps study (Tests/Fixtures/tiny-steps.yaml) over two widths: four trials, each well
    /// under a second.
    let tiny = tinySteps(["name": "tiny-slurm", "sweep": "{ model.width: [16, 32] }"])

    func studyFile() throws -> (URL, URL) {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("tiny.yaml")
        try tiny.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    /// trial id -> bytes of curve.csv and config.json, for every finished trial of a results folder.
    func trialFiles(_ folder: URL) throws -> [String: [String: Data]] {
        var out: [String: [String: Data]] = [:]
        let ids = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("trials").path).filter { !$0.hasPrefix(".") }
        for id in ids {
            let dir = folder.appendingPathComponent("trials/\(id)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("summary.json").path), "\(id) has no summary.json")
            out[id] = try Dictionary(uniqueKeysWithValues: ["curve.csv", "config.json"].map { ($0, try Data(contentsOf: dir.appendingPathComponent($0))) })
        }
        return out
    }

    /// The same trials, with byte-identical curves and configs, as a local run of the same study.
    func assertSameTrials(_ sharded: URL, _ local: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try trialFiles(sharded), b = try trialFiles(local)
        XCTAssertEqual(b.count, 4, "the local run should have 4 trials", file: file, line: line)
        XCTAssertEqual(Set(a.keys), Set(b.keys), "trial ids differ", file: file, line: line)
        for (id, files) in b {
            XCTAssertEqual(a[id]?["curve.csv"], files["curve.csv"], "curve.csv of \(id) differs from the local run", file: file, line: line)
            XCTAssertEqual(a[id]?["config.json"], files["config.json"], "config.json of \(id) differs", file: file, line: line)
            XCTAssertGreaterThan(files["curve.csv"]?.count ?? 0, 100, "curve.csv of \(id) is nearly empty", file: file, line: line)
        }
    }

    /// The number in "descent: N trials trained, M already done".
    func trained(_ stdout: String) -> Int? {
        guard let r = stdout.range(of: #"descent: (\d+) trials trained"#, options: .regularExpression) else { return nil }
        return Int(stdout[r].split(separator: " ")[1])
    }

    // MARK: - Shards, without Slurm

    /// Shards 0/3, 1/3 and 2/3, run at the same time into one folder, train every trial exactly once
    /// and leave exactly the trials and bytes of a local run.
    func testShardsCoverTheStudyExactly() throws {
        let (dir, file) = try studyFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let local = dir.appendingPathComponent("local"), sharded = dir.appendingPathComponent("sharded")
        let l = try descent(["run", file.path, "--out", local.path, "--no-report"], in: dir)
        XCTAssertEqual(l.status, 0, l.stdout + l.stderr)

        final class Results: @unchecked Sendable { var outputs = [Output?](repeating: nil, count: 3); var errors: [Error] = [] }   // each slot written by one thread
        let results = Results()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            do {
                let o = try descent(["run", file.path, "--out", sharded.path, "--shard", "\(i)/3", "--no-report"], in: dir)
                lock.lock(); results.outputs[i] = o; lock.unlock()
            } catch { lock.lock(); results.errors.append(error); lock.unlock() }
        }
        XCTAssertTrue(results.errors.isEmpty, "\(results.errors)")
        var counts: [Int] = []
        for (i, o) in results.outputs.enumerated() {
            let o = try XCTUnwrap(o)
            XCTAssertEqual(o.status, 0, "shard \(i)/3: \(o.stdout)\n\(o.stderr)")
            counts.append(try XCTUnwrap(trained(o.stdout), o.stdout))
        }
        // Trials 0..3 by index: shard 0/3 gets 0 and 3, 1/3 gets 1, 2/3 gets 2; none trains twice.
        XCTAssertEqual(counts, [2, 1, 1])
        try assertSameTrials(sharded, local)

        // The report sees a complete study; a shard run again has nothing left to do.
        let report = try descent(["report", sharded.path], in: dir)
        XCTAssertEqual(report.status, 0, report.stdout + report.stderr)
        XCTAssertFalse(report.stdout.contains("no result yet"), report.stdout)
        let again = try descent(["run", file.path, "--out", sharded.path, "--shard", "0/3", "--no-report"], in: dir)
        XCTAssertTrue(again.stdout.contains("0 trials trained, 2 already done"), again.stdout)
    }

    /// A shard that starts prepares the shared folder while another may be saving a trial: it must
    /// leave a live writer's temporary folder alone, and still clear those of dead writers.
    func testAStartingShardLeavesLiveWritersPartialFoldersAlone() throws {
        let (dir, file) = try studyFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        XCTAssertEqual(try descent(["run", file.path, "--out", out.path, "--shard", "0/2", "--no-report"], in: dir).status, 0)
        var buf = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(gethostname(&buf, buf.count - 1), 0)
        let host = String(cString: buf)
        // A live writer: this test process. A dead one: a child that has exited.
        let live = out.appendingPathComponent("trials/.partial-0123456789abcdef-\(host)-\(getpid())")
        let dead = out.appendingPathComponent("trials/.partial-fedcba9876543210-\(host)-\(try deadPid())")
        for u in [live, dead] { try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true) }
        XCTAssertEqual(try descent(["run", file.path, "--out", out.path, "--shard", "1/2", "--no-report"], in: dir).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "a live writer's partial folder was removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path), "a dead writer's partial folder was kept")
    }

    /// The id of a process that has exited (and been reaped).
    func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    // MARK: - The generated scripts, without Slurm

    /// `descent slurm` without --submit: the scripts, run by bash as Slurm would run them, train their
    /// shards, leave done markers, and the report script names a missing shard and exits 1.
    func testScriptsMarkShardsAndReportTheMissingOnes() throws {
        let (dir, file) = try studyFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r")
        let g = try descent(["slurm", file.path, "--out", out.path, "--array-parallelism", "2", "--partition", "test", "--time", "0:05:00"], in: dir)
        XCTAssertEqual(g.status, 0, g.stdout + g.stderr)
        let slurm = out.appendingPathComponent("slurm")
        let array = slurm.appendingPathComponent("array.sbatch"), report = slurm.appendingPathComponent("report.sbatch")
        XCTAssertTrue(g.stdout.contains("sbatch --parsable \(array.path)"), g.stdout)
        XCTAssertTrue(g.stdout.contains("sbatch --parsable --dependency=afterany:ARRAY \(report.path)"), g.stdout)
        let script = try String(contentsOf: array, encoding: .utf8)
        for line in ["#SBATCH --array=0-3%2", "#SBATCH --partition=test", "#SBATCH --time=0:05:00", "#SBATCH --cpus-per-task=1",
                     "--shard \"$shard/4\" --no-report", descentBinary().resolvingSymlinksInPath().path + " run " + file.path] {
            XCTAssertTrue(script.contains(line), "'\(line)' not in array.sbatch:\n\(script)")
        }
        // The folder is claimed for this study before anything runs.
        XCTAssertNotNil(json(out.appendingPathComponent("study.resolved.yaml"))?["study_hash"])

        func bash(_ script: URL, task: Int? = nil) throws -> Output {
            var env = ProcessInfo.processInfo.environment
            env["SLURM_ARRAY_TASK_ID"] = task.map(String.init)
            return try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path], env: env, in: dir)
        }
        for task in [0, 1, 3] { XCTAssertEqual(try bash(array, task: task).status, 0) }
        XCTAssertEqual(try bash(array).status, 1, "outside an array task the script must refuse to run")
        let done = try FileManager.default.contentsOfDirectory(atPath: slurm.appendingPathComponent("done").path).sorted()
        XCTAssertEqual(done, ["0", "1", "3"])
        let partial = try bash(report)
        XCTAssertEqual(partial.status, 1, partial.stdout + partial.stderr)
        XCTAssertTrue(partial.stderr.contains("shards without a done marker: 2 (of 4)"), partial.stderr)
        XCTAssertTrue(partial.stderr.contains("sbatch --array=2 \(array.path)"), partial.stderr)
        XCTAssertTrue(partial.stdout.contains("1 of 4 trials have no result yet"), partial.stdout)

        XCTAssertEqual(try bash(array, task: 2).status, 0)
        let full = try bash(report)
        XCTAssertEqual(full.status, 0, full.stdout + full.stderr)
        XCTAssertTrue(full.stdout.contains("all 4 shards finished"), full.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report/report.md").path))

        // Regenerating the scripts clears the markers, which count shards of one generation only.
        XCTAssertEqual(try descent(["slurm", file.path, "--out", out.path, "--shards", "2"], in: dir).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: slurm.appendingPathComponent("done").path), [])
    }

    /// Bad arguments exit 64 and write nothing; a missing sbatch is a runtime error (1) that says so.
    func testSlurmBadInputAndMissingSbatch() throws {
        let (dir, file) = try studyFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o")
        let cases: [([String], String)] = [
            (["--shards", "0"], "--shards must be between 1 and 1001"),
            (["--shards", "5"], "more than the study's 4 trials"),
            (["--array-parallelism", "0"], "--array-parallelism must be at least 1"),
            (["--time", "soon"], "--time must be a Slurm time limit"),
            (["--partition", "a b"], "--partition must be a partition name"),
            (["--cpus-per-task", "0"], "--cpus-per-task must be between 1 and 256"),
        ]
        for (args, message) in cases {
            let r = try descent(["slurm", file.path, "--out", out.path] + args, in: dir)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(message) not in \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(args) wrote \(out.path)")
        }
        let bad = dir.appendingPathComponent("bad.yaml")
        try "task:\n  operation: x/y\n  modulus: 12\n".write(to: bad, atomically: true, encoding: .utf8)
        let invalid = try descent(["slurm", bad.path, "--out", out.path], in: dir)
        XCTAssertEqual(invalid.status, 64)
        XCTAssertTrue(invalid.stderr.contains("bad.yaml:3:12") && invalid.stderr.contains("not prime"), invalid.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        var env = ProcessInfo.processInfo.environment
        env["PATH"] = dir.path   // no sbatch here
        let noSbatch = try runProcess(descentBinary(), ["slurm", file.path, "--out", out.path, "--submit"], env: env, in: dir)
        XCTAssertEqual(noSbatch.status, 1, noSbatch.stderr)
        XCTAssertTrue(noSbatch.stderr.contains("sbatch is not on PATH"), noSbatch.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("slurm/array.sbatch").path))

        // sbatch that fails: its message is shown and the exit status is 1.
        let fake = dir.appendingPathComponent("sbatch")
        try "#!/bin/sh\necho 'sbatch: error: invalid partition specified: nowhere' >&2\nexit 1\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        env["PATH"] = dir.path + ":/usr/bin:/bin"
        let refused = try runProcess(descentBinary(), ["slurm", file.path, "--out", out.path, "--submit"], env: env, in: dir)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("sbatch refused the array job (exit 1): sbatch: error: invalid partition specified: nowhere"), refused.stderr)
    }

    // MARK: - A real Slurm cluster

    /// A single-node Slurm cluster runs the study as a 4-task array (2 at a time) plus the report job
    /// after it; every shard leaves its marker, the report job succeeds, and the results are the trials
    /// and bytes of a local run.
    func testSlurmArrayMatchesALocalRun() throws {
        if ProcessInfo.processInfo.environment["DESCENT_SKIP_SLURM"] == "1" {
            throw XCTSkip("DESCENT_SKIP_SLURM=1: the Slurm cluster test is skipped")
        }
        let started = Date()
        let (dir, file) = try studyFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cluster = dir.appendingPathComponent("cluster")
        let harness = packageRoot().appendingPathComponent("scripts/slurm-test-cluster.sh")
        // The harness's output goes to a file, not a pipe: a daemon that kept the pipe open would
        // otherwise keep this test waiting for its end forever.
        func harnessRun(_ action: String) throws -> (status: Int32, output: String) {
            let log = dir.appendingPathComponent("harness-\(action).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            defer { try? handle.close() }
            let p = Process()
            p.executableURL = harness
            p.arguments = [action, cluster.path]
            p.currentDirectoryURL = dir
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = handle; p.standardError = handle
            try p.run()
            p.waitUntilExit()
            return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
        // Stop the daemons by their recorded ids whatever happens below (the script only signals those).
        defer {
            if let down = try? harnessRun("down"), down.status != 0 { XCTFail("slurm-test-cluster.sh down failed: \(down.output)") }
        }
        let up = try harnessRun("up")
        if up.status == 77 {
            XCTFail("this machine cannot run the Slurm test cluster (set DESCENT_SKIP_SLURM=1 to skip this test):\n\(up.output)")
            return
        }
        XCTAssertEqual(up.status, 0, "the test cluster did not come up:\n\(up.output)")
        guard up.status == 0 else { return }
        let upSeconds = Date().timeIntervalSince(started)
        var env = ProcessInfo.processInfo.environment
        env["SLURM_CONF"] = cluster.appendingPathComponent("slurm.conf").path

        let sharded = dir.appendingPathComponent("sharded")
        let submitted = Date()
        let s = try runProcess(descentBinary(), ["slurm", file.path, "--out", sharded.path, "--array-parallelism", "2",
                                                 "--partition", "test", "--time", "5", "--submit"], env: env, in: dir)
        XCTAssertEqual(s.status, 0, s.stdout + s.stderr)
        func jobID(_ label: String) -> String? {
            guard let r = s.stdout.range(of: label + #" (\d+)"#, options: .regularExpression) else { return nil }
            return s.stdout[r].split(separator: " ").last.map(String.init)
        }
        let arrayJob = try XCTUnwrap(jobID("the array job"), s.stdout)
        let reportJob = try XCTUnwrap(jobID("the report job"), s.stdout)
        XCTAssertTrue(s.stdout.contains("(afterany:\(arrayJob))"), s.stdout)

        // Poll: no accounting database here, so scontrol (finished jobs stay for MinJobAge) and markers.
        func states(_ job: String) throws -> [String] {
            let r = try runProcess(URL(fileURLWithPath: "/usr/bin/scontrol"), ["show", "job", job], env: env, in: dir)
            return r.stdout.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("JobState=") }.map { String($0.dropFirst(9)) }
        }
        let terminal: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"]
        /// The states of a job once it has ended, or nil (after a test failure) when it has not within 60 s.
        func finalStates(_ job: String, _ folder: URL) throws -> [String]? {
            let deadline = Date().addingTimeInterval(60)
            while true {
                let st = try states(job)
                if !st.isEmpty && st.allSatisfy(terminal.contains) { return st }
                if Date() > deadline {
                    let queue = try runProcess(URL(fileURLWithPath: "/usr/bin/squeue"), [], env: env, in: dir)
                    let markers = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("slurm/done").path)) ?? []
                    XCTFail("job \(job) did not finish within 60 s: \(st); done markers \(markers)\n\(queue.stdout)\(logs(folder))")
                    return nil
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        let doneDir = sharded.appendingPathComponent("slurm/done")
        guard let reportStates = try finalStates(reportJob, sharded) else { return }
        let clusterSeconds = Date().timeIntervalSince(submitted)

        let arrayStates = try states(arrayJob)
        XCTAssertEqual(arrayStates, ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"], "array tasks\(logs(sharded))")
        XCTAssertEqual(reportStates, ["COMPLETED"], "report job\(logs(sharded))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: doneDir.path).sorted(), ["0", "1", "2", "3"])
        let logDir = sharded.appendingPathComponent("slurm/logs")
        let reportLog = try String(contentsOf: logDir.appendingPathComponent("report-\(reportJob).out"), encoding: .utf8)
        XCTAssertTrue(reportLog.contains("all 4 shards finished"), reportLog)
        XCTAssertFalse(reportLog.contains("no result yet"), reportLog)
        XCTAssertTrue(FileManager.default.fileExists(atPath: sharded.appendingPathComponent("report/report.md").path))
        for task in 0..<4 {
            let log = try String(contentsOf: logDir.appendingPathComponent("shard-\(arrayJob)_\(task).out"), encoding: .utf8)
            XCTAssertEqual(trained(log), 1, "shard \(task) of 4 trains its one trial:\n\(log)")
        }

        let local = dir.appendingPathComponent("local")
        let l = try descent(["run", file.path, "--out", local.path, "--no-report"], in: dir)
        XCTAssertEqual(l.status, 0, l.stdout + l.stderr)
        try assertSameTrials(sharded, local)

        // A shard that fails: the report job still runs (afterany), names the shard and fails, rather
        // than waiting forever. The failure is injected into the generated script; the jobs are
        // submitted with the two commands `descent slurm` prints.
        let failing = dir.appendingPathComponent("failing")
        let g = try descent(["slurm", file.path, "--out", failing.path, "--shards", "2"], in: dir)
        XCTAssertEqual(g.status, 0, g.stdout + g.stderr)
        let arrayScript = failing.appendingPathComponent("slurm/array.sbatch")
        let script = try String(contentsOf: arrayScript, encoding: .utf8)
        XCTAssertTrue(script.contains("\nset -u\n"))
        try script.replacingOccurrences(of: "\nset -u\n", with: "\nset -u\nif [ \"$SLURM_ARRAY_TASK_ID\" = 1 ]; then echo 'injected failure' >&2; exit 3; fi\n")
            .write(to: arrayScript, atomically: true, encoding: .utf8)
        let sbatch = URL(fileURLWithPath: "/usr/bin/sbatch")
        let a2 = try runProcess(sbatch, ["--parsable", arrayScript.path], env: env, in: dir)
        XCTAssertEqual(a2.status, 0, a2.stderr)
        let array2 = a2.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let r2 = try runProcess(sbatch, ["--parsable", "--dependency=afterany:\(array2)", failing.appendingPathComponent("slurm/report.sbatch").path], env: env, in: dir)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let report2 = r2.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let failedReport = try finalStates(report2, failing) else { return }
        XCTAssertEqual(try states(array2).sorted(), ["COMPLETED", "FAILED"], logs(failing))
        XCTAssertEqual(failedReport, ["FAILED"], logs(failing))
        let log2 = try String(contentsOf: failing.appendingPathComponent("slurm/logs/report-\(report2).out"), encoding: .utf8)
        XCTAssertTrue(log2.contains("shards without a done marker: 1 (of 2)"), log2)
        XCTAssertTrue(log2.contains("2 of 4 trials have no result yet"), log2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: failing.appendingPathComponent("slurm/done").path), ["0"])
        print(String(format: "SlurmTests: cluster up in %.1f s, 4-task array + report job done %.1f s after submission, %.1f s in all (with the failing-shard run)",
                     upSeconds, clusterSeconds, Date().timeIntervalSince(started)))
    }

    /// The Slurm logs of a results folder, for failure messages.
    func logs(_ folder: URL) -> String {
        let dir = folder.appendingPathComponent("slurm/logs")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
        return files.map { "\n--- \($0)\n" + ((try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) ?? "") }.joined()
    }
}


// A disk that fills up mid-study: the run stops at the first write that fails, says which file and how
// much space it needed, leaves no half-written trial behind, and once there is space again the same
// command finishes the study to the bytes of an uninterrupted run.
//
// The first test fills a real file system: a small tmpfs mounted for the test (this needs root, or
// CAP_SYS_ADMIN; elsewhere it is skipped, saying so). The others inject the full disk through the test
// hook DESCENT_TEST_DISK_FULL_AFTER=N (Sources/Studies/Writes.swift: the first N atomic writes of the
// process succeed, every later one fails with ENOSPC), so they run everywhere and deterministically.
import Foundation
import XCTest

final class DiskFullTests: XCTestCase {
    /// Eight trials of about half a second each, checkpointing often.
    let study = """
    name: disk-full
    task: { operation: x+y, modulus: 11, train_fraction: 0.6 }
    model: { width: 32, embedding: 8 }
    optimizer: { lr: 3e-3, weight_decay: 0.1 }
    training: { max_steps: 6000, batch: 16, stop_after: never, checkpoint_every: 300, eval: { points: 40 } }
    sweep: { model.width: [16, 48] }
    seeds: 4

    """

    func setUpStudy(_ text: String) throws -> (URL, URL) {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("study.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    /// Hidden leftovers of writers: partial trial folders and temporary files, anywhere in the folder.
    func leftovers(_ root: URL) -> [String] {
        allPaths(root).filter { path in
            let name = (path as NSString).lastPathComponent
            return name.hasPrefix(".partial-") || name.hasPrefix(".tmp-")
        }
    }

    func finishedTrials(_ root: URL) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("trials").path)) ?? []).filter { !$0.hasPrefix(".") }.count
    }

    /// What every stopped-by-a-full-disk run must say and leave.
    func assertStoppedPlainly(_ r: Output, _ out: URL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 74, r.stdout + r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("cannot write '\(out.path)/"), "the failed file is not named: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("free on that file system"), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("HINT: free space on that file system"), r.stderr, file: file, line: line)
        XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain") || r.stderr.contains("Code=640"), "a raw Foundation error: \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("FAILED"), "trials kept starting after the disk filled: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(leftovers(out), [], "half-written files left behind", file: file, line: line)
    }

    func testAFullTmpfsStopsTheRunAtTheFirstFailedWriteAndTheRunResumesOnceThereIsSpace() throws {
        let (dir, file) = try setUpStudy(study)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = dir.appendingPathComponent("reference")
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let expected = try trialSnapshot(reference)
        XCTAssertEqual(expected.count, 24)

        let disk = dir.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mount = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.path], in: dir)
        guard mount.status == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); testAnInjectedFullDisk… cover the same ground through DESCENT_TEST_DISK_FULL_AFTER")
        }
        defer { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [disk.path], in: dir) }
        let out = disk.appendingPathComponent("out"), filler = disk.appendingPathComponent("filler")

        let run = try BackgroundRun(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertTrue(waitUntil(60) { self.finishedTrials(out) >= 2 }, "no trial finished")
        // Fill the disk to the last byte.
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let chunk = [UInt8](repeating: 0xAB, count: 1 << 16)
        var size = 1 << 16
        while size > 0 {
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress!, size) }) < 0 { size /= 2 }
        }
        close(fd)
        let r = run.wait()
        assertStoppedPlainly(r, out)
        let kept = finishedTrials(out)
        XCTAssertLessThan(kept, 8, "the run finished before the disk filled: shorten the wait or lengthen the trials")

        // Space is back: the same command finishes the study, to the bytes of an uninterrupted run.
        try FileManager.default.removeItem(at: filler)
        let again = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertTrue(again.stdout.contains("\(8 - kept) trials trained, \(kept) already done"), again.stdout)
        let got = try trialSnapshot(out)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (k, v) in expected { XCTAssertEqual(got[k], v, "\(k) differs from an uninterrupted run") }
        XCTAssertEqual(leftovers(out), [])
        XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)) ?? []), [])
    }

    /// Two trials saved, then the disk is full: the third trial's curve.csv is the first write that fails.
    func testAnInjectedFullDiskStopsAtTheFirstFailedWriteAndTheRunResumes() throws {
        let text = study.replacingOccurrences(of: "checkpoint_every: 300", with: "checkpoint_every: 0")
            .replacingOccurrences(of: "max_steps: 6000", with: "max_steps: 600")
        let (dir, file) = try setUpStudy(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = dir.appendingPathComponent("reference"), out = dir.appendingPathComponent("out")
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        // Writes: study.yaml and study.resolved.yaml, then config, curve, timing and summary per trial.
        let r = try runProcess(descentBinary(), ["run", file.path, "--out", out.path, "--no-report"],
                               env: ProcessInfo.processInfo.environment.merging(["DESCENT_TEST_DISK_FULL_AFTER": "11"]) { $1 }, in: dir)
        assertStoppedPlainly(r, out)
        XCTAssertTrue(r.stderr.contains("stopped at the first failed write: trial "), r.stderr)
        XCTAssertTrue(r.stderr.range(of: #"cannot write '[^']*/trials/[0-9a-f]{16}/curve\.csv': No space left on device \(\d+(\.\d)? [kM]?B to write"#, options: .regularExpression) != nil, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 trials finished in this run"), r.stderr)
        XCTAssertTrue(r.stdout.contains("descent: 2 trials trained"), r.stdout)
        XCTAssertEqual(finishedTrials(out), 2)

        let again = try descent(["run", file.path, "--out", out.path, "--no-report"], in: dir)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertTrue(again.stdout.contains("6 trials trained, 2 already done"), again.stdout)
        let expected = try trialSnapshot(reference), got = try trialSnapshot(out)
        XCTAssertEqual(expected.count, 24)
        XCTAssertEqual(got, expected)
    }

    /// SIGTERM when the checkpoint of the trial in flight cannot be written: the run must not say that
    /// running it again finishes the rest, since that trial's progress is lost. It says so, and exits 74.
    func testAnInterruptWhoseCheckpointCannotBeWrittenSaysSo() throws {
        let text = study.replacingOccurrences(of: "checkpoint_every: 300", with: "checkpoint_every: 100000000")
            .replacingOccurrences(of: "max_steps: 6000", with: "max_steps: 5000000")
        let (dir, file) = try setUpStudy(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        // The two writes of the folder's set-up succeed; the checkpoint written on the way out fails.
        let run = try BackgroundRun(["run", file.path, "--out", out.path, "--no-report"], in: dir, env: ["DESCENT_TEST_DISK_FULL_AFTER": "2"])
        XCTAssertTrue(waitUntil(30) { FileManager.default.fileExists(atPath: out.appendingPathComponent("study.resolved.yaml").path) })
        usleep(500_000)
        run.signal(SIGTERM)
        let r = run.wait()
        assertStoppedPlainly(r, out)
        XCTAssertTrue(r.stderr.contains("interrupted, but the checkpoint of trial "), r.stderr)
        XCTAssertTrue(r.stderr.range(of: #"its progress up to step \d+ is lost"#, options: .regularExpression) != nil, r.stderr)
        XCTAssertFalse(r.stderr.contains("Run the same command again to finish the rest"), r.stderr)
        XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)) ?? []).filter { $0.hasSuffix(".ckpt") }, [])
    }
}

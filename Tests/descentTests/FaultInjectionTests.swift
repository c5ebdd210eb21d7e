// Kill `descent run` with SIGKILL at random moments, re-run it each time, and check that the folder ends
// with exactly the trials and bytes of an uninterrupted run (wall-clock fields aside).
import Foundation
import XCTest

final class FaultInjectionTests: XCTestCase {
    /// The tiny steps study (Tests/Fixtures/tiny-steps.yaml), long enough to be killed mid-trial and
    /// checkpointed often: 8 trials.
    let study = tinySteps([
        "name": "faults",
        "training": "{ max_steps: 60000, batch: 16, stop_after: never, checkpoint_every: 500, eval: { points: 40 } }",
        "sweep": "{ model.width: [16, 48] }",
        "seeds": "4",
    ])

    func testSIGKILLAtRandomMomentsLosesAndDuplicatesNothing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("faults.yaml")
        try study.write(to: file, atomically: true, encoding: .utf8)
        let reference = dir.appendingPathComponent("reference"), killed = dir.appendingPathComponent("killed")
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let expected = try trialSnapshot(reference)
        XCTAssertEqual(expected.count, 24)

        var state: UInt64 = 0x5EED
        func nextDelay() -> UInt32 {   // 20 ms to 0.3 s, from a fixed LCG so that failures reproduce
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(20_000 + (state >> 33) % 280_000)
        }
        var kills = 0
        for _ in 0..<24 {
            let p = Process()
            p.executableURL = descentBinary()
            p.arguments = ["run", file.path, "--out", killed.path, "--no-report"]
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(nextDelay())
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
        }
        XCTAssertGreaterThanOrEqual(kills, 20, "the runs finished before they could be killed: lengthen the study")
        let final = try descent(["run", file.path, "--out", killed.path, "--no-report"], in: dir)
        XCTAssertEqual(final.status, 0, final.stdout + final.stderr)
        let got = try trialSnapshot(killed)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (k, v) in expected { XCTAssertEqual(got[k], v, "\(k) differs after \(kills) kills") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("trials").path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "partial trial folders left behind")
        let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("checkpoints").path)) ?? []
        XCTAssertEqual(checkpoints, [], "checkpoints of finished trials left behind")
    }

    /// A trial with probes killed several times keeps the snapshots taken before each kill (they ride with
    /// the checkpoint): its probes.json matches an uninterrupted run's, resume metadata aside, the Hessian's
    /// top eigenvalue and the local learning coefficient included, and so does its curve.csv with the probes'
    /// columns (the frequency losses, and the curvature on its own schedule).
    func testProbeSnapshotsSurviveKills() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("probes.yaml")
        try """
        name: probe-kills
        task: { operation: x+y, modulus: 13, train_fraction: 0.6 }
        model: { width: 64, embedding: 16 }
        optimizer: { lr: 3e-3, weight_decay: 1.0 }
        training: { max_steps: 40000, batch: 32, stop_after: never, checkpoint_every: 100, probes: true, eval: { points: 80 } }
        probes: { llc: true, llc_chains: 2, llc_steps: 20, llc_burn_in: 5, frequency_losses: true, curvature_points: 12 }
        events:
          memorization: { metric: train_accuracy, at_least: 0.99 }
          generalization: { metric: val_accuracy, at_least: 0.99 }
        seeds: 1

        """.write(to: file, atomically: true, encoding: .utf8)
        func probes(_ root: URL) throws -> String {
            let trials = root.appendingPathComponent("trials")
            let id = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: trials.path).first { !$0.hasPrefix(".") })
            let text = try String(contentsOf: trials.appendingPathComponent("\(id)/probes.json"), encoding: .utf8)
            return text.split(separator: "\n").filter { !$0.contains("\"resumed_at\"") && !$0.contains("\"note\"") }.joined(separator: "\n")
        }
        let reference = dir.appendingPathComponent("reference"), killed = dir.appendingPathComponent("killed")
        let start = Date()
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let seconds = Date().timeIntervalSince(start)
        let expected = try probes(reference)
        XCTAssertTrue(expected.contains("\"memorization\""), "the event must happen for the test to mean anything")
        XCTAssertTrue(expected.contains("\"hessian_top_eigenvalue\""), expected)
        XCTAssertTrue(expected.contains("\"llc_standard_error\""), expected)
        var kills = 0
        for k in 1...5 {
            let p = Process()
            p.executableURL = descentBinary()
            p.arguments = ["run", file.path, "--out", killed.path, "--no-report"]
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(seconds * 1e6 * Double(k) / 8))   // spread over the run: before and after the event
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
        }
        XCTAssertGreaterThanOrEqual(kills, 3)
        XCTAssertEqual(try descent(["run", file.path, "--out", killed.path, "--no-report"], in: dir).status, 0)
        XCTAssertEqual(try probes(killed), expected)
        // The probe columns over training (the frequency losses at every evaluation, the curvature on its own schedule) too.
        func curve(_ root: URL) throws -> String {
            let trials = root.appendingPathComponent("trials")
            let id = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: trials.path).first { !$0.hasPrefix(".") })
            return try String(contentsOf: trials.appendingPathComponent("\(id)/curve.csv"), encoding: .utf8)
        }
        let curveText = try curve(reference)
        XCTAssertTrue(curveText.hasPrefix("step,") && curveText.contains(",excluded_loss,restricted_loss,hessian_top_eigenvalue,sharpness"), String(curveText.prefix(300)))
        XCTAssertEqual(try curve(killed), curveText)
    }

    /// SIGTERM while the local learning coefficient of the init snapshot is being estimated (seconds of
    /// SGLD): the run stops at once (exit 143), the interrupted evaluation is not kept, and the resumed run
    /// takes it again: its probes.json and curve.csv are those of an uninterrupted run.
    func testSIGTERMDuringALongProbeActsAtOnceAndTheResumedRunIsTheSame() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("llc.yaml")
        try """
        name: llc-stop
        task: { operation: x+y, modulus: 13, train_fraction: 0.6 }
        model: { width: 32, embedding: 8 }
        optimizer: { lr: 3e-3, weight_decay: 1.0 }
        training: { max_steps: 3000, stop_after: never, probes: true, eval: { points: 20 } }
        probes: { llc: true, llc_chains: 2, llc_steps: 10000, llc_burn_in: 10 }
        seeds: 1

        """.write(to: file, atomically: true, encoding: .utf8)
        func files(_ root: URL) throws -> (probes: String, curve: Data) {
            let trials = root.appendingPathComponent("trials")
            let id = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: trials.path).first { !$0.hasPrefix(".") })
            let text = try String(contentsOf: trials.appendingPathComponent("\(id)/probes.json"), encoding: .utf8)
            return (text.split(separator: "\n").filter { !$0.contains("\"resumed_at\"") && !$0.contains("\"note\"") }.joined(separator: "\n"),
                    try Data(contentsOf: trials.appendingPathComponent("\(id)/curve.csv")))
        }
        let reference = dir.appendingPathComponent("reference"), stopped = dir.appendingPathComponent("stopped")
        let start = Date()
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let seconds = Date().timeIntervalSince(start)     // three snapshots of SGLD: the init one is the first third
        let p = Process()
        p.executableURL = descentBinary()
        p.arguments = ["run", file.path, "--out", stopped.path, "--no-report"]
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(UInt32(seconds * 1e6 / 6))
        XCTAssertTrue(p.isRunning)
        let signalled = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let latency = Date().timeIntervalSince(signalled)
        XCTAssertEqual(p.terminationStatus, 143)
        XCTAssertLessThan(latency, 2, "SIGTERM during the LLC took \(latency) s to act (the run took \(seconds) s)")
        XCTAssertEqual(try descent(["run", file.path, "--out", stopped.path, "--no-report"], in: dir).status, 0)
        let (a, b) = (try files(reference), try files(stopped))
        XCTAssertEqual(a.probes, b.probes)
        XCTAssertEqual(a.curve, b.curve)
    }
}

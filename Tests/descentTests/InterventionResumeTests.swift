// Every intervention against grokking (the Grokfast filters, ⊥Grad, the weight-norm constraint, StableMax,
// the float64 softmax), and label noise on the table with an event that waits for another, keeps its state
// across an interruption: a run stopped by SIGTERM mid-trial and run again ends with the bytes of an
// uninterrupted run (wall-clock fields aside).
import Foundation
import XCTest

final class InterventionResumeTests: XCTestCase {
    func testEachInterventionResumesToTheBytesOfAnUninterruptedRun() throws {
        let variants: [(String, String, String)] = [
            ("grokfast-ema", "grokfast", "{ filter: ema, alpha: 0.9, lambda: 2 }"),
            ("grokfast-ma", "grokfast", "{ filter: ma, window: 7, lambda: 3 }"),
            ("orthogonal", "optimizer", "{ lr: 3e-3, weight_decay: 0 }\ntraining.orthogonal_gradient: true"),
            ("weight-norm", "constraint", "{ weight_norm_factor: 0.9 }"),
            ("stablemax", "training.loss", "stablemax"),
            ("float64-softmax", "training.loss", "cross_entropy_float64"),
            ("label-noise", "task", "{ operation: x+y, modulus: 11, train_fraction: 0.6, label_noise: 0.2 }\n"
                + "events: { memorization: { metric: train_accuracy, at_least: 0.99 }, forgotten: { metric: train_accuracy_corrupted, at_most: 0.5, after: memorization } }"),
        ]
        for (name, key, value) in variants {
            let dir = temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("\(name).yaml")
            let study = tinySteps([
                "name": "\"\(name)\"",
                "training": "{ max_steps: 40000, batch: 16, stop_after: never, checkpoint_every: 500, eval: { points: 30 } }",
                "seeds": "1",
                key: value,
            ])
            try study.write(to: file, atomically: true, encoding: .utf8)
            let reference = dir.appendingPathComponent("reference"), stopped = dir.appendingPathComponent("stopped")
            let whole = try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir)
            XCTAssertEqual(whole.status, 0, "\(name): " + whole.stdout + whole.stderr)

            let p = Process()
            p.executableURL = descentBinary()
            p.arguments = ["run", file.path, "--out", stopped.path, "--no-report"]
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            // Stop it once it has written its first checkpoint (step 500 of 40000): mid-trial.
            let folder = stopped.appendingPathComponent("checkpoints").path
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline
                && !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains(where: { $0.hasSuffix(".ckpt") }) { usleep(1000) }
            XCTAssertTrue(p.isRunning, "\(name): the run finished before it could be stopped: lengthen it")
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 143, name)
            let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: stopped.appendingPathComponent("checkpoints").path)) ?? []
            XCTAssertEqual(checkpoints.filter { $0.hasSuffix(".ckpt") }.count, 1, "\(name): the stopped trial left its checkpoint")

            let again = try descent(["run", file.path, "--out", stopped.path, "--no-report"], in: dir)
            XCTAssertEqual(again.status, 0, "\(name): " + again.stdout + again.stderr)
            XCTAssertTrue((again.stdout + again.stderr).contains("resumed at step"), "\(name): the trial must resume from its checkpoint, not start again: " + again.stderr)
            let expected = try trialSnapshot(reference), got = try trialSnapshot(stopped)
            XCTAssertEqual(Set(got.keys), Set(expected.keys), name)
            for (k, v) in expected { XCTAssertEqual(got[k], v, "\(name): \(k) differs after a resume") }
        }
    }
}

// Kill `descent run` with SIGKILL at random moments, re-run it each time, and check that the folder ends
// with exactly the trials and bytes of an uninterrupted run (wall-clock fields aside).
import Foundation
import XCTest

final class FaultInjectionTests: XCTestCase {
    let study = """
    name: faults
    task: { operation: x+y, modulus: 11, train_fraction: 0.6 }
    model: { width: 32, embedding: 8 }
    optimizer: { lr: 3e-3, weight_decay: 0.1 }
    training: { max_steps: 60000, batch: 16, stop_after: never, checkpoint_every: 500, eval: { points: 40 } }
    sweep: { model.width: [16, 48] }
    seeds: 4

    """

    /// The bytes that must match: every trial file, with summary.json's wall-clock fields removed.
    func snapshot(_ root: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        let trials = root.appendingPathComponent("trials")
        for id in try FileManager.default.contentsOfDirectory(atPath: trials.path) {
            for f in ["config.json", "curve.csv", "summary.json"] {
                var text = try String(contentsOf: trials.appendingPathComponent("\(id)/\(f)"), encoding: .utf8)
                if f == "summary.json" {
                    text = text.split(separator: "\n").filter { !$0.contains("\"wall_seconds\"") }.joined(separator: "\n")
                }
                out["\(id)/\(f)"] = text
            }
        }
        return out
    }

    func testSIGKILLAtRandomMomentsLosesAndDuplicatesNothing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("faults.yaml")
        try study.write(to: file, atomically: true, encoding: .utf8)
        let reference = dir.appendingPathComponent("reference"), killed = dir.appendingPathComponent("killed")
        XCTAssertEqual(try descent(["run", file.path, "--out", reference.path, "--no-report"], in: dir).status, 0)
        let expected = try snapshot(reference)
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
        let got = try snapshot(killed)
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (k, v) in expected { XCTAssertEqual(got[k], v, "\(k) differs after \(kills) kills") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("trials").path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "partial trial folders left behind")
        let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("checkpoints").path)) ?? []
        XCTAssertEqual(checkpoints, [], "checkpoints of finished trials left behind")
    }
}

// descent compare on real runs: a rerun is identical (exit 0); a slower learning rate is found worse with
// a significant log-rank test (exit 1, named in the terminal and junit.xml), and --fail-on never lets it
// pass; a copy whose event steps are scaled by a known factor is found worse with an interval covering
// the factor, and with two seeds a side the same shift is inconclusive; on the size axis a rerun is
// identical and ridge in place of the minimum-norm solver lowers the peak (better) and removes the
// interpolation threshold (changed); different studies, grids and unfinished runs are refused with exit 64.
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

    /// Copies a results folder with every trial's event steps (and step budget) multiplied by `factor`.
    func shiftedCopy(_ from: URL, to: URL, factor: Double) throws {
        try FileManager.default.copyItem(at: from, to: to)
        for id in try FileManager.default.contentsOfDirectory(atPath: to.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let url = to.appendingPathComponent("trials/\(id)/summary.json")
            var s = try XCTUnwrap(json(url))
            var events = try XCTUnwrap(s["events"] as? [String: [String: Any]])
            for (name, var e) in events {
                if let step = e["step"] as? Int { e["step"] = Int((Double(step) * factor).rounded()) }
                if let at = e["censored_at"] as? Int { e["censored_at"] = Int((Double(at) * factor).rounded()) }
                events[name] = e
            }
            s["events"] = events
            s["steps_run"] = Int((Double(try XCTUnwrap(s["steps_run"] as? Int)) * factor).rounded())
            try JSONSerialization.data(withJSONObject: s, options: [.sortedKeys]).write(to: url)
        }
    }

    /// Event steps doubled in every trial: worse, with the speed-up's interval covering 1/2; with two
    /// seeds a side the same doubling cannot be told from chance (log-rank) nor bounded within the
    /// margin, so it is inconclusive rather than same.
    func testAKnownShiftIsFoundWithItsFactorAndTwoSeedsAreInconclusive() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.study.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try Self.study.replacingOccurrences(of: "seeds: 6", with: "seeds: 2").write(to: dir.appendingPathComponent("two.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try descent(["run", "s.yaml", "--out", "A", "--no-report"], in: dir).status, 0)
        XCTAssertEqual(try descent(["run", "two.yaml", "--out", "T", "--no-report"], in: dir).status, 0)
        try shiftedCopy(dir.appendingPathComponent("A"), to: dir.appendingPathComponent("A2"), factor: 2)
        try shiftedCopy(dir.appendingPathComponent("T"), to: dir.appendingPathComponent("T2"), factor: 2)

        let six = try descent(["compare", "A", "A2"], in: dir)
        XCTAssertEqual(six.status, 1, six.stdout + six.stderr)
        let c = try XCTUnwrap(json(dir.appendingPathComponent("A2/comparison/comparison.json")))
        let events = try XCTUnwrap(c["events"] as? [[String: Any]])
        XCTAssertFalse(events.isEmpty)
        for e in events where (e["new"] as? [String: Any])?["median"] is Double {
            XCTAssertEqual(e["verdict"] as? String, "worse", "\(e)")
            let speed = try XCTUnwrap(e["speed_up"] as? [String: Any])
            XCTAssertEqual(try XCTUnwrap(speed["estimate"] as? Double), 0.5, accuracy: 0.01)
            XCTAssertLessThanOrEqual(try XCTUnwrap(speed["lower"] as? Double), 0.5)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(speed["upper"] as? Double), 0.5)
        }

        // A probes.json on one side only: that trial is no longer byte-identical.
        try FileManager.default.copyItem(at: dir.appendingPathComponent("T"), to: dir.appendingPathComponent("TP"))
        let tp = dir.appendingPathComponent("TP/trials")
        let first = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: tp.path).first { !$0.hasPrefix(".") })
        try #"{"method": "m", "snapshots": {}}"#.write(to: tp.appendingPathComponent("\(first)/probes.json"), atomically: true, encoding: .utf8)
        let probes = try descent(["compare", "T", "TP"], in: dir)
        XCTAssertTrue(probes.stdout.contains("1 of 2 trials byte-identical"), probes.stdout)

        let two = try descent(["compare", "T", "T2"], in: dir)
        XCTAssertEqual(two.status, 0, two.stdout + two.stderr)
        let t = try XCTUnwrap(json(dir.appendingPathComponent("T2/comparison/comparison.json")))
        let reached = try XCTUnwrap(t["events"] as? [[String: Any]]).filter { ($0["new"] as? [String: Any])?["median"] is Double }
        XCTAssertFalse(reached.isEmpty)
        for e in reached { XCTAssertEqual(e["verdict"] as? String, "inconclusive", "\(e)") }
    }

    /// The size axis: a rerun is identical; ridge (λ 0.01) instead of the minimum-norm solver lowers the
    /// peak (better, with an interval below 0) and no size interpolates any more (threshold changed).
    func testSizeAxisRerunIsIdenticalAndRidgeLowersThePeak() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let study = """
        name: cmp-size
        axis: size
        task: { kind: digits, n_train: 200, standardize: true }
        model: { family: random_features, feature_map: relu, features: 100 }
        solver: { method: min_norm, precision: float64 }
        seeds: 3
        sweep: { model.features: [20, 60, 120, 180, 200, 220, 300, 600, 2000] }
        """
        try study.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try study.replacingOccurrences(of: "method: min_norm", with: "method: ridge, lambda: 0.01").write(to: dir.appendingPathComponent("r.yaml"), atomically: true, encoding: .utf8)
        for (file, out) in [("s.yaml", "A"), ("s.yaml", "B"), ("r.yaml", "R")] {
            let r = try descent(["run", file, "--out", out, "--no-report"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let same = try descent(["compare", "A", "B"], in: dir)
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        XCTAssertTrue(same.stdout.contains("27 of 27 trials byte-identical (the runs are identical)"), same.stdout)

        let ridge = try descent(["compare", "A", "R"], in: dir)
        XCTAssertEqual(ridge.status, 1, ridge.stdout + ridge.stderr)
        let c = try XCTUnwrap(json(dir.appendingPathComponent("R/comparison/comparison.json")))
        XCTAssertEqual(c["axis"] as? String, "size")
        let items = Dictionary(uniqueKeysWithValues: try XCTUnwrap(c["sizes"] as? [[String: Any]]).map { ($0["measure"] as! String, $0) })
        let peak = try XCTUnwrap(items["peak_height"])
        XCTAssertEqual(peak["verdict"] as? String, "better", "\(peak)")
        XCTAssertLessThan(try XCTUnwrap(peak["upper"] as? Double), 0)
        XCTAssertEqual(try XCTUnwrap(peak["difference"] as? Double), try XCTUnwrap(peak["new"] as? Double) - XCTUnwrap(peak["base"] as? Double), accuracy: 1e-12)
        XCTAssertEqual(items["interpolation_threshold"]?["verdict"] as? String, "changed")
        XCTAssertNil(items["interpolation_threshold"]?["new"] as? Double)
        XCTAssertEqual(try XCTUnwrap(c["curves"] as? [[String: Any]]).first?["metric"] as? String, "test_error")
        XCTAssertTrue(ridge.stdout.contains("BETTER peak_height"), ridge.stdout)
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

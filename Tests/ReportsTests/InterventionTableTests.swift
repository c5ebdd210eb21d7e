// The interventions table on a hand-made results folder with known answers: Kaplan-Meier medians, the
// speed-up over the matched arm (a ratio, or a bound when one arm has no median), its bootstrap interval,
// the log-rank test against the matched arm and Holm's adjustment over the table; and the report's section.
import Analysis
import struct Analysis.EventTime
import Foundation
import Reports
import Studies
import XCTest

final class InterventionTableTests: XCTestCase {
    static let yaml = """
    name: arms
    task: { modulus: 11 }
    model: { width: 32 }
    training: { max_steps: 1000 }
    seeds: 4
    baseline: a
    arms:
      a: { optimizer.weight_decay: 1.0, published: "the baseline" }
      b: { optimizer.weight_decay: 0.5 }
      c: { optimizer.weight_decay: 0 }
      e: { optimizer.weight_decay: 2.0, vs: c }
    """
    /// Generalization steps per arm and seed; nil: censored at the budget (1000). Where S(t) is exactly 1/2
    /// on a step the median is the midpoint to the next event time (R's survfit convention).
    static let steps: [String: [Int?]] = [
        "a": [400, 500, 600, 700],      // S(400) = 3/4, S(500) = 1/2 exactly: median (500 + 600) / 2 = 550
        "b": [100, 120, 140, nil],      // S(100) = 3/4, S(120) = 1/2 exactly: median 130
        "c": [nil, nil, nil, nil],      // no median
        "e": [200, 200, 300, 300],      // S(200) = 1/2 exactly: median 250
    ]

    static func folder() throws -> (StudyResults, URL) {
        try Fixture.folder("arms", yaml) { t in
            guard case .string(let arm)? = t.config["arm"], let step = steps[arm]![t.seedIndex] else {
                return FakeTrial(stepsRun: 1000, events: ["memorization": (50, 40)], curve: Fixture.steps(upTo: 1000).map { ($0, 0.1) })
            }
            return FakeTrial(stepsRun: step + 100, events: ["memorization": (50, 40), "generalization": (step, step - 10)],
                             curve: Fixture.logistic(mid: Double(step) * 0.9, upTo: step + 100))
        }
    }

    static func times(_ arm: String) -> [EventTime] { steps[arm]!.map { $0.map { .event(Double($0)) } ?? .censored(1000) } }

    func testMediansSpeedUpsAndTests() throws {
        let (results, dir) = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let table = try XCTUnwrap(InterventionTable(results))
        XCTAssertEqual(table.baseline, "a")
        XCTAssertEqual(table.event, "generalization")
        XCTAssertEqual(table.groups.count, 1)
        let rows = Dictionary(uniqueKeysWithValues: table.groups[0].rows.map { ($0.arm, $0) })
        XCTAssertEqual(table.groups[0].rows.map(\.arm), ["a", "b", "c", "e"])
        XCTAssertEqual(rows["a"]!.median.estimate, 550)
        XCTAssertEqual(rows["b"]!.median.estimate, 130)
        XCTAssertNil(rows["c"]!.median.estimate)
        XCTAssertEqual(rows["e"]!.median.estimate, 250)
        XCTAssertEqual(rows["b"]!.reached, 3); XCTAssertEqual(rows["b"]!.trials, 4)
        XCTAssertEqual(rows["c"]!.censoredAt, 1000)
        XCTAssertNil(rows["a"]!.vs); XCTAssertEqual(rows["b"]!.vs, "a"); XCTAssertEqual(rows["e"]!.vs, "c")
        XCTAssertEqual(rows["a"]!.published, "the baseline")

        // b against a: a ratio of medians with a bootstrap interval around it.
        let sb = try XCTUnwrap(rows["b"]!.speedUp)
        XCTAssertEqual(sb.estimate!, 550.0 / 130.0, accuracy: 1e-12)
        XCTAssertTrue(sb.intervalComputed)
        XCTAssertLessThanOrEqual(sb.lower!, sb.estimate!)
        XCTAssertGreaterThanOrEqual(sb.upper ?? .infinity, sb.estimate!)
        // c has no median: the speed-up is at most a's median over c's budget. e against c: at least
        // c's budget over e's median.
        let sc = try XCTUnwrap(rows["c"]!.speedUp)
        XCTAssertNil(sc.estimate); XCTAssertEqual(sc.boundKind, "at_most"); XCTAssertEqual(sc.bound!, 0.55, accuracy: 1e-12)
        let se = try XCTUnwrap(rows["e"]!.speedUp)
        XCTAssertNil(se.estimate); XCTAssertEqual(se.boundKind, "at_least"); XCTAssertEqual(se.bound!, 4, accuracy: 1e-12)
        XCTAssertNil(rows["a"]!.speedUp)

        // The log-rank tests are those of the arm against its matched arm, Holm-adjusted over the three.
        let p = ["b": logRank(Self.times("b"), Self.times("a")).pValue, "c": logRank(Self.times("c"), Self.times("a")).pValue,
                 "e": logRank(Self.times("e"), Self.times("c")).pValue]
        for arm in ["b", "c", "e"] { XCTAssertEqual(rows[arm]!.logRank!.pValue!, p[arm]!!, accuracy: 1e-12, arm) }
        let adjusted = holm([p["b"]!, p["c"]!, p["e"]!])
        XCTAssertEqual(table.comparisons, 3)
        for (arm, q) in zip(["b", "c", "e"], adjusted) { XCTAssertEqual(rows[arm]!.holmP!, q!, accuracy: 1e-12, arm) }
        XCTAssertGreaterThanOrEqual(rows["e"]!.holmP!, rows["e"]!.logRank!.pValue!)
        XCTAssertEqual(rows["a"]!.finalWeightNorm!, 10, accuracy: 1e-12)   // the fixture's curves hold 10
        XCTAssertEqual(rows["c"]!.finalValAccuracy!, 0.1, accuracy: 1e-12)  // censored trials' curves end at 0.1

        // The bootstrap is seeded by the study, point and arms: the same folder gives the same interval.
        let again = try XCTUnwrap(InterventionTable(results)).groups[0].rows[1].speedUp!
        XCTAssertEqual(again.lower, sb.lower); XCTAssertEqual(again.upper, sb.upper)
    }

    func testNoTableWithoutArms() throws {
        let (results, dir) = try Fixture.folder("noarms", Fixture.kmStudy) { _ in FakeTrial(stepsRun: 1000, events: [:], curve: Fixture.steps(upTo: 1000).map { ($0, 0.1) }) }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        XCTAssertNil(InterventionTable(results))
    }

    func testTheReportHasTheSection() throws {
        let (results, dir) = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let out = try ReportWriter.write(results)
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Interventions"), md)
        XCTAssertTrue(md.contains("| b | a | 3/4 | 130 ["), md)
        XCTAssertTrue(md.contains("×4.23"), md)
        XCTAssertTrue(md.contains("≤ ×0.55"), md)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.directory.appendingPathComponent("figures/interventions-km-1.svg").path))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.directory.appendingPathComponent("summary.json"))) as? [String: Any])
        let interventions = try XCTUnwrap(summary["interventions"] as? [String: Any])
        XCTAssertEqual(interventions["baseline"] as? String, "a")
        let groups = try XCTUnwrap(interventions["groups"] as? [[String: Any]])
        let rows = try XCTUnwrap(groups.first?["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 4)
        XCTAssertNotNil(rows[1]["speed_up"] as? [String: Any], "\(rows[1].keys)")
        XCTAssertEqual(rows[1]["holm_p"] as? Double, (try XCTUnwrap(InterventionTable(results))).groups[0].rows[1].holmP)
    }
}

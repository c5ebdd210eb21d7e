// The progress-measure ranking of a steps report: nine trials with probes (weight decay 1, 2, 4 × three
// seeds) where some generalize; the report ranks the measures at memorization by Harrell's C, and the C of
// the weight norm matches a count made here from the trials' own files (summary.json events, probes.json
// snapshot step, curve.csv weight norm), independently of Analysis.
import Foundation
import XCTest

final class ProgressMeasureTests: XCTestCase {
    func testTheReportRanksTheMeasuresByHarrellsC() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        name: pm
        task: { operation: x+y, modulus: 23, train_fraction: 0.7 }
        model: { width: 64, embedding: 16 }
        optimizer: { lr: 3e-3, weight_decay: 1.0 }
        training: { max_steps: 6000, probes: true, patience: 20, eval: { points: 60 } }
        seeds: 3
        sweep: { optimizer.weight_decay: [1, 2, 4] }
        """.write(to: dir.appendingPathComponent("pm.yaml"), atomically: true, encoding: .utf8)
        let r = try descent(["run", "pm.yaml", "--jobs", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("results/pm")
        let md = try String(contentsOf: out.appendingPathComponent("report/report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Which measure predicts generalization"), md)
        for f in ["loss-1.svg", "weight-norm-1.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report/figures/\(f)").path), f)
        }
        let summary = try XCTUnwrap(json(out.appendingPathComponent("report/summary.json")))
        let ranking = try XCTUnwrap(summary["progress_measures"] as? [String: Any])
        let measures = try XCTUnwrap(ranking["measures"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(measures.count, 4)
        let strengths = measures.compactMap { $0["strength"] as? Double }
        XCTAssertEqual(strengths, strengths.sorted(by: >), "ranked by |C − 1/2|")

        // The weight norm at memorization against the generalization step, counted here.
        var rows: [(time: Double, event: Bool, w: Double)] = []
        for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let t = out.appendingPathComponent("trials/\(id)")
            let s = try XCTUnwrap(json(t.appendingPathComponent("summary.json")))
            let probes = try XCTUnwrap(json(t.appendingPathComponent("probes.json")))
            guard let mem = ((probes["snapshots"] as? [String: Any])?["memorization"] as? [String: Any])?["step"] as? Int else { continue }
            let lines = try String(contentsOf: t.appendingPathComponent("curve.csv"), encoding: .utf8).split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let (si, wi) = (header.firstIndex(of: "step")!, header.firstIndex(of: "weight_norm")!)
            let row = try XCTUnwrap(lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }.first { Int($0[si]) == mem })
            let gen = ((s["events"] as? [String: Any])?["generalization"] as? [String: Any])?["step"] as? Int
            rows.append((Double(gen ?? (s["steps_run"] as! Int)), gen != nil, Double(row[wi])!))
        }
        XCTAssertTrue(rows.contains { $0.event } && rows.contains { !$0.event }, "some trials must generalize and some not for the test to mean anything")
        var concordant = 0.0, comparable = 0.0
        for a in rows where a.event {
            for b in rows where b.time > a.time || (b.time == a.time && !b.event) {
                comparable += 1
                concordant += a.w > b.w ? 1 : a.w == b.w ? 0.5 : 0
            }
        }
        // Landmark 2 × memorization: the trials still at risk there, counted here from the same files.
        let landmarks = try XCTUnwrap(ranking["landmarks"] as? [[String: Any]])
        let two = try XCTUnwrap(landmarks.first { $0["multiple"] as? Int == 2 })
        var atRisk = 0
        for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let t = out.appendingPathComponent("trials/\(id)")
            let events = try XCTUnwrap(json(t.appendingPathComponent("summary.json"))?["events"] as? [String: Any])
            guard let mem = (events["memorization"] as? [String: Any])?["step"] as? Int else { continue }
            let steps = try String(contentsOf: t.appendingPathComponent("curve.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
                .compactMap { Int($0.split(separator: ",")[0]) }
            guard let landmark = steps.first(where: { $0 >= 2 * mem }) else { continue }
            if let gen = (events["generalization"] as? [String: Any])?["step"] as? Int, gen <= landmark { continue }
            atRisk += 1
        }
        XCTAssertEqual(two["at_risk"] as? Int, atRisk)

        let weight = try XCTUnwrap(measures.first { $0["measure"] as? String == "weight_norm" })
        let c = try XCTUnwrap((weight["concordance"] as? [String: Any])?["c"] as? Double)
        XCTAssertEqual(c, concordant / comparable, accuracy: 1e-12)
    }
}

// The progress-measure ranking of a steps report: nine trials with probes (weight decay 0.3, 1, 2 × three
// seeds) where some generalize; the report ranks the measures at memorization by Harrell's C, and the C of
// the weight norm matches a count made here from the trials' own files (summary.json events, probes.json
// snapshot step, curve.csv weight norm), independently of Analysis. Nanda et al.'s frequency losses are
// recorded and ranked, and the excluded loss's lead time is recomputed from the files.
import Analysis
import Foundation
import XCTest

final class ProgressMeasureTests: XCTestCase {
    func testTheReportRanksTheMeasuresByHarrellsC() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        name: pm
        task: { operation: x+y, modulus: 23, train_fraction: 0.8 }
        model: { width: 64, embedding: 16 }
        optimizer: { lr: 3e-3, weight_decay: 1.0 }
        training: { max_steps: 6000, probes: true, patience: 20, eval: { points: 60 } }
        probes: { frequency_losses: true }
        seeds: 3
        sweep: { optimizer.weight_decay: [0.3, 1, 2] }
        """.write(to: dir.appendingPathComponent("pm.yaml"), atomically: true, encoding: .utf8)
        let r = try descent(["run", "pm.yaml", "--jobs", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("results/pm")
        let md = try String(contentsOf: out.appendingPathComponent("report/report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Which measure predicts generalization"), md)
        for f in ["loss-1.svg", "weight-norm-1.svg", "measure-excluded-loss-1.svg", "measure-restricted-loss-1.svg", "measure-fourier-top5-share-1.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report/figures/\(f)").path), f)
        }
        let summary = try XCTUnwrap(json(out.appendingPathComponent("report/summary.json")))
        let ranking = try XCTUnwrap(summary["progress_measures"] as? [String: Any])
        let measures = try XCTUnwrap(ranking["measures"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(measures.count, 4)
        let strengths = measures.compactMap { $0["strength"] as? Double }
        XCTAssertEqual(strengths, strengths.sorted(by: >), "ranked by |C − 1/2|")

        // The weight norm at memorization against the generalization step, counted here.
        var rows: [(time: Double, event: Bool, w: Double, decay: Double)] = []
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
            let decay = try XCTUnwrap((json(t.appendingPathComponent("config.json"))?["optimizer"] as? [String: Any])?["weight_decay"] as? Double)
            rows.append((Double(gen ?? (s["steps_run"] as! Int)), gen != nil, Double(row[wi])!, decay))
        }
        XCTAssertTrue(rows.contains { $0.event } && rows.contains { !$0.event }, "some trials must generalize and some not for the test to mean anything")
        var concordant = 0.0, comparable = 0.0, withinConcordant = 0.0, withinComparable = 0.0
        for a in rows where a.event {
            for b in rows where b.time > a.time || (b.time == a.time && !b.event) {
                comparable += 1
                concordant += a.w > b.w ? 1 : a.w == b.w ? 0.5 : 0
                if a.decay == b.decay { withinComparable += 1; withinConcordant += a.w > b.w ? 1 : a.w == b.w ? 0.5 : 0 }
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
        // Within configurations: only the pairs of seeds with the same weight decay.
        let within = try XCTUnwrap(weight["within_configuration"] as? [String: Any])
        XCTAssertEqual(within["comparable"] as? Int, Int(withinComparable))
        XCTAssertEqual(try XCTUnwrap(within["c"] as? Double), withinConcordant / withinComparable, accuracy: 1e-12)

        // The frequency losses are ranked at memorization like the other measures, read from curve.csv.
        XCTAssertNotNil(measures.first { $0["measure"] as? String == "excluded_loss" })
        // Lead times: one per trial that generalized (with enough evaluations after memorization), for each curve measure.
        let leads = try XCTUnwrap(ranking["leads"] as? [[String: Any]])
        let generalized = rows.filter(\.event).count
        let excluded = try XCTUnwrap(leads.first { $0["measure"] as? String == "excluded_loss" })
        XCTAssertLessThanOrEqual(excluded["trials"] as? Int ?? 0, generalized)
        XCTAssertGreaterThanOrEqual(excluded["trials"] as? Int ?? 0, 3)
        // The excluded loss's median lead, from the trials' files: each change point the hinge fit's knot over
        // the evaluations from memorization on.
        var lead: [Double] = []
        for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let t = out.appendingPathComponent("trials/\(id)")
            let events = try XCTUnwrap(json(t.appendingPathComponent("summary.json"))?["events"] as? [String: Any])
            guard let mem = (events["memorization"] as? [String: Any])?["step"] as? Int,
                  (events["generalization"] as? [String: Any])?["step"] is Int else { continue }
            let lines = try String(contentsOf: t.appendingPathComponent("curve.csv"), encoding: .utf8).split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Double($0)! } }.filter { $0[0] >= Double(mem) }
            let (vi, ei) = (header.firstIndex(of: "val_accuracy")!, header.firstIndex(of: "excluded_loss")!)
            let x = rows.map { log10($0[0]) }
            let v = try XCTUnwrap(hingeChangePoint(x: x, y: rows.map { $0[vi] })), e = try XCTUnwrap(hingeChangePoint(x: x, y: rows.map { $0[ei] }))
            lead.append(rows[v.index][0] - rows[e.index][0])
        }
        lead.sort()
        let median = lead.count % 2 == 1 ? lead[lead.count / 2] : (lead[lead.count / 2 - 1] + lead[lead.count / 2]) / 2
        XCTAssertEqual(excluded["trials"] as? Int, lead.count)
        XCTAssertEqual(excluded["median_lead"] as? Double ?? .nan, median, accuracy: 1e-9)
        let medians = leads.compactMap { $0["median_lead"] as? Double }
        XCTAssertEqual(medians, medians.sorted(by: >), "longest lead first")
        XCTAssertTrue(md.contains("Lead times"), md)
        // Grokking's validation loss rises after memorization and falls at generalization: the loss figure says so.
        XCTAssertTrue(md.contains("The validation loss rises and falls again"), md)
    }
}

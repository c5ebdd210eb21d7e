// A linear size study solved by ridge: the report draws the asymptotic ridge risk (Hastie et al. 2019,
// Theorem 5) beside the measured curve, and the measured means are near it (a limit, so within a
// finite-n margin).
import Analysis
import Foundation
import Reports
import Studies
import XCTest

final class RidgeTheoryReportTests: XCTestCase {
    func testRidgeStudyReportDrawsTheAsymptoticRidgeRisk() throws {
        let text = """
        name: ridge-theory
        axis: size
        task: { kind: gaussian_linear, n_train: 100, dimension: 0, signal: 1.0, noise_variance: 0.25 }
        model: { family: linear, features: 100 }
        solver: { method: ridge, lambda: 0.1 }
        seeds: 30
        sweep: { model.features: [25, 50, 100, 200] }

        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-ridge-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let study = try StudyParser.parse(text, file: "ridge-theory.yaml")
        let store = ResultsStore(root: dir)
        try store.prepare(study, sourceText: text, force: true)
        XCTAssertEqual(StudyRunner(study: study, store: store, jobs: 2).run().failed.count, 0)
        let r = StudyResults(study: study, store: store)
        let c = try XCTUnwrap(SizeData.configurations(r).first)
        for p in c.sizes {
            let th = LinearRegressionTheory.ridgeAsymptoticRisk(gamma: Double(p) / 100, lambda: 0.1, betaNormSquared: 1, noiseVariance: 0.25).risk
            let se = c.sd(p) / Double(c.at(p).count).squareRoot()
            XCTAssertLessThan(abs(c.mean(p) - th), 3 * se + 0.05 * th, "p = \(p): measured \(c.mean(p)) ± \(se), asymptotic \(th)")
            print("ridge p = \(p), n = 100, λ = 0.1: measured \(c.mean(p)) ± \(se), asymptotic \(th)")
        }
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"))
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("asymptotic ridge risk"), md)
        let svg = try String(contentsOf: out.directory.appendingPathComponent("figures/size-1.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("asymptotic ridge risk"))
        XCTAssertFalse(svg.contains("exact min-norm risk"), "no empty min-norm curve in the legend of a ridge fit")
        let summary = try String(contentsOf: out.directory.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertTrue(summary.contains("\"ridge_theory\""))
    }
}

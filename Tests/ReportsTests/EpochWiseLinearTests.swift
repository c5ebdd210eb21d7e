// Epoch-wise double descent of linear regression trained by gradient descent on fast and slow features
// (studies/epochwise-double-descent-linear.yaml, ci profile), end to end: the runner records the measured
// and the exact expected risk, the seed-mean curve falls, rises and falls well above the seed spread, and
// the report marks it with the theory beside it.
import Analysis
import Foundation
import Reports
import Studies
import XCTest

final class EpochWiseLinearTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testLinearGradientDescentFallsRisesAndFallsAndTheReportMarksIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-epochwise-linear-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let study = try StudyParser.load(path: Self.root.appendingPathComponent("studies/epochwise-double-descent-linear.yaml").path, profile: "ci")
        let store = ResultsStore(root: dir)
        try store.prepare(study, sourceText: "", force: true)
        XCTAssertEqual(StudyRunner(study: study, store: store, jobs: 2).run().failed.count, 0)
        let r = StudyResults(study: study, store: store)

        // Per seed: the measured excess risk and the exact expected one, on the same steps.
        var measured: [[Double]] = [], expected: [[Double]] = [], steps: [Double] = []
        for t in r.trials {
            let c = try XCTUnwrap(store.curve(t.id))
            measured.append(try XCTUnwrap(c.column("val_loss")))
            expected.append(try XCTUnwrap(c.column("expected_risk")))
            steps = try XCTUnwrap(c.column("step"))
        }
        let k = Double(measured.count)
        XCTAssertGreaterThanOrEqual(k, 4)
        let mean = steps.indices.map { i in measured.map { $0[i] }.reduce(0, +) / k }
        let theory = steps.indices.map { i in expected.map { $0[i] }.reduce(0, +) / k }
        func se(_ i: Int) -> Double {
            let v = measured.map { $0[i] }, m = v.reduce(0, +) / k
            return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (k - 1) / k).squareRoot()
        }
        // The measured seed mean follows the exact curve: within 4 standard errors of the seed mean (the
        // seeds differ in their noise, and the formula is the expectation over the noise for each design).
        for i in steps.indices where steps[i] > 0 {
            XCTAssertLessThanOrEqual(abs(mean[i] - theory[i]), 4 * se(i) + 1e-9, "step \(Int(steps[i])): measured \(mean[i]), exact \(theory[i])")
        }

        // The shape, in the measured mean, in the exact mean and in every seed.
        let shape = try XCTUnwrap(mostProminentFallRiseFall(mean))
        XCTAssertGreaterThanOrEqual(shape.prominence, 0.1)
        // The seed spread, paired: each seed's prominence at the mean curve's three points (the seeds' levels
        // differ with their designs, their falls and rises much less). Every seed shows the shape there, and its
        // mean stands many standard errors above zero.
        let (i, j, l) = (shape.firstMinimum, shape.peak, shape.secondMinimum)
        let perSeed = measured.map { y in min(y[0] - y[i], y[j] - y[i], y[j] - y[l]) }
        let pm = perSeed.reduce(0, +) / k
        let pse = (perSeed.reduce(0) { $0 + ($1 - pm) * ($1 - pm) } / (k - 1) / k).squareRoot()
        XCTAssertGreaterThan(perSeed.min()!, 0.05, "\(perSeed)")
        XCTAssertGreaterThan(pm, 5 * pse, "per-seed prominences \(perSeed): mean \(pm) ± \(pse)")
        print("epoch-wise linear (ci): prominence \(shape.prominence) (steps \(Int(steps[i])), \(Int(steps[j])), \(Int(steps[l]))); per seed \(perSeed), mean \(pm) ± \(pse) (SE)")
        XCTAssertLessThan(steps[shape.firstMinimum], 10)                  // the fast features, within a few steps
        XCTAssertGreaterThan(steps[shape.secondMinimum], 1000)            // the slow ones, thousands of steps later
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(mostProminentFallRiseFall(theory)).prominence, 0.1)
        for (s, curve) in measured.enumerated() {
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(mostProminentFallRiseFall(curve)).prominence, 0.05, "seed \(s)")
        }

        // The gate and the report.
        for x in ExpectationEvaluator.evaluate(r) { XCTAssertTrue(x.passed, "\(x.expectation.text): \(x.detail)") }
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"))
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| **fall-rise-fall** |"), md)
        XCTAssertTrue(md.contains("exact expected (seed mean)"), md)
        let svg = try String(contentsOf: out.directory.appendingPathComponent("figures/epochwise-1.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("exact expected risk"), "the theory curve is drawn")
    }

    /// Issue 16: a steps study without events (a regression) printed an empty header cell in its trials
    /// table, so every later value sat one column left (wall time under "final val acc"), and its epoch-wise
    /// section called the regression's risk "1 − validation accuracy".
    func testARegressionWithoutEventsHasAlignedTrialsTableAndNamesItsRisk() throws {
        let yaml = """
        name: regression-report
        axis: steps
        task: { kind: gaussian_linear, n_train: 50, slow_features: 5, slow_scale: 0.1, slow_signal: 0.5 }
        model: { family: linear, features: 20 }
        solver: { method: gradient_descent }
        optimizer: { name: sgd, lr: 0.1, momentum: 0, weight_decay: 0 }
        training: { batch: full, max_steps: 100, stop_after: never }
        events: {}
        seeds: 2
        expect:
          - { fall_rise_fall: { min_prominence: 0.1 } }
        """
        let (r, dir) = try Fixture.folder("regression-report", yaml) { _ in FakeTrial(stepsRun: 100, events: [:], curve: Fixture.steps(upTo: 100).map { ($0, 0.5) }) }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"), formats: [.md])
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        let lines = md.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex(of: "## Trials"))
        let table = lines[(start + 2)...].prefix { $0.hasPrefix("|") }
        func cells(_ line: String) -> [String] {
            line.trimmingCharacters(in: .whitespaces).dropFirst().dropLast().components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let header = cells(try XCTUnwrap(table.first))
        XCTAssertEqual(header, ["trial", "configuration", "seed", "status", "steps run", "final train acc", "final val acc", "wall s"])
        XCTAssertEqual(table.count, 2 + r.trials.count)
        for line in table.dropFirst() { XCTAssertEqual(cells(line).count, header.count, line) }
        let wall = cells(table.last!)[header.firstIndex(of: "wall s")!]
        XCTAssertEqual(wall, "1.0", "the wall time sits under 'wall s'")
        // The epoch-wise section says what a regression measures.
        let section = try XCTUnwrap(md.range(of: "## Test error over steps (epoch-wise double descent)"))
        let text = md[section.upperBound...]
        XCTAssertFalse(text.contains("1 − validation accuracy"), String(text))
        XCTAssertTrue(text.contains("measured excess risk"), String(text))
    }

    func testGradientDescentSettingsAreChecked() {
        let base = """
        axis: steps
        task: { kind: gaussian_linear, n_train: 50, slow_features: 5, slow_scale: 0.1, slow_signal: 0.5 }
        model: { family: linear, features: 20 }
        solver: { method: gradient_descent }
        training: { batch: full, stop_after: never }

        """
        func error(_ text: String) -> String {
            do { _ = try StudyParser.parse(text, file: "t.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertNoThrow(try StudyParser.parse(base + "optimizer: { name: sgd, lr: 0.1, momentum: 0, weight_decay: 0 }\n", file: "t.yaml"))
        XCTAssertTrue(error(base + "optimizer: { name: adam, lr: 0.1 }\n").contains("optimizer.name 'sgd'"))
        XCTAssertTrue(error(base + "optimizer: { name: sgd, lr: 0.1, weight_decay: 0 }\n").contains("optimizer.momentum is 0.9"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "axis: steps", with: "axis: size") + "optimizer: { name: sgd, momentum: 0, weight_decay: 0 }\n").contains("trains over steps"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "features: 20", with: "features: 4") + "optimizer: { name: sgd, momentum: 0, weight_decay: 0 }\n").contains("task.slow_features 5 exceeds model.features 4"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "slow_features: 5", with: "slow_features: 0") + "optimizer: { name: sgd, momentum: 0, weight_decay: 0 }\n").contains("task.slow_signal 0.5"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "slow_scale: 0.1", with: "slow_scale: 0") + "optimizer: { name: sgd, momentum: 0, weight_decay: 0 }\n").contains("task.slow_scale"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "batch: full", with: "batch: 10") + "optimizer: { name: sgd, momentum: 0, weight_decay: 0 }\n").contains("training.batch must be 'full'"))
        // The closed-form solve has no steps; slow features belong to gradient descent.
        XCTAssertTrue(error("axis: steps\ntask: { kind: gaussian_linear }\nmodel: { family: linear }\n").contains("no curve over steps"))
        XCTAssertTrue(error("axis: size\ntask: { kind: gaussian_linear, slow_features: 3 }\nmodel: { family: linear }\n").contains("task.slow_features does not apply"))
    }
}

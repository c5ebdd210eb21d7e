// Gradient descent on least squares and its exact expected risk (Training/LinearGD.swift): the steps
// against the gradient computed directly from x, and the formula against the mean over many noise draws
// on one fixed design.
import XCTest
import Datasets
import Linalg
import Training

final class LinearGDTests: XCTestCase {
    /// A two-scale design: n = 60, d = 24 (16 fast, 8 slow at 0.1), half the signal in each group, σ² = 1.
    func design(seed: UInt64 = 5) -> (GaussianLinearModel, Matrix<Double>) {
        let model = GaussianLinearModel.twoScale(dimension: 24, slowFeatures: 8, slowScale: 0.1, signal: 1, slowShare: 0.5, noise: 1)
        var rng = RNG(seed: seed)
        return (model, model.sample(60, rng: &rng).x)
    }

    func testTwoScaleModelSplitsTheSignal() {
        let m = GaussianLinearModel.twoScale(dimension: 10, slowFeatures: 4, slowScale: 0.05, signal: 2, slowShare: 0.25, noise: 0.5)
        var fast = 0.0, slow = 0.0
        for j in 0..<10 { let v = m.scales[j] * m.scales[j] * m.beta[j] * m.beta[j]; if j < 6 { fast += v } else { slow += v } }
        XCTAssertEqual(fast, 1.5, accuracy: 1e-12)
        XCTAssertEqual(slow, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.scales, [Double](repeating: 1, count: 6) + [Double](repeating: 0.05, count: 4))
        // The risk of β = 0 is the signal variance.
        XCTAssertEqual(m.excessRisk([Double](repeating: 0, count: 10)), 2, accuracy: 1e-12)
        // Sampled slow features have the stated spread.
        var rng = RNG(seed: 1)
        let x = m.sample(4000, rng: &rng).x
        let varSlow = (0..<4000).reduce(0.0) { $0 + x[$1, 9] * x[$1, 9] } / 4000
        XCTAssertEqual(varSlow, 0.0025, accuracy: 0.0025 * 0.1)
    }

    func testStepsFollowTheGradientComputedFromTheData() {
        let (model, x) = design()
        var rng = RNG(seed: 9)
        let y = (0..<x.rows).map { i in (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * model.beta[$1] } + rng.normal() }
        var gd = LinearGradientDescent(x: x, y: y, learningRate: 0.1)
        var beta = [Double](repeating: 0, count: x.cols)
        for _ in 0..<25 {
            // β ← β − η · (2/n) xᵀ(xβ − y), written out from the rows.
            var g = [Double](repeating: 0, count: x.cols)
            for i in 0..<x.rows {
                let r = (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * beta[$1] } - y[i]
                for j in 0..<x.cols { g[j] += 2 * r * x[i, j] / Double(x.rows) }
            }
            for j in 0..<x.cols { beta[j] -= 0.1 * g[j] }
            gd.step()
        }
        for j in 0..<x.cols { XCTAssertEqual(gd.beta[j], beta[j], accuracy: 1e-10 * max(1, abs(beta[j]))) }
        let mse = (0..<x.rows).reduce(0.0) { s, i in let r = (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * beta[$1] } - y[i]; return s + r * r } / Double(x.rows)
        XCTAssertEqual(gd.trainLoss, mse, accuracy: 1e-10)
    }

    /// The expected risk formula against the mean risk of 400 runs that differ only in the noise, at every
    /// evaluation step, within 4 standard errors; the same check with the step size halved in the formula
    /// fails, so the comparison has the power to see a wrong formula.
    func testExpectedRiskMatchesTheMeanOverNoiseDraws() throws {
        let (model, x) = design()
        let eta = 0.15, draws = 400
        var tc = TrainingConfig()
        tc.maxSteps = 3000; tc.schedule = .log; tc.evalPoints = 40; tc.stopEvent = nil
        let theory = try GradientDescentRisk(x: x, scales: model.scales, beta: model.beta, noiseVariance: 1, learningRate: eta)
        let wrong = try GradientDescentRisk(x: x, scales: model.scales, beta: model.beta, noiseVariance: 1, learningRate: eta / 2)
        XCTAssertLessThan(theory.stability, 2)
        var sums: [Double] = [], squares: [Double] = [], steps: [Int] = []
        var rng = RNG(seed: 77)
        for _ in 0..<draws {
            let y = (0..<x.rows).map { i in (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * model.beta[$1] } + rng.normal() }
            let out = trainLinearGD(LinearGradientDescent(x: x, y: y, learningRate: eta), config: tc, testRisk: { model.excessRisk($0) })
            if sums.isEmpty { sums = [Double](repeating: 0, count: out.records.count); squares = sums; steps = out.records.map(\.step) }
            for (i, r) in out.records.enumerated() { sums[i] += r.valLoss; squares[i] += r.valLoss * r.valLoss }
        }
        var worst = 0.0, worstWrong = 0.0
        for i in 0..<steps.count {
            let mean = sums[i] / Double(draws)
            let se = (max(0, squares[i] / Double(draws) - mean * mean) * Double(draws) / Double(draws - 1) / Double(draws)).squareRoot()
            let exact = theory.expected(step: steps[i])
            if steps[i] == 0 { XCTAssertEqual(mean, exact, accuracy: 1e-9); continue }
            let z = abs(mean - exact) / se
            XCTAssertLessThanOrEqual(z, 4, "step \(steps[i]): mean \(mean) ± \(se), exact \(exact)")
            worst = max(worst, z)
            worstWrong = max(worstWrong, abs(mean - wrong.expected(step: steps[i])) / se)
        }
        XCTAssertGreaterThan(worstWrong, 10, "a formula with half the step size should be far off (largest deviation \(worstWrong) SE; correct: \(worst) SE)")
    }

    func testTooLargeAStepDivergesAndSaysSo() {
        let (model, x) = design()
        var rng = RNG(seed: 3)
        let y = (0..<x.rows).map { i in (0..<x.cols).reduce(0.0) { $0 + x[i, $1] * model.beta[$1] } + rng.normal() }
        var tc = TrainingConfig()
        tc.maxSteps = 5000; tc.evalPoints = 30; tc.stopEvent = nil
        let out = trainLinearGD(LinearGradientDescent(x: x, y: y, learningRate: 2), config: tc, testRisk: { model.excessRisk($0) })
        XCTAssertEqual(out.status, .diverged)
        XCTAssertTrue(out.message?.contains("optimizer.lr") ?? false, out.message ?? "")
    }
}

// The curvature measures against known values: the top eigenvalue of a symmetric matrix and of a
// quadratic loss's Hessian (from finite differences of its gradient); the local learning coefficient of a
// regular model (linear regression, d/2) within its standard error, of a singular one (the product a·b
// fitted to 0, whose coefficient is 1/2, not the regular 1), and a diverging chain flagged.
import Datasets
import Linalg
import Models
import Training
import XCTest

final class CurvatureTests: XCTestCase {
    /// A = Q diag(values) Qᵀ with Q a Householder reflection, so its eigenvalues are `values`.
    func symmetric(_ values: [Double]) -> [[Double]] {
        let n = values.count
        var u = (0..<n).map { Double($0 + 1) }
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / norm }
        let q = (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 2 * u[i] * u[j] } }
        return (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + q[i][$1] * values[$1] * q[j][$1] } } }
    }
    func times(_ a: [[Double]], _ v: [Double]) -> [Double] { a.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }

    func testPowerIterationFindsTheLargestMagnitudeEigenvalue() {
        let a = symmetric([5, 2, -1, 0.5, 0.1])
        let r = powerIteration(dimension: 5, iterations: 200, tolerance: 1e-10, rng: RNG(seed: 1)) { self.times(a, $0) }
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.value, 5, accuracy: 1e-6)
        let negative = symmetric([-4, 1, 0.5])
        XCTAssertEqual(powerIteration(dimension: 3, iterations: 200, tolerance: 1e-10, rng: RNG(seed: 2)) { self.times(negative, $0) }.value, -4, accuracy: 1e-6)
    }

    /// L(θ) = ½ θᵀAθ + bᵀθ: ∇L = Aθ + b, so central differences give Av exactly (up to rounding), and
    /// power iteration on them the Hessian's top eigenvalue.
    func testTheHessianOfAQuadraticLoss() {
        let a = symmetric([3, -0.5, 1.5, 0.25])
        let b = [0.3, -1, 2, 0.7]
        let theta = [1.0, -2, 0.5, 3]
        let gradient: ([Double]) -> [Double] = { x in zip(self.times(a, x), b).map { $0 + $1 } }
        let v = [0.5, 0.5, -0.5, 0.5]
        let hv = hessianVectorProduct(at: theta, direction: v, step: 1e-3, gradient: gradient)
        for (x, y) in zip(hv, times(a, v)) { XCTAssertEqual(x, y, accuracy: 1e-9) }
        let top = powerIteration(dimension: 4, iterations: 300, tolerance: 1e-10, rng: RNG(seed: 3)) {
            hessianVectorProduct(at: theta, direction: $0, step: 1e-3, gradient: gradient)
        }
        XCTAssertEqual(top.value, 3, accuracy: 1e-5)
    }

    /// Linear regression y = xᵀw + N(0, 1) with d = 4, n = 2 000, at the least-squares fit: the mean
    /// negative log-likelihood ½(y − xᵀw)² per example is regular, λ = d/2 = 2.
    func testTheLLCOfARegularModelIsHalfItsDimension() throws {
        var rng = RNG(seed: 11)
        let n = 2000, d = 4
        let x = (0..<n).map { _ in (0..<d).map { _ in rng.normal() } }
        let truth = [1.0, -0.5, 0.25, 2]
        let y = x.map { row in zip(row, truth).reduce(0) { $0 + $1.0 * $1.1 } + rng.normal() }
        // The least-squares fit from the normal equations (Gauss-Jordan on XᵀX | Xᵀy).
        var m = (0..<d).map { i in (0..<d).map { j in x.reduce(0) { $0 + $1[i] * $1[j] } } + [zip(x, y).reduce(0) { $0 + $1.0[i] * $1.1 }] }
        for c in 0..<d {
            let p = m[c][c]
            m[c] = m[c].map { $0 / p }
            for r in 0..<d where r != c { let f = m[r][c]; m[r] = zip(m[r], m[c]).map { $0 - f * $1 } }
        }
        let fit = (0..<d).map { m[$0][d] }
        let loss: ([Double]) -> (Double, [Double]) = { w in
            var value = 0.0, g = [Double](repeating: 0, count: d)
            for (row, yi) in zip(x, y) {
                let r = zip(row, w).reduce(0) { $0 + $1.0 * $1.1 } - yi
                value += 0.5 * r * r
                for j in 0..<d { g[j] += r * row[j] }
            }
            return (value / Double(n), g.map { $0 / Double(n) })
        }
        let llc = try XCTUnwrap(localLearningCoefficient(at: fit, n: n, gamma: 1, epsilon: 1e-4, chains: 8, steps: 4000, burnIn: 800, rng: RNG(seed: 5), loss: loss))
        XCTAssertEqual(llc.diverged, 0)
        let value = try XCTUnwrap(llc.value), se = try XCTUnwrap(llc.standardError)
        XCTAssertEqual(value, Double(d) / 2, accuracy: 3 * se + 0.03, "λ̂ = \(value) ± \(se)")
        XCTAssertLessThan(se, 0.2)
    }

    /// f(x) = a·b·x fitted to y = N(0, 1) at a = b = 0: K(a, b) ∝ (ab)², whose learning coefficient is 1/2,
    /// half the regular value for two parameters. And an ε far too large makes every chain diverge.
    func testTheLLCOfASingularModelIsSmaller() throws {
        var rng = RNG(seed: 13)
        let n = 2000
        let x = (0..<n).map { _ in rng.normal() }
        let y = (0..<n).map { _ in rng.normal() }
        let loss: ([Double]) -> (Double, [Double]) = { w in
            var value = 0.0, ga = 0.0, gb = 0.0
            for (xi, yi) in zip(x, y) {
                let r = w[0] * w[1] * xi - yi
                value += 0.5 * r * r
                ga += r * w[1] * xi; gb += r * w[0] * xi
            }
            return (value / Double(n), [ga / Double(n), gb / Double(n)])
        }
        let llc = try XCTUnwrap(localLearningCoefficient(at: [0, 0], n: n, gamma: 1, epsilon: 1e-4, chains: 8, steps: 4000, burnIn: 800, rng: RNG(seed: 6), loss: loss))
        let value = try XCTUnwrap(llc.value), se = try XCTUnwrap(llc.standardError)
        XCTAssertLessThan(value + 3 * se, 0.85, "λ̂ = \(value) ± \(se): not below the regular value 1")
        XCTAssertGreaterThan(value - 3 * se, 0.2, "λ̂ = \(value) ± \(se)")

        let wild = try XCTUnwrap(localLearningCoefficient(at: [0, 0], n: n, gamma: 1, epsilon: 10, chains: 3, steps: 50, burnIn: 10, rng: RNG(seed: 7), loss: loss))
        XCTAssertEqual(wild.diverged, 3)
        XCTAssertNil(wild.value)
        // Asked to stop, the estimate and the power iteration give up at once.
        var calls = 0
        XCTAssertNil(localLearningCoefficient(at: [0, 0], n: n, rng: RNG(seed: 8), shouldStop: { calls += 1; return calls > 5 }, loss: loss))
        XCTAssertEqual(calls, 6)
        let stopped = powerIteration(dimension: 2, iterations: 50, rng: RNG(seed: 9), shouldStop: { true }) { $0 }
        XCTAssertTrue(stopped.value.isNaN); XCTAssertEqual(stopped.iterations, 0)
    }
}

/// The trainer's curvature measures on a small float64 MLP: the gradient of the whole training set's loss
/// against central differences of the loss, in every coordinate and after chunking the set; the Hessian's
/// top eigenvalue against the largest eigenvalue of the Hessian built column by column from the same
/// gradients (an independent dense computation); the parameters left as they were.
final class TrainerCurvatureTests: XCTestCase {
    func make(capacity: Int? = nil) throws -> Trainer<MLP<Double>> {
        let table = try OperationTable(operation: .add, modulus: 7)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Double>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 7)
        var tc = TrainingConfig(); tc.maxSteps = 60
        let model = MLP<Double>(config: MLPConfig(input: .embedding(dimension: 3), vocabulary: 7, hidden: [6], classes: 7), capacity: capacity ?? tr.count, rng: RNG(seed: 2))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: tc, data: data, rng: RNG(seed: 3))
        if capacity == nil { _ = trainer.run() }    // a workspace smaller than the set cannot take a full-batch step
        return trainer
    }

    func testTheGradientMatchesFiniteDifferencesAndChunksAgree() throws {
        let trainer = try make()
        let before = trainer.model.store.valueArray
        let (value, gradient) = trainer.trainingLossAndGradient()
        XCTAssertEqual(value, trainer.evaluate(trainer.data.train).meanLoss, accuracy: 1e-12)
        XCTAssertEqual(trainer.model.store.valueArray, before)
        let h = 1e-6
        for i in 0..<before.count {
            var plus = before, minus = before
            plus[i] += h; minus[i] -= h
            let fd = (trainer.trainingLossAndGradient(at: plus).value - trainer.trainingLossAndGradient(at: minus).value) / (2 * h)
            XCTAssertEqual(gradient[i], fd, accuracy: 1e-7 + 1e-5 * abs(fd), "coordinate \(i)")
        }
        // The same model and data with a workspace of 5 rows: the set is taken in chunks.
        let chunked = try make(capacity: 5)
        chunked.model.store.load(before)
        let g2 = chunked.trainingLossAndGradient().gradient
        for (a, b) in zip(gradient, g2) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testTheHessianTopEigenvalueMatchesTheDenseHessian() throws {
        let trainer = try make()
        let theta = trainer.model.store.valueArray
        let n = theta.count, h = 1e-5
        var hessian = Matrix<Double>(rows: n, cols: n)
        for j in 0..<n {
            var plus = theta, minus = theta
            plus[j] += h; minus[j] -= h
            let gp = trainer.trainingLossAndGradient(at: plus).gradient, gm = trainer.trainingLossAndGradient(at: minus).gradient
            for i in 0..<n { hessian.data[i * n + j] = (gp[i] - gm[i]) / (2 * h) }
        }
        for i in 0..<n { for j in 0..<i { let m = (hessian.data[i * n + j] + hessian.data[j * n + i]) / 2; hessian.data[i * n + j] = m; hessian.data[j * n + i] = m } }
        let values = try symmetricEigen(hessian).values
        let dense = values.max { abs($0) < abs($1) }!
        let top = trainer.hessianTopEigenvalue(iterations: 2000, relativeStep: 1e-6, tolerance: 1e-9, rng: RNG(seed: 4))
        XCTAssertEqual(top.value, dense, accuracy: 1e-3 * abs(dense), "power iteration \(top.value) after \(top.iterations), dense \(dense)")
        XCTAssertEqual(trainer.model.store.valueArray, theta)
    }
}

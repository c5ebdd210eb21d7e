// Synthetic: data sets with a known truth, for checking the double-descent machinery against theory.
//
// - `GaussianLinearModel`: x ~ N(0, I_d), y = xᵀβ + σ ε with ε ~ N(0, 1) and a known β [d]. Two ways
//   to make the size axis p (see `LinearRegression` in Models and `LinearRegressionTheory` in Analysis):
//     well-specified: a fresh model with d = p for every p (β [p] with ‖β‖ = r), all features seen;
//     misspecified:   one model with d >= max p, the learner sees only the first p features; the
//                     unseen part x_{>p}ᵀβ_{>p} acts as extra noise (Hastie et al. 2019, section 5).
// - `TeacherNetwork`: a random two-layer ReLU network labels Gaussian inputs.
//
// Shapes: n examples, d features; x [n, d], y [n].
import Linalg

/// y = xᵀβ + σ ε with isotropic Gaussian features x ~ N(0, I_d) and ε ~ N(0, 1).
public struct GaussianLinearModel: Sendable, Equatable {
    /// β [d], the true coefficients.
    public let beta: [Double]
    /// σ, the standard deviation of the label noise.
    public let noise: Double

    public init(beta: [Double], noise: Double) {
        precondition(noise >= 0, "GaussianLinearModel: noise \(noise) must be >= 0")
        self.beta = beta
        self.noise = noise
    }

    /// d, the number of features.
    public var dimension: Int { beta.count }
    /// r = ‖β‖.
    public var signal: Double { beta.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// β drawn uniformly on the sphere of radius `signal` in R^d (a normalized Gaussian vector); the
    /// rotation invariance of the isotropic model makes the risk of min-norm and ridge least squares
    /// depend on β only through ‖β‖.
    public static func randomDirection(dimension d: Int, signal r: Double, noise sigma: Double,
                                       rng: inout RNG) -> GaussianLinearModel {
        precondition(d >= 1, "GaussianLinearModel: dimension \(d) must be >= 1")
        var g = (0..<d).map { _ in rng.normal() }
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in 0..<d { g[i] *= r / norm }
        return GaussianLinearModel(beta: g, noise: sigma)
    }

    /// β with equal entries r/√d. Seen through its first p features, ‖β_{≤p}‖² = r² p/d exactly,
    /// which is the misspecified setting's signal split used by `LinearRegressionTheory`.
    public static func evenlySpread(dimension d: Int, signal r: Double, noise sigma: Double) -> GaussianLinearModel {
        precondition(d >= 1, "GaussianLinearModel: dimension \(d) must be >= 1")
        return GaussianLinearModel(beta: [Double](repeating: r / Double(d).squareRoot(), count: d), noise: sigma)
    }

    /// ‖β_{≤p}‖², the signal in the first p features.
    public func signalSeen(firstFeatures p: Int) -> Double { beta.prefix(p).reduce(0) { $0 + $1 * $1 } }
    /// ‖β_{>p}‖², the signal the first p features cannot see.
    public func signalMissed(firstFeatures p: Int) -> Double { beta.dropFirst(p).reduce(0) { $0 + $1 * $1 } }

    /// n examples: x [n, d] with i.i.d. N(0, 1) entries, y = xβ + σ ε (computed in Double, stored as T).
    /// Draws x row by row then ε, from `rng`; use separate `split`s for training and test data.
    public func sample<T: Scalar>(_ n: Int, as _: T.Type = Double.self, rng: inout RNG) -> RegressionData<T> {
        let d = dimension
        var x = Matrix<T>(rows: n, cols: d)
        var y = [T](repeating: 0, count: n)
        for i in 0..<n {
            var dot = 0.0
            for j in 0..<d {
                let v = T(rng.normal())
                x[i, j] = v
                dot += Double(v) * beta[j]
            }
            y[i] = T(dot)
        }
        for i in 0..<n { y[i] = T(Double(y[i]) + noise * rng.normal()) }
        return RegressionData(name: "gaussian-linear", x: x, y: y)
    }
}

/// A random two-layer teacher f(x) = W₂ relu(W₁ x) on inputs x ~ N(0, I_d), with W₁ [h, d] entries
/// N(0, 1/d) and W₂ [K, h] entries N(0, 1/h), so every pre-activation and logit has variance of order 1.
public struct TeacherNetwork: Sendable, Equatable {
    /// W₁ [hidden, inputs]
    public let w1: Matrix<Double>
    /// W₂ [outputs, hidden]
    public let w2: Matrix<Double>

    public init(inputs d: Int, hidden h: Int, outputs k: Int, rng: inout RNG) {
        precondition(d >= 1 && h >= 1 && k >= 1, "TeacherNetwork: sizes must be >= 1 (got \(d), \(h), \(k))")
        let s1 = 1 / Double(d).squareRoot(), s2 = 1 / Double(h).squareRoot()
        w1 = Matrix(rows: h, cols: d, data: (0..<(h * d)).map { _ in s1 * rng.normal() })
        w2 = Matrix(rows: k, cols: h, data: (0..<(k * h)).map { _ in s2 * rng.normal() })
    }

    public var inputs: Int { w1.cols }
    public var hidden: Int { w1.rows }
    public var outputs: Int { w2.rows }

    /// The teacher's outputs [n, K] for x [n, d].
    public func evaluate(_ x: Matrix<Double>) -> Matrix<Double> {
        var hdn = matmul(x, w1, transB: true)                       // [n, h]
        for i in 0..<hdn.data.count where hdn.data[i] < 0 { hdn.data[i] = 0 }
        return matmul(hdn, w2, transB: true)                        // [n, K]
    }

    func gaussianInputs(_ n: Int, rng: inout RNG) -> Matrix<Double> {
        Matrix(rows: n, cols: inputs, data: (0..<(n * inputs)).map { _ in rng.normal() })
    }

    /// n labeled examples: label = argmax of the teacher's K outputs (K = `outputs` >= 2). Classes need
    /// not be balanced; see `ClassificationData.classCounts`.
    public func classification(_ n: Int, rng: inout RNG) -> ClassificationData {
        precondition(outputs >= 2, "TeacherNetwork.classification needs >= 2 outputs")
        let x = gaussianInputs(n, rng: &rng)
        let f = evaluate(x)
        let labels = (0..<n).map { i in (0..<outputs).max { f[i, $0] < f[i, $1] }! }
        return ClassificationData(name: "teacher", x: Matrix(converting: x), labels: labels, classes: outputs)
    }

    /// n examples with y = f(x) + σ ε for a single-output teacher.
    public func regression<T: Scalar>(_ n: Int, noise sigma: Double, as _: T.Type = Double.self,
                                      rng: inout RNG) -> RegressionData<T> {
        precondition(outputs == 1, "TeacherNetwork.regression needs 1 output, this teacher has \(outputs)")
        let x = gaussianInputs(n, rng: &rng)
        let f = evaluate(x)
        let y = (0..<n).map { T(f[$0, 0] + sigma * rng.normal()) }
        return RegressionData(name: "teacher", x: Matrix(converting: x), y: y)
    }
}

// Synthetic: data sets with a known truth, for checking the double-descent machinery against theory.
//
// - `GaussianLinearModel`: x ~ N(0, I_d), y = xᵀβ + σ ε with ε ~ N(0, 1) and a known β [d]. Two ways
//   to make the size axis p (see `LinearRegression` in Models and `LinearRegressionTheory` in Analysis):
//     well-specified: a fresh model with d = p for every p (β [p] with ‖β‖ = r), all features seen;
//     misspecified:   one model with d >= max p, the learner sees only the first p features; the
//                     unseen part x_{>p}ᵀβ_{>p} acts as extra noise (Hastie et al. 2019, section 5).
//   two-scale:      features in two groups of very different standard deviations (fast and slow
//                   under gradient descent), for epoch-wise double descent (Heckel and Yilmaz 2020):
//                   x_j ~ N(0, s_j²) independently, the signal split between the groups.
// - `TeacherNetwork`: a random two-layer ReLU network labels Gaussian inputs.
//
// Shapes: n examples, d features; x [n, d], y [n].
import Linalg

/// y = xᵀβ + σ ε with Gaussian features x ~ N(0, diag(s²)) (isotropic, s = 1, unless scales are given)
/// and ε ~ N(0, 1).
public struct GaussianLinearModel: Sendable, Equatable {
    /// β [d], the true coefficients.
    public let beta: [Double]
    /// σ, the standard deviation of the label noise.
    public let noise: Double
    /// s [d], the standard deviation of each feature (all 1: isotropic).
    public let scales: [Double]

    public init(beta: [Double], noise: Double, scales: [Double]? = nil) {
        precondition(noise >= 0, "GaussianLinearModel: noise \(noise) must be >= 0")
        precondition(scales == nil || scales!.count == beta.count, "GaussianLinearModel: \(scales!.count) scales for \(beta.count) coefficients")
        self.beta = beta
        self.noise = noise
        self.scales = scales ?? [Double](repeating: 1, count: beta.count)
    }

    /// Two groups of features: the first d − k with standard deviation 1 (fast under gradient descent),
    /// the last k with standard deviation `slowScale` (their Hessian eigenvalues are slowScale² times
    /// smaller, so gradient descent learns them that much later). The signal variance Var(xᵀβ) = βᵀ diag(s²) β
    /// is `signal`, a share `slowShare` of it in the slow group, spread evenly over each group's features.
    public static func twoScale(dimension d: Int, slowFeatures k: Int, slowScale: Double, signal: Double, slowShare: Double,
                                noise sigma: Double) -> GaussianLinearModel {
        precondition(d >= 1 && k >= 0 && k <= d && slowScale > 0, "twoScale: d \(d), k \(k), slow scale \(slowScale)")
        precondition(slowShare >= 0 && slowShare <= 1 && (k > 0 || slowShare == 0) && (k < d || slowShare == 1), "twoScale: slow share \(slowShare) with \(k) of \(d) slow features")
        let fast = d - k
        var beta = [Double](repeating: 0, count: d), scales = [Double](repeating: 1, count: d)
        for j in 0..<fast { beta[j] = ((1 - slowShare) * signal / Double(fast)).squareRoot() }
        for j in fast..<d { scales[j] = slowScale; beta[j] = (slowShare * signal / Double(k)).squareRoot() / slowScale }
        return GaussianLinearModel(beta: beta, noise: sigma, scales: scales)
    }

    /// The excess risk of coefficients b [d] on fresh data: E_x[(xᵀb − xᵀβ)²] = Σ_j s_j² (b_j − β_j)².
    public func excessRisk(_ b: [Double]) -> Double {
        precondition(b.count == beta.count, "excessRisk: \(b.count) coefficients for d = \(beta.count)")
        var r = 0.0
        for j in 0..<b.count { let e = b[j] - beta[j]; r += scales[j] * scales[j] * e * e }
        return r
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

    /// n examples: x [n, d] with independent N(0, s_j²) entries, y = xβ + σ ε (computed in Double, stored as T).
    /// Draws x row by row then ε, from `rng`; use separate `split`s for training and test data.
    public func sample<T: Scalar>(_ n: Int, as _: T.Type = Double.self, rng: inout RNG) -> RegressionData<T> {
        let d = dimension
        var x = Matrix<T>(rows: n, cols: d)
        var y = [T](repeating: 0, count: n)
        for i in 0..<n {
            var dot = 0.0
            for j in 0..<d {
                let v = T(scales[j] * rng.normal())
                x[i, j] = v
                dot += Double(v) * beta[j]
            }
            y[i] = T(dot)
        }
        for i in 0..<n { y[i] = T(Double(y[i]) + noise * rng.normal()) }
        return RegressionData(name: "gaussian-linear", x: x, y: y)
    }
}

/// A random two-layer teacher f(x) = W₂ (relu(W₁ x) − μ) on inputs x ~ N(0, I_d), with W₁ [h, d] entries
/// N(0, 1/d) and W₂ [K, h] entries N(0, 1/h), so every pre-activation and logit has variance of order 1.
/// μ_j = ‖w_j‖/√(2π) is the mean of relu(w_jᵀx): centred hidden units give every output mean zero, so
/// arg-max classes are roughly balanced (uncentred, the shared mean W₂μ favours a few classes: with
/// d = 20, h = 100, K = 10 some classes got under 1 % of the examples).
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
        let h = hidden
        let mu = (0..<h).map { j in (0..<inputs).reduce(0.0) { $0 + w1[j, $1] * w1[j, $1] }.squareRoot() / (2 * Double.pi).squareRoot() }
        for i in 0..<hdn.data.count { hdn.data[i] = max(hdn.data[i], 0) - mu[i % h] }
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

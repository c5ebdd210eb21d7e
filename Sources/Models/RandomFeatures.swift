// RandomFeatures: the random-features model family of Belkin, Hsu, Ma and Mandal (2019), fitted in
// closed form. The size axis is N, the number of features; with K classes the model has N·K
// parameters and interpolates n training examples once N >= n (the interpolation threshold).
//
// Shapes: n examples, d inputs, N features, K classes, M directions (M = N for ReLU, ⌈N/2⌉ for
// Fourier). x [n, d]; V [d, M]; Φ [n, N]; W [N, K]; scores [n, K]; Y [n, K] one-hot targets.
//
//   ReLU:    φ_j(x) = max(⟨v_j, x⟩, 0) / √N,             v_j ~ N(0, I_d / d)
//   Fourier: φ_{2i}(x) = cos⟨v_i, x⟩ / √M, φ_{2i+1}(x) = sin⟨v_i, x⟩ / √M,   v_i ~ N(0, σ⁻² I_d)
//            (so ΦΦᵀ → the Gaussian kernel exp(−‖x − x'‖² / 2σ²) as M grows; N odd drops the last sin)
//
// The 1/√N (1/√M) scale makes ΦΦᵀ converge to a kernel matrix, so a ridge penalty means the same
// at every N; it does not change the minimum-norm fit's predictions (a common scale c of Φ gives
// W/c and the same ΦW; the relative rcond cut-off is scale-free too).
//
// Inputs: center them (e.g. `Standardizer` in Datasets, fitted on the training set). With
// non-negative inputs such as raw digits pixels, about 5 % of ReLU directions give a feature that is
// zero on every training example, so rank Φ < N and the interpolation threshold moves right, to
// N ≈ n / 0.95 (measured: peak at N = 210 instead of 200 for n = 200). `SolveRecord.rank` shows it.
//
// Precision: solve in Float64 (the default). The relative cut-off eps * max(n, N) is 1.2e-4 at
// n = N = 1000 in Float32, which drops the smallest singular values exactly where the peak forms:
// on digits with n = 1000 the Float32 solve kept rank 990 at N = 1000 and halved the peak (test
// error 0.41 instead of 0.80), and at N = 20000 its cut-off (2.4e-3) even truncated rank 1000 to 999.
// Float32 is about twice as fast.
//
// Nesting: direction j is drawn from the rng only after directions 0..<j, so with the same rng the
// map with N features is the first N features of any larger map. A sweep over N then changes one
// thing at a time (common random numbers), which makes the curve smoother than fresh draws.
import Linalg

// MARK: - Solvers shared by the closed-form families

/// How a closed-form family is fitted.
public enum LeastSquaresSolver: Sendable, Equatable, Codable {
    /// Minimum-norm least squares through the SVD (LAPACK ?gelsd). `rcond` is the relative cut-off
    /// for small singular values (nil: eps * max(n, N), see `defaultRcond`); it regularizes, so the
    /// cut-off and effective rank are recorded.
    case minimumNorm(rcond: Double? = nil)
    /// Ridge: W = argmin (1/n)‖Y − ΦW‖²_F + λ‖W‖²_F (the normalization of Hastie et al. 2019), solved
    /// in the Gram-matrix form with the smaller of ΦᵀΦ and ΦΦᵀ (passes n·λ to `ridgeLeastSquares`).
    case ridge(lambda: Double)

    public var name: String {
        switch self {
        case .minimumNorm: return "minimum-norm"
        case .ridge: return "ridge"
        }
    }
}

/// The floating-point type a closed-form solve runs in. Data stay Float32; Float64 solves are about
/// twice as slow but resolve singular values down to 1e-16 s_max instead of 1e-7 s_max, which matters
/// at the interpolation threshold where Φ is nearly singular.
public enum SolvePrecision: String, Sendable, Equatable, Codable {
    case float32, float64
}

/// What a closed-form solve did: enough to see how much it regularized.
public struct SolveRecord: Sendable, Equatable, Codable {
    /// "minimum-norm" or "ridge".
    public var solver: String
    public var precision: SolvePrecision
    /// Minimum norm: the relative cut-off rcond (singular values <= rcond * s_max were dropped).
    public var rcond: Double?
    /// Minimum norm: the absolute cut-off rcond * s_max.
    public var cutoff: Double?
    /// Minimum norm: the effective rank of the design matrix (singular values kept).
    public var rank: Int?
    /// Minimum norm: the largest and the smallest kept singular value.
    public var largestSingularValue: Double?
    public var smallestKeptSingularValue: Double?
    /// Ridge: λ in the normalized objective (1/n)‖Y − ΦW‖² + λ‖W‖².
    public var lambda: Double?
    /// Wall time of the solve alone, in seconds.
    public var seconds: Double
}

extension LeastSquaresSolver {
    /// Solves for W [N, K] given the design Φ [n, N] and targets Y [n, K]; returns W and the record.
    public func solve<T: LapackScalar>(_ phi: Matrix<T>, _ y: Matrix<T>) throws -> (weights: Matrix<T>, record: SolveRecord) {
        let clock = ContinuousClock(), start = clock.now
        let precision: SolvePrecision = T.self == Float.self ? .float32 : .float64
        switch self {
        case .minimumNorm(let rcond):
            let sol = try minimumNormLeastSquares(phi, y, rcond: rcond)
            let record = SolveRecord(
                solver: name, precision: precision, rcond: sol.rcond, cutoff: sol.cutoff, rank: sol.rank,
                largestSingularValue: sol.singularValues.first.map { Double($0) },
                smallestKeptSingularValue: sol.rank > 0 ? Double(sol.singularValues[sol.rank - 1]) : nil,
                lambda: nil, seconds: SolveRecord.seconds(since: start, clock))
            return (sol.coefficients, record)
        case .ridge(let lambda):
            precondition(lambda >= 0, "LeastSquaresSolver.ridge: lambda \(lambda) must be >= 0")
            let sol = try ridgeLeastSquares(phi, y, lambda: lambda * Double(phi.rows))
            let record = SolveRecord(
                solver: name, precision: precision, rcond: nil, cutoff: nil, rank: nil, largestSingularValue: nil,
                smallestKeptSingularValue: nil, lambda: lambda, seconds: SolveRecord.seconds(since: start, clock))
            return (sol.coefficients, record)
        }
    }
}

extension SolveRecord {
    static func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

// MARK: - Classification metrics

/// Errors of K-class scores against labels.
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// Fraction of examples whose arg-max class differs from the label.
    public var zeroOneError: Double
    /// Mean over examples of Σ_k (score_k − onehot_k)², the loss the closed-form fit minimizes (times n).
    public var squaredError: Double

    public init(zeroOneError: Double, squaredError: Double) {
        self.zeroOneError = zeroOneError
        self.squaredError = squaredError
    }

    /// 0-1 and squared error of scores [n, K] against labels [n] (ties in the arg-max go to the lower class).
    public init<T: Scalar>(scores: Matrix<T>, labels: [Int]) {
        precondition(scores.rows == labels.count, "ClassificationMetrics: \(scores.rows) rows, \(labels.count) labels")
        let n = scores.rows, k = scores.cols
        guard n > 0 else { self.init(zeroOneError: 0, squaredError: 0); return }
        var wrong = 0, sq = 0.0
        for i in 0..<n {
            var best = 0
            for c in 0..<k {
                let s = Double(scores[i, c])
                if s > Double(scores[i, best]) { best = c }
                let t = c == labels[i] ? 1.0 : 0.0
                sq += (s - t) * (s - t)
            }
            if best != labels[i] { wrong += 1 }
        }
        self.init(zeroOneError: Double(wrong) / Double(n), squaredError: sq / Double(n))
    }

    /// The arg-max class of every row of scores [n, K] (ties go to the lower class).
    public static func predictions<T: Scalar>(_ scores: Matrix<T>) -> [Int] {
        (0..<scores.rows).map { i in
            var best = 0
            for c in 1..<max(scores.cols, 1) where scores[i, c] > scores[i, best] { best = c }
            return best
        }
    }
}

// MARK: - The feature map

/// Which random features.
public enum RandomFeatureKind: Sendable, Equatable, Codable {
    /// max(⟨v, x⟩, 0) with v ~ N(0, I_d / d).
    case relu
    /// cos⟨v, x⟩ and sin⟨v, x⟩ with v ~ N(0, σ⁻² I_d); σ = `bandwidth` is the Gaussian kernel's width
    /// (a sensible start: the median distance between training inputs, about √(2d) for standardized data).
    case fourier(bandwidth: Double)

    public var name: String {
        switch self {
        case .relu: return "relu"
        case .fourier: return "fourier"
        }
    }
}

/// A fixed random feature map x [n, d] -> Φ [n, N].
public struct RandomFeatureMap<T: LapackScalar>: Sendable {
    public let kind: RandomFeatureKind
    /// N, the number of features.
    public let count: Int
    /// V [d, M]: column j is direction v_j (M = N for ReLU, ⌈N/2⌉ for Fourier).
    public let directions: Matrix<T>

    /// d, the input dimension.
    public var inputs: Int { directions.rows }

    /// Draws the directions from `rng` (see "Nesting" at the top of the file).
    public init(kind: RandomFeatureKind, inputs d: Int, count n: Int, rng: inout RNG) {
        precondition(d >= 1 && n >= 1, "RandomFeatureMap: need d >= 1 and N >= 1 (got d = \(d), N = \(n))")
        let m: Int, std: Double
        switch kind {
        case .relu:
            m = n; std = 1 / Double(d).squareRoot()
        case .fourier(let sigma):
            precondition(sigma > 0 && sigma.isFinite, "RandomFeatureMap: Fourier bandwidth \(sigma) must be positive")
            m = (n + 1) / 2; std = 1 / sigma
        }
        var v = Matrix<T>(rows: d, cols: m)                          // [d, M], drawn column by column
        for j in 0..<m { for i in 0..<d { v[i, j] = T(std * rng.normal()) } }
        self.kind = kind
        self.count = n
        self.directions = v
    }

    /// Φ [n, N] for x [n, d].
    public func features(_ x: Matrix<T>) -> Matrix<T> {
        precondition(x.cols == inputs, "RandomFeatureMap: inputs have \(x.cols) features, the map expects \(inputs)")
        let z = matmul(x, directions)                                // [n, M] = ⟨v_j, x_i⟩
        let n = x.rows, m = directions.cols
        switch kind {
        case .relu:
            var phi = z
            let s = T(1 / Double(count).squareRoot())
            phi.data.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = p[i] > 0 ? p[i] * s : 0 }
            }
            return phi
        case .fourier:
            var phi = Matrix<T>(rows: n, cols: count)
            let s = 1 / Double(m).squareRoot()
            for i in 0..<n {
                for j in 0..<m {
                    let a = Double(z[i, j])
                    phi[i, 2 * j] = T(s * _cos(a))
                    if 2 * j + 1 < count { phi[i, 2 * j + 1] = T(s * _sin(a)) }
                }
            }
            return phi
        }
    }
}

// MARK: - The fitted model

/// Random features with a linear read-out W [N, K] fitted to one-hot targets in closed form.
public struct RandomFeaturesModel<T: LapackScalar>: Sendable {
    public let map: RandomFeatureMap<T>
    /// W [N, K]
    public let weights: Matrix<T>
    /// How the read-out was solved (cut-off, rank or λ, time).
    public let solve: SolveRecord

    /// K, the number of classes.
    public var classes: Int { weights.cols }
    /// N·K, the trainable parameters (the directions are fixed, not trained).
    public var parameterCount: Int { weights.rows * weights.cols }

    /// Y [n, K]: row i is the indicator of labels[i] (the regression targets of the fit).
    public static func oneHot(_ labels: [Int], classes k: Int) -> Matrix<T> {
        var y = Matrix<T>(rows: labels.count, cols: k)
        for (i, l) in labels.enumerated() {
            precondition((0..<k).contains(l), "oneHot: label \(l) outside 0..<\(k)")
            y[i, l] = 1
        }
        return y
    }

    /// Fits W to one-hot targets of `labels` [n] on x [n, d] with `solver`.
    public static func fit(map: RandomFeatureMap<T>, x: Matrix<T>, labels: [Int], classes: Int,
                           solver: LeastSquaresSolver = .minimumNorm()) throws -> RandomFeaturesModel {
        let phi = map.features(x)                                    // [n, N]
        let y = oneHot(labels, classes: classes)                     // [n, K]
        let (w, record) = try solver.solve(phi, y)
        return RandomFeaturesModel(map: map, weights: w, solve: record)
    }

    /// scores [n, K] = Φ(x) W. Large inputs are processed in blocks of rows to bound memory.
    public func scores(_ x: Matrix<T>) -> Matrix<T> {
        let block = max(1, (1 << 24) / max(map.count, 1))           // ~16M feature values per block
        if x.rows <= block { return matmul(map.features(x), weights) }
        var out = Matrix<T>(rows: x.rows, cols: classes)
        var start = 0
        while start < x.rows {
            let end = min(x.rows, start + block)
            let xb = Matrix(rows: end - start, cols: x.cols, data: Array(x.data[(start * x.cols)..<(end * x.cols)]))
            let sb = matmul(map.features(xb), weights)
            out.data.replaceSubrange((start * classes)..<(end * classes), with: sb.data)
            start = end
        }
        return out
    }

    /// The predicted class of every row of x.
    public func predict(_ x: Matrix<T>) -> [Int] { ClassificationMetrics.predictions(scores(x)) }

    /// 0-1 and squared error on x against `labels`.
    public func evaluate(_ x: Matrix<T>, labels: [Int]) -> ClassificationMetrics {
        ClassificationMetrics(scores: scores(x), labels: labels)
    }
}

// MARK: - One trial of a sweep

/// One point on the random-features size axis: what a study trial records.
public struct RandomFeaturesResult: Sendable, Equatable, Codable {
    public var kind: RandomFeatureKind
    /// N
    public var features: Int
    /// K
    public var classes: Int
    /// N·K
    public var parameterCount: Int
    /// n, the training examples.
    public var trainExamples: Int
    /// Against the labels the model was fitted to (noisy ones under label noise).
    public var train: ClassificationMetrics
    /// Training error against the clean labels (equal to `train` without label noise).
    public var trainClean: ClassificationMetrics
    /// Test error against the clean test labels: the curve of the study.
    public var test: ClassificationMetrics
    /// Test error against test labels corrupted by the training labels' noise process (nil when none were given).
    public var testNoisy: ClassificationMetrics? = nil
    /// train.zeroOneError == 0: the model interpolates its (possibly noisy) training labels.
    public var interpolates: Bool { train.zeroOneError == 0 }
    public var solve: SolveRecord
    /// Wall time of features + solve + evaluation, in seconds.
    public var seconds: Double
}

/// Fits one random-features model and evaluates it: the unit of a model-wise double-descent sweep.
///
/// - Parameters:
///   - kind, features: the family member (N features).
///   - trainX: x [n, d] (Float32 data; converted to `precision` for the solve).
///   - trainLabels: [n] the labels to fit (noisy under label noise).
///   - trainCleanLabels: [n] the clean labels (nil: same as `trainLabels`).
///   - testX, testLabels: the test set with clean labels.
///   - testNoisyLabels: [n_test] the test labels under the same label noise, for the noisy-label error (optional).
///   - rng: the feature directions are drawn from it; pass the same `RNG(seed:).split("features")` for
///     every N of one seed to get nested maps.
public func runRandomFeatures(kind: RandomFeatureKind, features: Int, classes: Int,
                              trainX: Matrix<Float>, trainLabels: [Int], trainCleanLabels: [Int]? = nil,
                              testX: Matrix<Float>, testLabels: [Int], testNoisyLabels: [Int]? = nil,
                              solver: LeastSquaresSolver = .minimumNorm(), precision: SolvePrecision = .float64,
                              rng: RNG) throws -> RandomFeaturesResult {
    switch precision {
    case .float32:
        return try runRandomFeatures(Float.self, kind: kind, features: features, classes: classes, trainX: trainX,
                                     trainLabels: trainLabels, trainCleanLabels: trainCleanLabels, testX: testX,
                                     testLabels: testLabels, testNoisyLabels: testNoisyLabels, solver: solver, rng: rng)
    case .float64:
        return try runRandomFeatures(Double.self, kind: kind, features: features, classes: classes, trainX: trainX,
                                     trainLabels: trainLabels, trainCleanLabels: trainCleanLabels, testX: testX,
                                     testLabels: testLabels, testNoisyLabels: testNoisyLabels, solver: solver, rng: rng)
    }
}

private func runRandomFeatures<T: LapackScalar>(_: T.Type, kind: RandomFeatureKind, features: Int, classes: Int,
                                        trainX: Matrix<Float>, trainLabels: [Int], trainCleanLabels: [Int]?,
                                        testX: Matrix<Float>, testLabels: [Int], testNoisyLabels: [Int]?,
                                        solver: LeastSquaresSolver, rng: RNG) throws -> RandomFeaturesResult {
    let clock = ContinuousClock(), start = clock.now
    var r = rng
    let map = RandomFeatureMap<T>(kind: kind, inputs: trainX.cols, count: features, rng: &r)
    let xTrain = Matrix<T>(converting: trainX), xTest = Matrix<T>(converting: testX)
    let model = try RandomFeaturesModel.fit(map: map, x: xTrain, labels: trainLabels, classes: classes, solver: solver)
    let trainScores = model.scores(xTrain)
    let train = ClassificationMetrics(scores: trainScores, labels: trainLabels)
    let trainClean = trainCleanLabels.map { ClassificationMetrics(scores: trainScores, labels: $0) } ?? train
    let testScores = model.scores(xTest)
    let test = ClassificationMetrics(scores: testScores, labels: testLabels)
    let testNoisy = testNoisyLabels.map { ClassificationMetrics(scores: testScores, labels: $0) }
    return RandomFeaturesResult(kind: kind, features: features, classes: classes, parameterCount: model.parameterCount,
                                trainExamples: trainX.rows, train: train, trainClean: trainClean, test: test, testNoisy: testNoisy,
                                solve: model.solve, seconds: SolveRecord.seconds(since: start, clock))
}

import Foundation
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }

// LinearRegression: least squares on p features, the family whose double descent has an exact theory
// (Hastie, Montanari, Rosset and Tibshirani 2019; `LinearRegressionTheory` in Analysis).
//
// Shapes: n examples, d available features, p used features (p <= d); x [n, d], y [n], β̂ [p].
//
// The size axis is p, and the fit always uses the FIRST p columns of x. Which theory applies depends
// on how the data were made (see `GaussianLinearModel` in Datasets):
//   - well-specified: data drawn afresh for every p from a p-dimensional model (d = p, ‖β‖ = r), so
//     the fit sees every feature; the exact risk is the formula of the issue:
//       p <= n − 2:  σ² p / (n − p − 1)
//       p >= n + 2:  r² (1 − n/p) + σ² n / (p − n − 1)
//   - misspecified: one d-dimensional model (d >= every p) and the fit sees its first p features;
//     the unseen part acts as noise of variance ‖β_{>p}‖², and the risk adds ‖β_{>p}‖² (see
//     `LinearRegressionTheory.minimumNormRisk(n:p:signalSeen:signalMissed:noise:)`).
// In both cases "risk" is the excess risk E[(xᵀβ̂ − E[y | x])²] for a fresh x, which for x ~ N(0, I_d)
// equals ‖β̂ − β_{≤p}‖² + ‖β_{>p}‖² given the training data (`excessRisk`).
import Linalg

/// A linear predictor ŷ = x_{≤p}ᵀ β̂ fitted by minimum-norm least squares or ridge.
public struct LinearRegressionModel<T: LapackScalar>: Sendable {
    /// β̂ [p]
    public let coefficients: [T]
    public let solve: SolveRecord

    /// p, the features used (the first p columns of x).
    public var features: Int { coefficients.count }
    /// p, the parameters (no intercept: the isotropic model has mean zero).
    public var parameterCount: Int { coefficients.count }

    /// Fits β̂ on the first `p` columns of x [n, d] (all of them when p is nil), y [n].
    /// `.minimumNorm` gives the least-squares solution for p < n and the minimum-norm interpolant for
    /// p > n; `.ridge(lambda:)` minimizes (1/n)‖y − Xβ‖² + λ‖β‖² (Hastie et al.'s normalization).
    public static func fit(x: Matrix<T>, y: [T], firstFeatures p: Int? = nil,
                           solver: LeastSquaresSolver = .minimumNorm()) throws -> LinearRegressionModel {
        precondition(y.count == x.rows, "LinearRegressionModel: \(y.count) targets for \(x.rows) rows")
        let p = p ?? x.cols
        precondition(p >= 0 && p <= x.cols, "LinearRegressionModel: first \(p) features of \(x.cols)")
        let design = firstColumns(x, p)                              // [n, p]
        let (b, record) = try solver.solve(design, Matrix(rows: y.count, cols: 1, data: y))
        return LinearRegressionModel(coefficients: b.data, solve: record)
    }

    /// ŷ [n] = x_{≤p} β̂ for x [n, d >= p].
    public func predict(_ x: Matrix<T>) -> [T] {
        precondition(x.cols >= features, "LinearRegressionModel: x has \(x.cols) features, the model uses \(features)")
        return (0..<x.rows).map { i in
            var s = 0.0
            for j in 0..<features { s += Double(x[i, j]) * Double(coefficients[j]) }
            return T(s)
        }
    }

    /// (1/n) Σ (ŷ_i − y_i)² on x [n, d], y [n].
    public func meanSquaredError(x: Matrix<T>, y: [T]) -> Double {
        let yhat = predict(x)
        guard !y.isEmpty else { return 0 }
        return zip(yhat, y).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) } / Double(y.count)
    }

    /// The exact excess risk given the training data, for isotropic features x ~ N(0, I_d):
    /// E_x[(x_{≤p}ᵀβ̂ − xᵀβ)²] = ‖β̂ − β_{≤p}‖² + ‖β_{>p}‖², with β [d] the true coefficients.
    /// (The test MSE on fresh data estimates this plus σ².)
    public func excessRisk(trueCoefficients beta: [Double]) -> Double {
        precondition(beta.count >= features, "excessRisk: β has \(beta.count) entries, the model uses \(features)")
        var r = 0.0
        for j in 0..<beta.count {
            let e = (j < features ? Double(coefficients[j]) : 0) - beta[j]
            r += e * e
        }
        return r
    }

    static func firstColumns(_ x: Matrix<T>, _ p: Int) -> Matrix<T> {
        if p == x.cols { return x }
        var out = Matrix<T>(rows: x.rows, cols: p)
        for i in 0..<x.rows { for j in 0..<p { out[i, j] = x[i, j] } }
        return out
    }
}

/// One point on the linear-regression size axis: what a study trial records.
public struct LinearRegressionResult: Sendable, Equatable, Codable {
    /// p
    public var features: Int
    /// n
    public var trainExamples: Int
    /// p (no intercept).
    public var parameterCount: Int
    /// (1/n)‖y − Xβ̂‖² on the training data (0 when p >= n and the fit interpolates).
    public var trainMSE: Double
    /// Mean squared error on the test data (estimates excess risk + σ²); nil without test data.
    public var testMSE: Double?
    /// ‖β̂ − β_{≤p}‖² + ‖β_{>p}‖² when β is known (isotropic features): the quantity the exact
    /// finite-sample formula gives the expectation of.
    public var excessRisk: Double?
    /// trainMSE <= √eps · mean(y²) (eps of the solve precision): the fit interpolates its training data.
    public var interpolates: Bool
    public var solve: SolveRecord
}

/// Fits one linear regression on the first `p` features and evaluates it.
/// - Parameters:
///   - trueCoefficients: β [d] when known (synthetic data), for the exact excess risk.
///   - testX, testY: optional test data for the test MSE.
public func runLinearRegression<T: LapackScalar>(features p: Int, trainX: Matrix<T>, trainY: [T],
                                                 testX: Matrix<T>? = nil, testY: [T]? = nil,
                                                 trueCoefficients: [Double]? = nil,
                                                 solver: LeastSquaresSolver = .minimumNorm()) throws -> LinearRegressionResult {
    let model = try LinearRegressionModel.fit(x: trainX, y: trainY, firstFeatures: p, solver: solver)
    let trainMSE = model.meanSquaredError(x: trainX, y: trainY)
    let scale = trainY.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(trainY.count, 1))
    let tolerance = Double(T.ulpOfOne).squareRoot() * max(scale, 1e-300)
    var testMSE: Double?
    if let tx = testX, let ty = testY { testMSE = model.meanSquaredError(x: tx, y: ty) }
    return LinearRegressionResult(features: p, trainExamples: trainX.rows, parameterCount: model.parameterCount,
                                  trainMSE: trainMSE, testMSE: testMSE,
                                  excessRisk: trueCoefficients.map { model.excessRisk(trueCoefficients: $0) },
                                  interpolates: trainMSE <= tolerance, solve: model.solve)
}

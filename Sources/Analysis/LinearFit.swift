// Linear least squares: straight line (gsl_fit_linear, gsl_fit_wlinear) and multiple linear regression
// (gsl_multifit_linear, an SVD with column balancing, accurate on ill-conditioned designs like Longley).
//
// Unweighted: covariance = s² (XᵀX)⁻¹ with s² = RSS/(n - p), parameter intervals estimate ± t_{n-p}·SE
// ("covariance-t"). Weighted: GSL returns (XᵀWX)⁻¹, correct when w_i = 1/σ_i² are known
// (`weightsAreInverseVariances`; intervals "covariance-normal"); otherwise the weights are relative, the
// covariance is scaled by χ²/(n - p) with χ² = Σ w r², and intervals use t_{n-p}.
// R² = 1 - Σ w r² / Σ w (y - ȳ_w)², with ȳ_w the weighted mean (w = 1 unweighted).

import CGSL
import Foundation

/// One fitted parameter: estimate, standard error and interval (method and level inside).
public struct FittedParameter: Codable, Sendable {
    public var name: String
    public var estimate: Double
    public var standardError: Double?
    public var interval: Interval?

    public init(name: String, estimate: Double, standardError: Double?, interval: Interval?) {
        self.name = name
        self.estimate = estimate
        self.standardError = standardError
        self.interval = interval
    }
}

/// A linear least-squares fit (straight line or multiple regression).
public struct LinearFit: Codable, Sendable {
    /// Intercept first (when fitted), then one per predictor.
    public var parameters: [FittedParameter]
    /// Covariance of the estimates, in the order of `parameters`.
    public var covariance: [[Double]]
    public var n: Int
    public var degreesOfFreedom: Int
    /// Σ w r² (w = 1 unweighted).
    public var residualSumOfSquares: Double
    /// sqrt(RSS/(n - p)); nil when n = p.
    public var residualSD: Double?
    public var rSquared: Double?
    public var weighted: Bool
    /// How the covariance was obtained, in words.
    public var covarianceNote: String

    /// The parameter called `name`.
    public subscript(_ name: String) -> FittedParameter? { parameters.first { $0.name == name } }
}

func parametersFrom(names: [String], estimates: [Double], covariance: [[Double]], dof: Int, level: Double,
                    normal: Bool) -> [FittedParameter] {
    let q = normal ? zQuantile(level: level) : (dof > 0 ? tQuantile(level: level, dof: Double(dof)) : .nan)
    let method = normal ? "covariance-normal" : "covariance-t"
    return names.indices.map { i in
        let se = covariance[i][i] >= 0 ? finite(covariance[i][i].squareRoot()) : nil
        let interval = se.flatMap { Interval.make(estimates[i] - q * $0, estimates[i] + q * $0, level: level, method: method) }
        return FittedParameter(name: names[i], estimate: estimates[i], standardError: se, interval: interval)
    }
}

func rSquared(_ y: [Double], weights w: [Double]?, rss: Double) -> Double? {
    let ws = w ?? [Double](repeating: 1, count: y.count)
    let sw = ws.reduce(0, +)
    guard sw > 0 else { return nil }
    var ybar = 0.0
    for i in y.indices { ybar += ws[i] * y[i] }
    ybar /= sw
    var tss = 0.0
    for i in y.indices { tss += ws[i] * (y[i] - ybar) * (y[i] - ybar) }
    return tss > 0 ? finite(1 - rss / tss) : nil
}

/// Straight line y = c0 + c1 x by least squares (gsl_fit_linear, or gsl_fit_wlinear with `weights`).
/// Parameters are named "intercept" and "slope". Needs n ≥ 3 (so that s² is defined) and x not constant.
public func fitLinear(x: [Double], y: [Double], weights: [Double]? = nil, weightsAreInverseVariances: Bool = false,
                      level: Double = 0.95) throws -> LinearFit {
    Analysis.setUp()
    try validateLevel(level)
    let n = x.count
    guard y.count == n, weights == nil || weights!.count == n else {
        throw AnalysisError.invalidInput("fitLinear: x has \(n) values, y \(y.count), weights \(weights?.count ?? n); HINT: pass one y (and weight) per x")
    }
    guard n >= 3 else { throw AnalysisError.invalidInput("fitLinear: \(n) points; a line with an error estimate needs at least 3") }
    guard (x + y + (weights ?? [])).allSatisfy({ $0.isFinite }) else {
        throw AnalysisError.invalidInput("fitLinear: non-finite input; HINT: drop NaN/inf points (e.g. censored runs) first")
    }
    guard Set(x).count >= 2 else { throw AnalysisError.invalidInput("fitLinear: all x equal (\(x[0])); a slope is undefined") }
    var c0 = 0.0, c1 = 0.0, cov00 = 0.0, cov01 = 0.0, cov11 = 0.0, ss = 0.0
    let dof = n - 2
    var note: String
    var normal = false
    if let w = weights {
        guard w.allSatisfy({ $0 >= 0 }), w.contains(where: { $0 > 0 }) else {
            throw AnalysisError.invalidInput("fitLinear: weights must be >= 0 and not all 0")
        }
        try check(gsl_fit_wlinear(x, 1, w, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &ss), "gsl_fit_wlinear")
        if weightsAreInverseVariances {
            note = "weights are 1/sigma^2: covariance (X^T W X)^-1, unscaled; normal intervals"
            normal = true
        } else {
            let scale = ss / Double(dof)
            cov00 *= scale; cov01 *= scale; cov11 *= scale
            note = "relative weights: covariance (X^T W X)^-1 scaled by chi^2/(n-2)"
        }
    } else {
        try check(gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &ss), "gsl_fit_linear")
        note = "covariance s^2 (X^T X)^-1 with s^2 = RSS/(n-2)"
    }
    let cov = [[cov00, cov01], [cov01, cov11]]
    return LinearFit(
        parameters: parametersFrom(names: ["intercept", "slope"], estimates: [c0, c1], covariance: cov, dof: dof,
                                   level: level, normal: normal),
        covariance: cov, n: n, degreesOfFreedom: dof, residualSumOfSquares: ss,
        residualSD: finite((ss / Double(dof)).squareRoot()), rSquared: rSquared(y, weights: weights, rss: ss),
        weighted: weights != nil, covarianceNote: note)
}

/// Multiple linear regression y = c0 + Σ_j c_j x_j (gsl_multifit_linear; gsl_multifit_wlinear with
/// weights). `predictors` has one row per observation, one column per predictor; `names` names the
/// predictors (default "x1", "x2", ...). With `intercept` the first parameter is "intercept".
public func fitMultilinear(predictors: [[Double]], y: [Double], names: [String]? = nil, intercept: Bool = true,
                           weights: [Double]? = nil, weightsAreInverseVariances: Bool = false,
                           level: Double = 0.95) throws -> LinearFit {
    Analysis.setUp()
    try validateLevel(level)
    let n = y.count
    let k = predictors.first?.count ?? 0
    guard predictors.count == n, predictors.allSatisfy({ $0.count == k }), weights == nil || weights!.count == n else {
        throw AnalysisError.invalidInput("fitMultilinear: \(predictors.count) predictor rows for \(n) responses, or ragged rows; HINT: one row of \(k) predictors per response")
    }
    let p = k + (intercept ? 1 : 0)
    guard p >= 1, n > p else {
        throw AnalysisError.invalidInput("fitMultilinear: \(n) observations for \(p) parameters; need n > p")
    }
    guard (y + predictors.flatMap { $0 } + (weights ?? [])).allSatisfy({ $0.isFinite }) else {
        throw AnalysisError.invalidInput("fitMultilinear: non-finite input")
    }
    let X = GMatrix(n, p)
    for i in 0..<n {
        var j = 0
        if intercept { gsl_matrix_set(X.p, i, 0, 1); j = 1 }
        for m in 0..<k { gsl_matrix_set(X.p, i, j + m, predictors[i][m]) }
    }
    let Y = GVector(y)
    let c = GVector(p)
    let cov = GMatrix(p, p)
    var chisq = 0.0
    guard let work = gsl_multifit_linear_alloc(n, p) else { throw AnalysisError.from(status: Int32(GSL_ENOMEM), context: "gsl_multifit_linear_alloc") }
    defer { gsl_multifit_linear_free(work) }
    let dof = n - p
    var note: String
    var normal = false
    var covariance: [[Double]]
    if let w = weights {
        let W = GVector(w)
        try check(gsl_multifit_wlinear(X.p, W.p, Y.p, c.p, cov.p, &chisq, work), "gsl_multifit_wlinear")
        covariance = cov.array
        if weightsAreInverseVariances {
            note = "weights are 1/sigma^2: covariance (X^T W X)^-1, unscaled; normal intervals"
            normal = true
        } else {
            let scale = chisq / Double(dof)
            covariance = covariance.map { $0.map { $0 * scale } }
            note = "relative weights: covariance (X^T W X)^-1 scaled by chi^2/(n-p)"
        }
    } else {
        try check(gsl_multifit_linear(X.p, Y.p, c.p, cov.p, &chisq, work), "gsl_multifit_linear")
        covariance = cov.array
        note = "covariance s^2 (X^T X)^-1 with s^2 = RSS/(n-p) (SVD, gsl_multifit_linear)"
    }
    var allNames = names ?? (1...max(k, 1)).prefix(k).map { "x\($0)" }
    guard allNames.count == k else { throw AnalysisError.invalidInput("fitMultilinear: \(allNames.count) names for \(k) predictors") }
    if intercept { allNames.insert("intercept", at: 0) }
    return LinearFit(
        parameters: parametersFrom(names: allNames, estimates: c.array, covariance: covariance, dof: dof,
                                   level: level, normal: normal),
        covariance: covariance, n: n, degreesOfFreedom: dof, residualSumOfSquares: chisq,
        residualSD: finite((chisq / Double(dof)).squareRoot()), rSquared: rSquared(y, weights: weights, rss: chisq),
        weighted: weights != nil, covarianceNote: note)
}

// Nonlinear least squares with gsl_multifit_nlinear (trust region; Levenberg-Marquardt by default).
//
// Minimizes χ²(θ) = Σ w_i (f(x_i; θ) - y_i)² (w = 1 unweighted). At the solution, with J the (weighted)
// Jacobian:
//   covariance C = (JᵀJ)⁻¹ (gsl_multifit_nlinear_covar), scaled by the reduced χ² = χ²/(n - p) unless the
//     weights are known to be 1/σ_i² (`weightsAreInverseVariances`): this is the usual "σ estimated from
//     the residuals" covariance, the one NIST certifies.
//   SE_j = sqrt(C_jj); interval θ_j ± t_{(1+level)/2, n-p} SE_j ("covariance-t"), or ± z SE_j when the
//     weights are known ("covariance-normal").
//   R² = 1 - χ²/Σ w (y - ȳ_w)².
//   Log-likelihood, Gaussian errors:
//     σ estimated (unweighted or relative weights, σ_i² = σ²/w_i, σ̂² = χ²/n, the MLE):
//       log L = -(n/2)(log(2π σ̂²) + 1) + ½ Σ log w_i,   k = p + 1 (σ counts as a parameter)
//     σ_i known (w_i = 1/σ_i²):  log L = -½ χ² - ½ Σ log(2π/w_i),   k = p
//   AIC = 2k - 2 log L;  AICc = AIC + 2k(k+1)/(n-k-1) (n > k+1);  BIC = k log n - 2 log L.
// The model callbacks are Swift closures; GSL sees non-capturing @convention(c) functions that reach them
// through the params pointer. A model value that is not finite becomes a residual of 1e100, so the trust
// region rejects the step instead of failing.

import CGSL
import Foundation

/// A model y = f(x; θ) with optional analytic gradient ∂f/∂θ (otherwise GSL's finite differences).
public struct NonlinearModel: Sendable {
    public var parameterNames: [String]
    public var function: @Sendable (_ x: Double, _ theta: [Double]) -> Double
    /// ∂f/∂θ_j at (x, θ), one entry per parameter; nil: central finite differences.
    public var gradient: (@Sendable (_ x: Double, _ theta: [Double]) -> [Double])?

    public init(parameterNames: [String], function: @escaping @Sendable (Double, [Double]) -> Double,
                gradient: (@Sendable (Double, [Double]) -> [Double])? = nil) {
        self.parameterNames = parameterNames
        self.function = function
        self.gradient = gradient
    }
}

/// Solver settings. Defaults: Levenberg-Marquardt with Moré scaling, xtol = gtol = 1e-12, ftol = 0,
/// at most 2000 iterations, central differences when no gradient is given.
public struct NonlinearFitOptions: Sendable {
    public enum TrustRegion: String, Sendable, Codable { case levenbergMarquardt, levenbergMarquardtAccelerated, dogleg }
    public enum Scaling: String, Sendable, Codable { case more, levenberg }
    public var trustRegion: TrustRegion = .levenbergMarquardt
    public var scaling: Scaling = .more
    public var maxIterations = 2000
    /// Step test: |δθ_j| ≤ xtol (|θ_j| + xtol).
    public var xtol = 1e-12
    /// Scaled gradient test (GSL's gtol).
    public var gtol = 1e-12
    public var ftol = 0.0
    public var centralDifferences = true
    public var level = 0.95
    public init() {}
}

/// The result of a nonlinear fit (formulas in the file header).
public struct NonlinearFit: Codable, Sendable {
    public var parameters: [FittedParameter]
    /// Covariance of the estimates (see `covarianceNote` for the scaling); empty when undefined.
    public var covariance: [[Double]]
    public var n: Int
    public var degreesOfFreedom: Int
    /// Σ w r² at the solution.
    public var chiSquare: Double
    /// χ²/(n - p); nil when n = p.
    public var reducedChiSquare: Double?
    /// sqrt(reduced χ²).
    public var residualSD: Double?
    public var rSquared: Double?
    public var logLikelihood: Double?
    public var aic: Double?
    public var aicc: Double?
    public var bic: Double?
    /// Number of parameters counted by AIC/BIC (p, plus 1 when σ is estimated).
    public var informationParameters: Int
    public var informationNote: String
    public var covarianceNote: String
    /// True when GSL's driver stopped on its xtol or gtol test (or converged to machine precision).
    public var converged: Bool
    /// GSL's status text for the driver's return code.
    public var status: String
    /// Why the iteration stopped, in words.
    public var stopReason: String
    public var iterations: Int
    public var functionEvaluations: Int
    public var jacobianEvaluations: Int
    /// "analytic" or "finite differences (central|forward)".
    public var jacobian: String
    public var start: [Double]

    public var estimates: [Double] { parameters.map { $0.estimate } }
    public subscript(_ name: String) -> FittedParameter? { parameters.first { $0.name == name } }
}

private final class NLState {
    let x: [Double]
    let y: [Double]
    let model: NonlinearModel
    var theta: [Double]
    init(x: [Double], y: [Double], model: NonlinearModel) {
        self.x = x
        self.y = y
        self.model = model
        theta = [Double](repeating: 0, count: model.parameterNames.count)
    }
    func load(_ v: UnsafePointer<gsl_vector>) {
        for j in 0..<theta.count { theta[j] = gsl_vector_get(v, j) }
    }
}

private let nlF: @convention(c) (UnsafePointer<gsl_vector>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<gsl_vector>?) -> Int32 = { v, params, f in
    let s = Unmanaged<NLState>.fromOpaque(params!).takeUnretainedValue()
    s.load(v!)
    for i in 0..<s.x.count {
        let r = s.model.function(s.x[i], s.theta) - s.y[i]
        gsl_vector_set(f, i, r.isFinite ? r : 1e100)
    }
    return Int32(GSL_SUCCESS)
}

private let nlDF: @convention(c) (UnsafePointer<gsl_vector>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<gsl_matrix>?) -> Int32 = { v, params, J in
    let s = Unmanaged<NLState>.fromOpaque(params!).takeUnretainedValue()
    s.load(v!)
    let g = s.model.gradient!
    for i in 0..<s.x.count {
        let row = g(s.x[i], s.theta)
        for j in 0..<row.count { gsl_matrix_set(J, i, j, row[j].isFinite ? row[j] : 0) }
    }
    return Int32(GSL_SUCCESS)
}

/// Information criteria for a Gaussian least-squares fit (formulas in the file header).
func gaussianInformation(chiSquare: Double, n: Int, p: Int, weights: [Double]?, sigmaKnown: Bool)
    -> (logL: Double?, k: Int, aic: Double?, aicc: Double?, bic: Double?, note: String) {
    let nn = Double(n)
    let sumLogW = (weights ?? []).reduce(0.0) { $0 + Foundation.log($1) }
    var logL: Double
    let k: Int
    let note: String
    if sigmaKnown {
        k = p
        logL = -0.5 * chiSquare - 0.5 * (weights ?? []).reduce(0.0) { $0 + Foundation.log(2 * Double.pi / $1) }
        note = "Gaussian likelihood with known sigma_i^2 = 1/w_i: log L = -chi2/2 - sum log(2 pi/w_i)/2; k = p; AIC = 2k - 2 log L, BIC = k ln n - 2 log L"
    } else {
        k = p + 1
        logL = -0.5 * nn * (Foundation.log(2 * Double.pi * chiSquare / nn) + 1) + 0.5 * sumLogW
        note = "Gaussian likelihood with sigma^2 estimated by chi2/n (MLE): log L = -(n/2)(ln(2 pi chi2/n) + 1) + sum ln(w_i)/2; k = p + 1; AIC = 2k - 2 log L, AICc = AIC + 2k(k+1)/(n-k-1), BIC = k ln n - 2 log L"
    }
    guard logL.isFinite else { return (nil, k, nil, nil, nil, note) }
    let aic = 2 * Double(k) - 2 * logL
    let aicc: Double? = n - k - 1 > 0 ? aic + 2 * Double(k * (k + 1)) / Double(n - k - 1) : nil
    let bic = Double(k) * Foundation.log(nn) - 2 * logL
    return (logL, k, aic, aicc, bic, note)
}

/// Fits `model` to (x, y) by nonlinear least squares from `start` (see the file header for every formula).
///
/// Throws `AnalysisError.invalidInput` for bad shapes or non-finite data, `AnalysisError.gsl` when GSL
/// fails outright; an iteration that stops without converging is returned with `converged == false`.
public func fitNonlinear(x: [Double], y: [Double], weights: [Double]? = nil, weightsAreInverseVariances: Bool = false,
                         model: NonlinearModel, start: [Double], options: NonlinearFitOptions = NonlinearFitOptions())
    throws -> NonlinearFit {
    Analysis.setUp()
    try validateLevel(options.level)
    let n = x.count, p = model.parameterNames.count
    guard y.count == n, weights == nil || weights!.count == n else {
        throw AnalysisError.invalidInput("fitNonlinear: x has \(n) values, y \(y.count), weights \(weights?.count ?? n)")
    }
    guard start.count == p else {
        throw AnalysisError.invalidInput("fitNonlinear: \(start.count) starting values for \(p) parameters \(model.parameterNames)")
    }
    guard n >= p, p > 0 else { throw AnalysisError.invalidInput("fitNonlinear: \(n) points for \(p) parameters; need n >= p") }
    guard (x + y + start + (weights ?? [])).allSatisfy({ $0.isFinite }) else {
        throw AnalysisError.invalidInput("fitNonlinear: non-finite data, weight or starting value; HINT: drop NaN/inf points (e.g. censored runs) first")
    }
    if let w = weights, !w.allSatisfy({ $0 > 0 }) {
        throw AnalysisError.invalidInput("fitNonlinear: weights must be > 0 (drop points with zero weight)")
    }

    let state = NLState(x: x, y: y, model: model)
    var params = gsl_multifit_nlinear_default_parameters()
    switch options.trustRegion {
    case .levenbergMarquardt: params.trs = cgsl_multifit_nlinear_trs_lm()
    case .levenbergMarquardtAccelerated: params.trs = cgsl_multifit_nlinear_trs_lmaccel()
    case .dogleg: params.trs = cgsl_multifit_nlinear_trs_dogleg()
    }
    params.scale = options.scaling == .more ? cgsl_multifit_nlinear_scale_more() : cgsl_multifit_nlinear_scale_levenberg()
    params.fdtype = options.centralDifferences ? GSL_MULTIFIT_NLINEAR_CTRDIFF : GSL_MULTIFIT_NLINEAR_FWDIFF

    guard let work = gsl_multifit_nlinear_alloc(cgsl_multifit_nlinear_trust(), &params, n, p) else {
        throw AnalysisError.from(status: Int32(GSL_ENOMEM), context: "gsl_multifit_nlinear_alloc")
    }
    defer { gsl_multifit_nlinear_free(work) }
    let fdf = UnsafeMutablePointer<gsl_multifit_nlinear_fdf>.allocate(capacity: 1)
    defer { fdf.deallocate() }
    fdf.initialize(to: gsl_multifit_nlinear_fdf())
    fdf.pointee.f = nlF
    fdf.pointee.df = model.gradient == nil ? nil : nlDF
    fdf.pointee.fvv = nil
    fdf.pointee.n = n
    fdf.pointee.p = p
    let unmanaged = Unmanaged.passRetained(state)
    defer { unmanaged.release() }
    fdf.pointee.params = unmanaged.toOpaque()

    let x0 = GVector(start)
    if let w = weights {
        let wv = GVector(w)
        try check(gsl_multifit_nlinear_winit(x0.p, wv.p, fdf, work), "gsl_multifit_nlinear_winit")
    } else {
        try check(gsl_multifit_nlinear_init(x0.p, fdf, work), "gsl_multifit_nlinear_init")
    }
    var info: Int32 = 0
    let status = gsl_multifit_nlinear_driver(options.maxIterations, options.xtol, options.gtol, options.ftol,
                                             nil, nil, &info, work)
    let theta = GVector.array(gsl_multifit_nlinear_position(work))
    let resid = GVector.array(gsl_multifit_nlinear_residual(work))
    let chi2 = resid.reduce(0) { $0 + $1 * $1 }
    let covar = GMatrix(p, p)
    let covStatus = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(work), 0.0, covar.p)
    let dof = n - p
    var cov = covar.array
    let sigmaKnown = weights != nil && weightsAreInverseVariances
    let covarianceNote: String
    if sigmaKnown {
        covarianceNote = "weights are 1/sigma_i^2: covariance (J^T W J)^-1, not scaled"
    } else {
        let scale = dof > 0 ? chi2 / Double(dof) : Double.nan
        cov = cov.map { $0.map { $0 * scale } }
        covarianceNote = "sigma unknown: covariance (J^T W J)^-1 scaled by the reduced chi-square chi2/(n-p)"
    }
    var parameters: [FittedParameter]
    var covNote = covarianceNote
    if covStatus == GSL_SUCCESS, cov.joined().allSatisfy({ $0.isFinite }) {
        parameters = parametersFrom(names: model.parameterNames, estimates: theta, covariance: cov, dof: dof,
                                    level: options.level, normal: sigmaKnown)
    } else {
        // Singular Jacobian or no residual degrees of freedom: no covariance, no standard errors.
        parameters = zip(model.parameterNames, theta).map { FittedParameter(name: $0, estimate: $1, standardError: nil, interval: nil) }
        cov = []
        covNote += "; covariance undefined (singular Jacobian or n = p): no standard errors"
    }
    let info2 = gaussianInformation(chiSquare: chi2, n: n, p: p, weights: weights, sigmaKnown: sigmaKnown)
    let reason: String
    switch info {
    case 1: reason = "small step (xtol)"
    case 2: reason = "small gradient (gtol)"
    case 3: reason = "small change in f (ftol)"
    case Int32(GSL_ETOLX): reason = "step below machine precision"
    case Int32(GSL_ETOLG): reason = "gradient below machine precision"
    case Int32(GSL_ETOLF): reason = "change in f below machine precision"
    case Int32(GSL_ENOPROG): reason = "no step reduced the cost from the start"
    default: reason = status == GSL_EMAXITER ? "iteration limit \(options.maxIterations) reached" : "stopped (info \(info))"
    }
    let statusText = gsl_strerror(status).map { String(cString: $0) } ?? "status \(status)"
    // GSL reports "no progress" when the start already is the minimum (e.g. a linearizable law started
    // at its exact linear least-squares solution). That is convergence when the scaled gradient
    // ‖Jᵀr ∘ max(|θ|, 1)‖∞ is at most 1e-8 · max(χ², 1) there.
    var converged = status == GSL_SUCCESS
    var stopReason = reason
    if status == GSL_ENOPROG, let jac = gsl_multifit_nlinear_jac(work), let res = gsl_multifit_nlinear_residual(work) {
        var worst = 0.0
        for j in 0..<p {
            var g = 0.0
            for i in 0..<n { g += gsl_matrix_get(jac, i, j) * gsl_vector_get(res, i) }
            worst = max(worst, abs(g) * max(abs(theta[j]), 1))
        }
        if worst <= 1e-8 * max(chi2, 1) {
            converged = true
            stopReason = "the start is already a minimum (scaled gradient \(worst))"
        }
    }
    return NonlinearFit(
        parameters: parameters, covariance: cov, n: n, degreesOfFreedom: dof, chiSquare: chi2,
        reducedChiSquare: dof > 0 ? finite(chi2 / Double(dof)) : nil,
        residualSD: dof > 0 ? finite((chi2 / Double(dof)).squareRoot()) : nil,
        rSquared: rSquared(y, weights: weights, rss: chi2),
        logLikelihood: info2.logL, aic: info2.aic, aicc: info2.aicc, bic: info2.bic,
        informationParameters: info2.k, informationNote: info2.note, covarianceNote: covNote,
        converged: converged, status: statusText, stopReason: stopReason,
        iterations: Int(gsl_multifit_nlinear_niter(work)),
        functionEvaluations: Int(fdf.pointee.nevalf), jacobianEvaluations: Int(fdf.pointee.nevaldf),
        jacobian: model.gradient != nil ? "analytic" : "finite differences (\(options.centralDifferences ? "central" : "forward"))",
        start: start)
}

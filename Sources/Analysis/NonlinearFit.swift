// Nonlinear least squares with gsl_multifit_nlinear (trust region; Levenberg-Marquardt by default), with a
// check that the end point is a minimum before the fit is called converged.
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
//
// Vouching for the minimum. GSL's driver stops on small steps or a small scaled gradient, and both tests
// also pass away from the minimum: NIST's BoxBOD from its first start stops at b₂ ≈ 115, where exp(-b₂ x)
// has underflowed, the b₂ column of J is (numerically) zero and χ² is eight times the minimum; Lanczos1
// stops with χ² 10-60 % above it. So the end point of every run is judged from J and r (weighted
// residuals) at that point, J evaluated afresh (analytic, or central differences with steps h and h/2,
// h = ε^(1/3)|θ_j|, combined by Richardson extrapolation: ~1e-10 accurate, against the ~1e-8 of GSL's own):
//   1. the model and J are finite there;
//   2. no column of J is numerically zero: ‖J_j‖ · |θ_j| (the change of the model, to first order, when θ_j
//      doubles; |θ_j| read as 1 when θ_j = 0) must exceed the rounding level ρ₀ = 64 ε ‖ŷ‖ (ŷ = the larger
//      of the weighted data and fitted values);
//   3. J has full rank: with its columns scaled to unit length, its smallest singular value exceeds
//      2⁻⁴⁰ ≈ 9e-13 times the largest (gsl_linalg_SV_decomp_jacobi); otherwise the parameters spanning the
//      near-null space are named and no standard error exists (never a standard error of 0);
//   4. the point is stationary: with U an orthonormal basis of J's columns, c₁ = Uᵀr and c₂ = r - U c₁,
//      the Bates-Watts relative offset ρ = (‖c₁‖/√p) / (‖c₂‖/√(n-p)) satisfies ρ√p ≤ tolerance (default
//      1e-6). ρ√p bounds the Gauss-Newton step from the end point in standard errors: |δ_j| ≤ ρ√p SE_j.
//      A gradient at the rounding level (‖c₁‖ ≤ ρ₀) also passes, for data fitted to near machine precision
//      (NIST's Lanczos1). With n = p there is no relative offset: the point must fit exactly, ‖r‖ ≤
//      max(ρ₀, tolerance ‖ŷ‖).
// The tests are invariant to rescaling parameters and data. They are first-order: a saddle point of χ²
// would pass, but a trust-region descent does not stop at one except by accident.
// Polishing: trust-region steps are accepted only when χ² falls, and near the minimum the fall drops below
// χ²'s rounding error (about 2‖r‖ρ₀) before the gradient reaches its own rounding level, so the solvers stop
// a little short (ρ of 1e-8 to 1e-6 is common). From an end point with ρ ≤ 1e-3 (and full rank), up to
// `polishingSteps` Gauss-Newton steps δ = -J⁺r are taken with the fresh Jacobian, each kept only if χ² does
// not rise beyond that rounding error and ρ falls.
// Fallbacks: when the first method's end point fails the checks, the fit is repeated from the same start
// with each method in `fallbacks` (geodesic acceleration, double dogleg, dogleg, 2D subspace); the first
// passing end point is kept unless a later one has a χ² lower by more than 1e-9 relative. If none passes,
// the fit is returned with `converged == false`, no covariance or standard errors, and `failure` naming why
// (the failure of the run with the smallest χ²); `requireConverged()` throws it.
//
// The model callbacks are Swift closures; GSL sees non-capturing @convention(c) functions that reach them
// through the params pointer. A model value that is not finite becomes a residual of 1e100, so the trust
// region rejects the step instead of failing.

import CGSL
import Foundation

/// A model y = f(x; θ) with optional analytic gradient ∂f/∂θ (otherwise GSL's finite differences).
public struct NonlinearModel: Sendable {
    public var parameterNames: [String]
    public var function: @Sendable (_ x: Double, _ theta: [Double]) -> Double
    /// ∂f/∂θ_j at (x, θ), one entry per parameter; nil: GSL's central finite differences while iterating,
    /// extrapolated central differences for the checks and the covariance (file header).
    public var gradient: (@Sendable (_ x: Double, _ theta: [Double]) -> [Double])?

    public init(parameterNames: [String], function: @escaping @Sendable (Double, [Double]) -> Double,
                gradient: (@Sendable (Double, [Double]) -> [Double])? = nil) {
        self.parameterNames = parameterNames
        self.function = function
        self.gradient = gradient
    }
}

/// Solver settings. Defaults: Levenberg-Marquardt with Moré scaling, xtol = gtol = 1e-12, ftol = 0,
/// at most 2000 iterations, central differences when no gradient is given; when Levenberg-Marquardt's end
/// point is not a minimum it can vouch for, the fallbacks are tried from the same start.
public struct NonlinearFitOptions: Sendable {
    /// GSL's trust-region subproblem methods (gsl_multifit_nlinear_trs_*).
    public enum TrustRegion: String, Sendable, Codable, CaseIterable {
        /// `lm`
        case levenbergMarquardt
        /// `lmaccel`: Levenberg-Marquardt with geodesic acceleration (second directional derivative by
        /// finite differences).
        case levenbergMarquardtAccelerated
        /// `dogleg` (Powell)
        case dogleg
        /// `ddogleg`: double dogleg
        case doubleDogleg
        /// `subspace2D`: two-dimensional subspace
        case subspace2D

        /// The method's name in words.
        public var name: String {
            switch self {
            case .levenbergMarquardt: return "Levenberg-Marquardt"
            case .levenbergMarquardtAccelerated: return "Levenberg-Marquardt with geodesic acceleration"
            case .dogleg: return "dogleg"
            case .doubleDogleg: return "double dogleg"
            case .subspace2D: return "2D subspace"
            }
        }
    }
    public enum Scaling: String, Sendable, Codable { case more, levenberg }
    public var trustRegion: TrustRegion = .levenbergMarquardt
    /// Tried in order, each from the same start, when `trustRegion`'s end point fails the minimum checks
    /// (file header); the first passing end point is kept unless a later one has a clearly smaller χ².
    /// Empty: no retries.
    public var fallbacks: [TrustRegion] = [.levenbergMarquardtAccelerated, .doubleDogleg, .dogleg, .subspace2D]
    public var scaling: Scaling = .more
    /// Per run (each fallback gets as many).
    public var maxIterations = 2000
    /// Step test: |δθ_j| ≤ xtol (|θ_j| + xtol).
    public var xtol = 1e-12
    /// Scaled gradient test (GSL's gtol).
    public var gtol = 1e-12
    public var ftol = 0.0
    public var centralDifferences = true
    /// Stationarity test: the Bates-Watts relative offset times √p (a bound on the Gauss-Newton step from
    /// the end point, in standard errors) must be at most this.
    public var stationarityTolerance = 1e-6
    /// At most this many Gauss-Newton steps from an end point whose relative offset is at most 1e-3, to
    /// bring its gradient to the rounding level (file header); 0: none.
    public var polishingSteps = 10
    public var level = 0.95
    public init() {}
}

/// Why a nonlinear fit does not vouch for its end point as a minimum.
public enum NonlinearFitFailure: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// The solver used its iteration budget and stopped away from a minimum.
    case iterationLimit(iterations: Int)
    /// The model or its Jacobian is not finite at the end point.
    case nonFiniteModel
    /// The named parameters have (numerically) zero or linearly dependent Jacobian columns at the end point:
    /// the data do not determine them there (a plateau, or a redundant parametrization); no standard errors.
    case singularJacobian(parameters: [String])
    /// The gradient of χ² is not zero at the end point: the Bates-Watts relative offset is this large
    /// (nil when it is undefined: n = p with a nonzero residual, or an infinite offset).
    case notStationary(relativeOffset: Double?)
    /// GSL stopped with an error status.
    case solverError(status: Int32, message: String)

    /// The case's name, for tables.
    public var name: String {
        switch self {
        case .iterationLimit: return "iterationLimit"
        case .nonFiniteModel: return "nonFiniteModel"
        case .singularJacobian: return "singularJacobian"
        case .notStationary: return "notStationary"
        case .solverError: return "solverError"
        }
    }

    public var description: String {
        switch self {
        case let .iterationLimit(n):
            return "iteration limit \(n) reached"
        case .nonFiniteModel:
            return "the model or its Jacobian is not finite at the end point"
        case let .singularJacobian(names):
            return "singular Jacobian at the end point: the data do not determine \(names.joined(separator: ", ")) there (zero or dependent columns); no standard errors"
        case let .notStationary(rho?):
            return String(format: "not a stationary point: relative offset %.2g (the gradient of chi2 is not zero)", rho)
        case .notStationary(nil):
            return "not a stationary point (the gradient of chi2 is not zero)"
        case let .solverError(status, message):
            return "GSL error \(status): \(message)"
        }
    }
}

/// One run of the trust-region solver within a fit.
public struct NonlinearFitAttempt: Codable, Sendable {
    public var trustRegion: NonlinearFitOptions.TrustRegion
    /// χ² at the run's end point (nil when not finite).
    public var chiSquare: Double?
    public var iterations: Int
    /// GSL's reason for stopping, in words.
    public var stopReason: String
    /// Bates-Watts relative offset at the end point (nil when undefined).
    public var relativeOffset: Double?
    /// nil: the end point passed the minimum checks.
    public var failure: NonlinearFitFailure?
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
    /// True when the end point passed the minimum checks of the file header (`failure == nil`).
    public var converged: Bool
    /// Why the fit is not vouched for; nil when `converged`.
    public var failure: NonlinearFitFailure?
    /// The method whose end point is returned.
    public var trustRegion: NonlinearFitOptions.TrustRegion
    /// Bates-Watts relative offset at the returned point (nil when undefined, e.g. n = p).
    public var relativeOffset: Double?
    /// Every solver run, in order (the first method, then any fallbacks).
    public var attempts: [NonlinearFitAttempt]
    /// GSL's status text for the returned run's driver return code.
    public var status: String
    /// Why the iteration stopped, in words (for a failed fit: the failure).
    public var stopReason: String
    /// Of the returned run.
    public var iterations: Int
    public var functionEvaluations: Int
    public var jacobianEvaluations: Int
    /// "analytic" or "finite differences (central|forward)".
    public var jacobian: String
    public var start: [Double]

    public var estimates: [Double] { parameters.map { $0.estimate } }
    public subscript(_ name: String) -> FittedParameter? { parameters.first { $0.name == name } }

    /// The fit itself when it converged to a minimum it vouches for; otherwise throws its `failure`.
    public func requireConverged() throws -> NonlinearFit {
        if let failure { throw failure }
        return self
    }
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

// MARK: - Is an end point a minimum?

/// The verdict of the minimum checks (file header) on one end point.
struct MinimumCheck {
    /// nil: a minimum the fit vouches for.
    var failure: NonlinearFitFailure?
    /// Bates-Watts relative offset (nil when undefined).
    var relativeOffset: Double?
    /// The Gauss-Newton step δ = -J⁺r from the point (nil when J is rank-deficient).
    var gaussNewtonStep: [Double]? = nil
    /// ρ₀ = 64 ε ‖ŷ‖, the rounding level of the weighted model values.
    var roundingLevel = 0.0
    /// ‖c₁‖ ≤ ρ₀: the gradient is at the rounding level.
    var atRoundingLevel = false
}

/// Applies checks 2-4 of the file header to the weighted Jacobian `jac` (n rows of p) and weighted
/// residuals `r` at `theta`; `dataNorm` is ‖ŷ‖, the larger of the weighted data and fitted values' norms.
func checkMinimum(jacobian jac: [[Double]], residuals r: [Double], theta: [Double], names: [String],
                  dataNorm: Double, tolerance: Double) -> MinimumCheck {
    let n = r.count, p = theta.count
    let roundingLevel = 64 * Double.ulpOfOne * dataNorm
    guard jac.allSatisfy({ $0.allSatisfy { $0.isFinite } }), r.allSatisfy({ $0.isFinite && abs($0) < 1e100 }) else {
        return MinimumCheck(failure: .nonFiniteModel, roundingLevel: roundingLevel)
    }
    // 2. Numerically zero columns.
    var norms = [Double](repeating: 0, count: p)
    for j in 0..<p {
        var s = 0.0
        for i in 0..<n { s += jac[i][j] * jac[i][j] }
        norms[j] = s.squareRoot()
    }
    let zero = (0..<p).filter { norms[$0] * (theta[$0] == 0 ? 1 : abs(theta[$0])) <= roundingLevel }
    if !zero.isEmpty {
        return MinimumCheck(failure: .singularJacobian(parameters: zero.map { names[$0] }), roundingLevel: roundingLevel)
    }
    // 3. Rank of the column-scaled Jacobian, by one-sided Jacobi SVD: A = U S Vᵀ, A overwritten by U.
    let a = GMatrix(n, p)
    for i in 0..<n { for j in 0..<p { gsl_matrix_set(a.p, i, j, jac[i][j] / norms[j]) } }
    let v = GMatrix(p, p), s = GVector(p)
    guard gsl_linalg_SV_decomp_jacobi(a.p, v.p, s.p) == GSL_SUCCESS else {
        return MinimumCheck(failure: .singularJacobian(parameters: names), roundingLevel: roundingLevel)
    }
    let sv = s.array
    let rcond = sv.min()! / sv.max()!
    if !(rcond > 0x1p-40) {
        // Parameters with a large share in the right singular vectors of the small singular values.
        var share = [Double](repeating: 0, count: p)
        for k in 0..<p where !(sv[k] > 0x1p-40 * sv.max()!) {
            for j in 0..<p { share[j] = max(share[j], abs(gsl_matrix_get(v.p, j, k))) }
        }
        let top = share.max()!
        let named = (0..<p).filter { share[$0] >= 0.25 * top }.map { names[$0] }
        return MinimumCheck(failure: .singularJacobian(parameters: named), roundingLevel: roundingLevel)
    }
    // 4. Stationarity: c1 = Uᵀr, c2 = r - U c1.
    var c1 = [Double](repeating: 0, count: p)
    for k in 0..<p { for i in 0..<n { c1[k] += gsl_matrix_get(a.p, i, k) * r[i] } }
    var c2sq = 0.0
    for i in 0..<n {
        var fitted = 0.0
        for k in 0..<p { fitted += gsl_matrix_get(a.p, i, k) * c1[k] }
        c2sq += (r[i] - fitted) * (r[i] - fitted)
    }
    let c1norm = c1.reduce(0) { $0 + $1 * $1 }.squareRoot(), c2norm = c2sq.squareRoot()
    // δ = -D⁻¹ V S⁻¹ c1, D = the column norms.
    var step = [Double](repeating: 0, count: p)
    for j in 0..<p {
        for k in 0..<p { step[j] -= gsl_matrix_get(v.p, j, k) * c1[k] / sv[k] }
        step[j] /= norms[j]
    }
    if n == p {
        let rnorm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let exact = rnorm <= max(roundingLevel, tolerance * dataNorm)
        return MinimumCheck(failure: exact ? nil : .notStationary(relativeOffset: nil),
                            gaussNewtonStep: step, roundingLevel: roundingLevel)
    }
    let offset = c2norm > 0 ? (c1norm / Double(p).squareRoot()) / (c2norm / Double(n - p).squareRoot()) : (c1norm > 0 ? Double.infinity : 0)
    let stationary = offset * Double(p).squareRoot() <= tolerance || c1norm <= roundingLevel
    return MinimumCheck(failure: stationary ? nil : .notStationary(relativeOffset: finite(offset)),
                        relativeOffset: finite(offset), gaussNewtonStep: step,
                        roundingLevel: roundingLevel, atRoundingLevel: c1norm <= roundingLevel)
}

// MARK: - Solver runs

private func subproblem(_ method: NonlinearFitOptions.TrustRegion) -> UnsafePointer<gsl_multifit_nlinear_trs> {
    switch method {
    case .levenbergMarquardt: return cgsl_multifit_nlinear_trs_lm()
    case .levenbergMarquardtAccelerated: return cgsl_multifit_nlinear_trs_lmaccel()
    case .dogleg: return cgsl_multifit_nlinear_trs_dogleg()
    case .doubleDogleg: return cgsl_multifit_nlinear_trs_ddogleg()
    case .subspace2D: return cgsl_multifit_nlinear_trs_subspace2D()
    }
}

/// One solver run: its end point and the verdict on it.
private struct Run {
    var method: NonlinearFitOptions.TrustRegion
    var theta: [Double]
    var chiSquare: Double
    var status: Int32
    /// GSL's reason for stopping, in words.
    var reason: String
    var iterations: Int
    var functionEvaluations: Int
    var jacobianEvaluations: Int
    /// Weighted Jacobian at `theta`, evaluated afresh (file header).
    var jacobian: [[Double]]
    var check: MinimumCheck
    /// nil: the end point passed the minimum checks.
    var failure: NonlinearFitFailure?

    var attempt: NonlinearFitAttempt {
        NonlinearFitAttempt(trustRegion: method, chiSquare: finite(chiSquare), iterations: iterations, stopReason: reason,
                            relativeOffset: check.relativeOffset, failure: failure)
    }
}

/// The weighted Jacobian at θ: analytic when the model has a gradient, else central differences with
/// steps h and h/2, h = ε^(1/3) |θ_j| (ε^(1/3) when θ_j = 0), combined by one Richardson extrapolation
/// (4 D(h/2) - D(h))/3, whose error is O(h⁴). Rows are scaled by √w_i as GSL scales its own.
private func jacobian(_ model: NonlinearModel, x: [Double], weights: [Double]?, theta: [Double]) -> [[Double]] {
    let n = x.count, p = theta.count
    var jac = [[Double]](repeating: [Double](repeating: 0, count: p), count: n)
    if let g = model.gradient {
        for i in 0..<n { jac[i] = g(x[i], theta) }
    } else {
        let step = Foundation.cbrt(Double.ulpOfOne)
        /// Central difference of column j with step h.
        func central(_ j: Int, _ h: Double) -> [Double] {
            var up = theta, down = theta
            up[j] += h
            down[j] -= h
            let span = up[j] - down[j]
            return (0..<n).map { (model.function(x[$0], up) - model.function(x[$0], down)) / span }
        }
        for j in 0..<p {
            let h = theta[j] == 0 ? step : step * abs(theta[j])
            let wide = central(j, h), narrow = central(j, h / 2)
            for i in 0..<n { jac[i][j] = (4 * narrow[i] - wide[i]) / 3 }
        }
    }
    if let w = weights {
        for i in 0..<n {
            let sw = w[i].squareRoot()
            for j in 0..<p { jac[i][j] *= sw }
        }
    }
    return jac
}

private func stopReason(info: Int32, status: Int32, maxIterations: Int) -> String {
    switch info {
    case 1: return "small step (xtol)"
    case 2: return "small gradient (gtol)"
    case 3: return "small change in f (ftol)"
    case Int32(GSL_ETOLX): return "step below machine precision"
    case Int32(GSL_ETOLG): return "gradient below machine precision"
    case Int32(GSL_ETOLF): return "change in f below machine precision"
    case Int32(GSL_ENOPROG): return "no step reduced the cost from the start"
    default: return status == GSL_EMAXITER ? "iteration limit \(maxIterations) reached" : "stopped (info \(info))"
    }
}

/// Runs GSL's driver once with `method` from `start`, then judges its end point (file header).
private func solve(_ method: NonlinearFitOptions.TrustRegion, state: NLState, weights: [Double]?, start: [Double],
                   options: NonlinearFitOptions) throws -> Run {
    let n = state.x.count, p = start.count
    var params = gsl_multifit_nlinear_default_parameters()
    params.trs = subproblem(method)
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
    fdf.pointee.df = state.model.gradient == nil ? nil : nlDF
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
    var theta = GVector.array(gsl_multifit_nlinear_position(work))
    var resid = GVector.array(gsl_multifit_nlinear_residual(work))
    var chi2 = resid.reduce(0) { $0 + $1 * $1 }
    let iterations = Int(gsl_multifit_nlinear_niter(work))

    // The judgement (file header).
    let sw = weights.map { $0.map { $0.squareRoot() } } ?? [Double](repeating: 1, count: n)
    func judge(_ theta: [Double], _ resid: [Double]) -> (jac: [[Double]], check: MinimumCheck) {
        let jac = jacobian(state.model, x: state.x, weights: weights, theta: theta)
        var dataSq = 0.0, fittedSq = 0.0
        for i in 0..<n {
            dataSq += sw[i] * state.y[i] * sw[i] * state.y[i]
            fittedSq += (sw[i] * state.y[i] + resid[i]) * (sw[i] * state.y[i] + resid[i])
        }
        return (jac, checkMinimum(jacobian: jac, residuals: resid, theta: theta, names: state.model.parameterNames,
                                  dataNorm: max(dataSq, fittedSq).squareRoot(), tolerance: options.stationarityTolerance))
    }
    var (jac, verdict) = judge(theta, resid)
    // Polish: from an end point near a stationary point (relative offset ≤ 1e-3), take Gauss-Newton steps
    // with the fresh Jacobian. Trust-region solvers accept a step only if χ² falls, and near the minimum
    // the fall is below χ²'s own rounding error (about 2‖r‖ρ₀) long before the gradient is at its rounding
    // level: they stop there, and GSL's finite-difference Jacobian (~1e-8 accurate) stops them earlier
    // still. A step is kept if χ² does not rise beyond that rounding error and the relative offset falls;
    // polishing ends at the rounding level, or when a step does not help.
    var polished = 0
    while polished < options.polishingSteps, !verdict.atRoundingLevel, let rho = verdict.relativeOffset, rho <= 1e-3,
          verdict.failure == nil || verdict.failure?.name == "notStationary", let step = verdict.gaussNewtonStep {
        let trial = zip(theta, step).map { $0 + $1 }
        let r = (0..<n).map { (state.model.function(state.x[$0], trial) - state.y[$0]) * sw[$0] }
        let c = r.reduce(0) { $0 + $1 * $1 }
        guard trial.allSatisfy({ $0.isFinite }), c.isFinite, c <= chi2 + 2 * chi2.squareRoot() * verdict.roundingLevel else { break }
        let next = judge(trial, r)
        guard next.check.failure == nil || next.check.failure?.name == "notStationary",
              let nextRho = next.check.relativeOffset, nextRho < rho else { break }
        (theta, resid, chi2) = (trial, r, c)
        (jac, verdict) = next
        polished += 1
    }
    var reason = stopReason(info: info, status: status, maxIterations: options.maxIterations)
    // GSL's driver returns GSL_EMAXITER with info = GSL_ENOPROG when its first iteration finds no step that
    // lowers χ²: the start may already be the minimum (a linearizable law started at its linear fit).
    let noProgress = info == GSL_ENOPROG || status == GSL_ENOPROG
    let failure: NonlinearFitFailure?
    if verdict.failure == nil {
        failure = nil
        let offset = verdict.relativeOffset.map { String(format: "relative offset %.2g", $0) } ?? "an exact fit"
        if noProgress {
            reason = theta == start ? "the start is already a minimum (\(offset))"
                                    : "no step reduced the cost further: a minimum to machine precision (\(offset))"
        } else if status == GSL_EMAXITER {
            reason += ", at a minimum (\(offset))"
        }
    } else if status == GSL_EMAXITER && !noProgress {
        failure = .iterationLimit(iterations: options.maxIterations)
    } else if status != GSL_SUCCESS && status != GSL_EMAXITER && status != GSL_ENOPROG {
        failure = .solverError(status: status, message: gsl_strerror(status).map { String(cString: $0) } ?? "status \(status)")
    } else {
        failure = verdict.failure
    }
    if polished > 0 { reason += ", then \(polished) Gauss-Newton step\(polished == 1 ? "" : "s")" }
    return Run(method: method, theta: theta, chiSquare: chi2, status: status, reason: reason,
               iterations: iterations, functionEvaluations: Int(fdf.pointee.nevalf),
               jacobianEvaluations: Int(fdf.pointee.nevaldf), jacobian: jac, check: verdict, failure: failure)
}

// MARK: - The fit

/// Fits `model` to (x, y) by nonlinear least squares from `start` (see the file header for every formula
/// and for the checks behind `converged`).
///
/// Throws `AnalysisError.invalidInput` for bad shapes or non-finite data, `AnalysisError.gsl` when GSL
/// cannot start; a fit whose end point is not a minimum it can vouch for (after the fallbacks) is returned
/// with `converged == false` and `failure` set (`requireConverged()` turns that into a thrown error).
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
    guard options.stationarityTolerance > 0 else {
        throw AnalysisError.invalidInput("fitNonlinear: stationarityTolerance must be > 0")
    }

    let state = NLState(x: x, y: y, model: model)
    var runs = [try solve(options.trustRegion, state: state, weights: weights, start: start, options: options)]
    if runs[0].failure != nil {
        for method in options.fallbacks where method != options.trustRegion {
            runs.append(try solve(method, state: state, weights: weights, start: start, options: options))
        }
    }
    // The passing end point with the smallest χ²; when none passes, the end point with the smallest χ². A
    // later run replaces an earlier one only if its χ² is lower by more than 1e-9 relative (and χ²'s
    // rounding), so that runs ending at the same minimum keep the order of `fallbacks`.
    func better(_ a: Run, than b: Run) -> Bool {
        guard a.chiSquare.isFinite else { return false }
        guard b.chiSquare.isFinite else { return true }
        return a.chiSquare < b.chiSquare * (1 - 1e-9) - 2 * b.chiSquare.squareRoot() * b.check.roundingLevel
    }
    let passing = runs.filter { $0.failure == nil }
    let chosen = (passing.isEmpty ? runs : passing).reduce(nil as Run?) { best, run in
        best.map { better(run, than: $0) ? run : $0 } ?? run
    }!
    let theta = chosen.theta, chi2 = chosen.chiSquare

    let dof = n - p
    let sigmaKnown = weights != nil && weightsAreInverseVariances
    var covNote = sigmaKnown ? "weights are 1/sigma_i^2: covariance (J^T W J)^-1, not scaled"
                             : "sigma unknown: covariance (J^T W J)^-1 scaled by the reduced chi-square chi2/(n-p)"
    var cov = [[Double]]()
    var parameters: [FittedParameter]
    if chosen.failure == nil {
        let jac = GMatrix(chosen.jacobian, cols: p)
        let covar = GMatrix(p, p)
        let covStatus = gsl_multifit_nlinear_covar(jac.p, 0.0, covar.p)
        cov = covar.array
        if !sigmaKnown {
            let scale = dof > 0 ? chi2 / Double(dof) : Double.nan
            cov = cov.map { $0.map { $0 * scale } }
        }
        if covStatus == GSL_SUCCESS, cov.joined().allSatisfy({ $0.isFinite }) {
            parameters = parametersFrom(names: model.parameterNames, estimates: theta, covariance: cov, dof: dof,
                                        level: options.level, normal: sigmaKnown)
        } else {
            // No residual degrees of freedom (n = p): no covariance, no standard errors.
            parameters = zip(model.parameterNames, theta).map { FittedParameter(name: $0, estimate: $1, standardError: nil, interval: nil) }
            cov = []
            covNote += "; covariance undefined (singular Jacobian or n = p): no standard errors"
        }
    } else {
        parameters = zip(model.parameterNames, theta).map { FittedParameter(name: $0, estimate: $1, standardError: nil, interval: nil) }
        covNote += "; no covariance and no standard errors: the fit did not reach a minimum it vouches for"
    }
    let info = gaussianInformation(chiSquare: chi2, n: n, p: p, weights: weights, sigmaKnown: sigmaKnown)
    var reason = chosen.failure.map { $0.description } ?? chosen.reason
    if chosen.failure == nil, chosen.method != runs[0].method, let first = runs[0].failure {
        reason += " (\(chosen.method.name), after \(runs[0].method.name) failed: \(first))"
    }
    let statusText = gsl_strerror(chosen.status).map { String(cString: $0) } ?? "status \(chosen.status)"
    return NonlinearFit(
        parameters: parameters, covariance: cov, n: n, degreesOfFreedom: dof, chiSquare: chi2,
        reducedChiSquare: dof > 0 ? finite(chi2 / Double(dof)) : nil,
        residualSD: dof > 0 ? finite((chi2 / Double(dof)).squareRoot()) : nil,
        rSquared: rSquared(y, weights: weights, rss: chi2),
        logLikelihood: info.logL, aic: info.aic, aicc: info.aicc, bic: info.bic,
        informationParameters: info.k, informationNote: info.note, covarianceNote: covNote,
        converged: chosen.failure == nil, failure: chosen.failure, trustRegion: chosen.method,
        relativeOffset: chosen.check.relativeOffset, attempts: runs.map(\.attempt),
        status: statusText, stopReason: reason, iterations: chosen.iterations,
        functionEvaluations: chosen.functionEvaluations, jacobianEvaluations: chosen.jacobianEvaluations,
        jacobian: model.gradient != nil ? "analytic" : "finite differences (\(options.centralDifferences ? "central" : "forward"))",
        start: start)
}

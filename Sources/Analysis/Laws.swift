// Named laws for the reports: the grokking transition as a logistic in log10(steps), and
// steps-to-generalize T against x (training fraction or data-set size) as a power law, an exponential or
// a shifted power law, compared by AIC with censored points handled explicitly.
//
// Error model for T(x): run-to-run variation of steps-to-generalize is multiplicative (seeds spread T over
// a factor, not a fixed number of steps), so every law is fitted in log space,
//   log T_i = μ(x_i; θ) + ε_i,  ε_i ~ N(0, σ²) independent,
// with μ = log a + b log x (power law), log a + b x (exponential), log a - b log(x - x_c) (shifted power law).
// The shifted law is fitted as x_c = m - exp(u), m = the smallest x with an observed T, so x_c < m always.
// AIC, AICc and BIC are those of this Gaussian model of log T (σ estimated: k = parameters + 1), so they
// compare laws fitted to the same points; they are not comparable with fits of T itself.
//
// Censoring: a run that did not generalize within its budget c has T > c. Least-squares fits exclude such
// points and record which (count and x); the censored-likelihood (Tobit) fit keeps them, each contributing
// log P(log T > log c) = log Q((log c - μ)/σ), next to log φ((log T - μ)/σ) - log σ for observed points.
// A censored point at x ≤ x_c contributes log 1 = 0 (the shifted law predicts T = ∞ there).

import CGSL
import Foundation

// MARK: - Grokking transition: logistic in log10(steps)

/// Logistic fit of accuracy against log10(steps): acc(s) = lo + (hi - lo) / (1 + exp(-(log10 s - mid)/width)).
public struct TransitionFit: Codable, Sendable {
    /// The underlying least-squares fit: parameters "lo", "hi" (unless fixed), "mid" (log10 steps),
    /// "width" (decades of steps). Errors are taken as additive in accuracy, equal variance.
    public var fit: NonlinearFit
    /// 10^mid: the step at which accuracy is halfway between lo and hi.
    public var midpointSteps: Double
    /// 10^(interval of mid): "covariance-t, back-transformed from log10 steps" (asymmetric in steps).
    public var midpointInterval: Interval?
    /// The width in decades of steps, with its interval.
    public var width: FittedParameter
    /// Decades of steps between 10% and 90% of the rise: 2 ln(9) · |width|.
    public var riseDecades: Double
    public var fixedLower: Double?
    public var fixedUpper: Double?
    /// Points dropped because their step was ≤ 0 (log10 undefined).
    public var droppedPoints: Int
}

/// Fits the logistic transition (formula on `TransitionFit`) to an accuracy curve by nonlinear least
/// squares (gsl_multifit_nlinear, analytic Jacobian). `fixLower`/`fixUpper` pin lo (e.g. chance) or hi.
/// Start: lo, hi from the curve's ends (min/max), mid at the first crossing of halfway, width = span/20.
/// Throws `NonlinearFitFailure` when the fit does not reach a minimum it vouches for (NonlinearFit.swift).
public func fitTransition(steps: [Double], accuracy: [Double], fixLower: Double? = nil, fixUpper: Double? = nil,
                          level: Double = 0.95) throws -> TransitionFit {
    Analysis.setUp()
    guard steps.count == accuracy.count else {
        throw AnalysisError.invalidInput("fitTransition: \(steps.count) steps but \(accuracy.count) accuracies")
    }
    let kept = zip(steps, accuracy).filter { $0.0 > 0 && $0.0.isFinite && $0.1.isFinite }.sorted { $0.0 < $1.0 }
    let L = kept.map { log10($0.0) }, acc = kept.map { $0.1 }
    let free = (fixLower == nil ? 1 : 0) + (fixUpper == nil ? 1 : 0) + 2
    guard kept.count > free else {
        throw AnalysisError.invalidInput("fitTransition: \(kept.count) usable points (step > 0) for \(free) parameters; need more")
    }
    let lo0 = fixLower ?? acc.min()!, hi0 = fixUpper ?? acc.max()!
    let half = (lo0 + hi0) / 2
    let rising = (acc.last! - acc.first!) >= 0
    let crossIndex = acc.firstIndex { rising ? $0 >= half : $0 <= half } ?? (acc.count / 2)
    let mid0 = L[crossIndex]
    let width0 = max((L.last! - L.first!) / 20, 0.01) * (rising ? 1 : -1)
    let fl = fixLower, fu = fixUpper
    // Internal parameter vector: [lo?, hi?, mid, width]; unpack fills in fixed ends.
    @Sendable func unpack(_ t: [Double]) -> (Double, Double, Double, Double) {
        var i = 0
        let lo: Double, hi: Double
        if let v = fl { lo = v } else { lo = t[i]; i += 1 }
        if let v = fu { hi = v } else { hi = t[i]; i += 1 }
        return (lo, hi, t[i], t[i + 1])
    }
    var names = [String]()
    var start = [Double]()
    if fl == nil { names.append("lo"); start.append(lo0) }
    if fu == nil { names.append("hi"); start.append(hi0) }
    names += ["mid", "width"]
    start += [mid0, width0]
    let model = NonlinearModel(
        parameterNames: names,
        function: { x, t in
            let (lo, hi, mid, w) = unpack(t)
            return lo + (hi - lo) / (1 + exp(-(x - mid) / w))
        },
        gradient: { x, t in
            let (lo, hi, mid, w) = unpack(t)
            let u = (x - mid) / w
            let s = 1 / (1 + exp(-u))
            let ds = s * (1 - s)
            var g = [Double]()
            if fl == nil { g.append(1 - s) }
            if fu == nil { g.append(s) }
            g.append(-(hi - lo) * ds / w)
            g.append(-(hi - lo) * ds * u / w)
            return g
        })
    var options = NonlinearFitOptions()
    options.level = level
    // A fit that does not reach a minimum it vouches for throws its NonlinearFitFailure (callers record it).
    let fit = try fitNonlinear(x: L, y: acc, model: model, start: start, options: options).requireConverged()
    let mid = fit["mid"]!, width = fit["width"]!
    return TransitionFit(
        fit: fit, midpointSteps: pow(10, mid.estimate),
        midpointInterval: mid.interval?.mapped({ pow(10, $0) }, note: "back-transformed from log10 steps"),
        width: width, riseDecades: 2 * Foundation.log(9) * abs(width.estimate),
        fixedLower: fixLower, fixedUpper: fixUpper, droppedPoints: steps.count - kept.count)
}

// MARK: - Laws of steps-to-generalize

/// A law T(x) for steps-to-generalize against training fraction or data-set size.
public enum Law: String, Codable, Sendable, CaseIterable {
    /// T = a x^b.
    case powerLaw
    /// T = a exp(b x).
    case exponential
    /// T = a (x - x_c)^(-b), diverging at a critical size x_c below the smallest observed x.
    case shiftedPowerLaw

    public var formula: String {
        switch self {
        case .powerLaw: return "T = a x^b"
        case .exponential: return "T = a exp(b x)"
        case .shiftedPowerLaw: return "T = a (x - x_c)^(-b), x_c < min x"
        }
    }
    var internalNames: [String] {
        switch self {
        case .powerLaw, .exponential: return ["log a", "b"]
        case .shiftedPowerLaw: return ["log a", "b", "u = log(m - x_c)"]
        }
    }
    /// μ(x) = E[log T | x] at internal parameters t; m = smallest x with an observed T (shifted law).
    func mu(_ x: Double, _ t: [Double], m: Double) -> Double {
        switch self {
        case .powerLaw: return t[0] + t[1] * Foundation.log(x)
        case .exponential: return t[0] + t[1] * x
        case .shiftedPowerLaw:
            let d = x - m + exp(t[2])
            return d > 0 ? t[0] - t[1] * Foundation.log(d) : .infinity
        }
    }
    func muGradient(_ x: Double, _ t: [Double], m: Double) -> [Double] {
        switch self {
        case .powerLaw: return [1, Foundation.log(x)]
        case .exponential: return [1, x]
        case .shiftedPowerLaw:
            let e = exp(t[2]), d = x - m + e
            return d > 0 ? [1, -Foundation.log(d), -t[1] * e / d] : [0, 0, 0]
        }
    }
}

/// One configuration's steps-to-generalize: T at x, or, when `censored`, only T > t (budget t exhausted).
public struct LawPoint: Codable, Sendable, Equatable {
    public var x: Double
    public var t: Double
    public var censored: Bool
    public init(x: Double, t: Double, censored: Bool = false) {
        self.x = x
        self.t = t
        self.censored = censored
    }
}

/// One law fitted to steps-to-generalize (see the file header for the error model).
public struct LawFit: Codable, Sendable {
    public var law: Law
    public var formula: String
    /// "least squares in log T (censored points excluded)" or "censored likelihood (Tobit) in log T".
    public var method: String
    /// a, b (and x_c) in natural units. Intervals of a and x_c are made on the fitted scale (log a,
    /// log(m - x_c)) and back-transformed, so they are asymmetric.
    public var parameters: [FittedParameter]
    /// The parameters as fitted: log a, b (and u = log(m - x_c)).
    public var fittedParameters: [FittedParameter]
    /// Points used (observed, plus censored ones for the Tobit fit).
    public var n: Int
    public var censoredUsed: Int
    /// Residual SD of log T: sqrt(RSS/(n - p)) for least squares, the MLE of σ for Tobit.
    public var sigma: Double?
    /// R² of log T (least squares only).
    public var rSquared: Double?
    public var logLikelihood: Double?
    /// Number of parameters counted (law parameters + σ).
    public var k: Int
    public var aic: Double?
    public var aicc: Double?
    public var bic: Double?
    /// AIC minus the smallest AIC among the laws compared (filled by `compareLaws`).
    public var deltaAIC: Double?
    /// exp(-ΔAIC/2) / Σ exp(-ΔAIC/2) over the laws compared (filled by `compareLaws`).
    public var akaikeWeight: Double?
    public var converged: Bool
    public var note: String

    /// T predicted at x (nil where the law is undefined, e.g. x ≤ x_c).
    public func predict(_ x: Double) -> Double? {
        let a = parameters[0].estimate, b = parameters[1].estimate
        switch law {
        case .powerLaw: return x > 0 ? finite(a * pow(x, b)) : nil
        case .exponential: return finite(a * exp(b * x))
        case .shiftedPowerLaw:
            let xc = parameters[2].estimate
            return x > xc ? finite(a * pow(x - xc, -b)) : nil
        }
    }
}

/// Laws fitted to the same points and ranked by AIC.
public struct LawComparison: Codable, Sendable {
    /// Least-squares fits in log T on the observed points, best (smallest AIC) first.
    public var fits: [LawFit]
    /// Censored-likelihood (Tobit) fits on all points, best first (empty unless asked). With no censored
    /// point they give the least-squares estimates, with σ at its MLE.
    public var censoredFits: [LawFit]
    /// Points left out of the least-squares fits because they were censored.
    public var excluded: [LawPoint]
    /// Laws that could not be fitted, with the reason.
    public var failures: [String]
    public var criterion: String
    public var notes: [String]
    /// The law with the smallest AIC among the least-squares fits (nil when none could be fitted).
    public var best: Law?
    /// The law with the smallest AIC among the censored-likelihood fits.
    public var bestCensored: Law?
}

func lawStart(_ law: Law, x: [Double], logT: [Double], m: Double) -> [Double]? {
    func line(_ u: [Double]) -> (Double, Double, Double)? {
        guard Set(u).count >= 2 else { return nil }
        var c0 = 0.0, c1 = 0.0, v0 = 0.0, v1 = 0.0, v2 = 0.0, ss = 0.0
        guard gsl_fit_linear(u, 1, logT, 1, u.count, &c0, &c1, &v0, &v1, &v2, &ss) == GSL_SUCCESS else { return nil }
        return (c0, c1, ss)
    }
    switch law {
    case .powerLaw:
        guard x.allSatisfy({ $0 > 0 }), let (c0, c1, _) = line(x.map { Foundation.log($0) }) else { return nil }
        return [c0, c1]
    case .exponential:
        guard let (c0, c1, _) = line(x) else { return nil }
        return [c0, c1]
    case .shiftedPowerLaw:
        // Profile over x_c = m - δ on a geometric grid of δ, a straight line in log(x - x_c) for each.
        let range = x.max()! - m
        guard range > 0 else { return nil }
        var best: (Double, [Double])? = nil
        for i in 0..<60 {
            let delta = range * pow(10, -4 + 7 * Double(i) / 59)
            guard let (c0, c1, ss) = line(x.map { Foundation.log($0 - m + delta) }) else { continue }
            if best == nil || ss < best!.0 { best = (ss, [c0, -c1, Foundation.log(delta)]) }
        }
        return best?.1
    }
}

func naturalParameters(_ law: Law, _ fitted: [FittedParameter], m: Double) -> [FittedParameter] {
    let la = fitted[0], b = fitted[1]
    let a = exp(la.estimate)
    var out = [FittedParameter(name: "a", estimate: a, standardError: la.standardError.flatMap { finite(a * $0) },
                               interval: la.interval?.mapped({ exp($0) }, note: "back-transformed from log a"))]
    out.append(FittedParameter(name: "b", estimate: b.estimate, standardError: b.standardError, interval: b.interval))
    if fitted.count > 2 {
        let u = fitted[2]
        let e = exp(u.estimate)
        var iv: Interval? = nil
        if let ui = u.interval {
            iv = Interval.make(m - exp(ui.upper), m - exp(ui.lower), level: ui.level,
                               method: "\(ui.method), back-transformed from log(m - x_c), m = \(m)")
        }
        out.append(FittedParameter(name: "x_c", estimate: m - e, standardError: u.standardError.flatMap { finite(e * $0) },
                                   interval: iv))
    }
    return out
}

/// Least-squares fit of one law in log T to observed points (x, T > 0). Throws `NonlinearFitFailure` when
/// the fit does not reach a minimum it vouches for (NonlinearFit.swift).
public func fitLaw(_ law: Law, x: [Double], t: [Double], level: Double = 0.95) throws -> LawFit {
    Analysis.setUp()
    guard x.count == t.count, !x.isEmpty else { throw AnalysisError.invalidInput("fitLaw: \(x.count) x for \(t.count) T") }
    guard t.allSatisfy({ $0 > 0 && $0.isFinite }), x.allSatisfy({ $0.isFinite }) else {
        throw AnalysisError.invalidInput("fitLaw: T must be finite and > 0 (fits are in log T)")
    }
    if law == .powerLaw, !x.allSatisfy({ $0 > 0 }) {
        throw AnalysisError.invalidInput("fitLaw: the power law needs x > 0")
    }
    let p = law.internalNames.count
    guard x.count > p else {
        throw AnalysisError.invalidInput("fitLaw \(law.rawValue): \(x.count) points for \(p) parameters and sigma; need at least \(p + 1)")
    }
    let logT = t.map { Foundation.log($0) }
    let m = x.min()!
    guard let start = lawStart(law, x: x, logT: logT, m: m) else {
        throw AnalysisError.invalidInput("fitLaw \(law.rawValue): no starting point (x values all equal?)")
    }
    let model = NonlinearModel(parameterNames: law.internalNames,
                               function: { xi, th in law.mu(xi, th, m: m) },
                               gradient: { xi, th in law.muGradient(xi, th, m: m) })
    var options = NonlinearFitOptions()
    options.level = level
    // A fit that does not reach a minimum it vouches for throws its NonlinearFitFailure (compareLaws records
    // it among its failures).
    let fit = try fitNonlinear(x: x, y: logT, model: model, start: start, options: options).requireConverged()
    return LawFit(law: law, formula: law.formula, method: "least squares in log T (censored points excluded)",
                  parameters: naturalParameters(law, fit.parameters, m: m), fittedParameters: fit.parameters,
                  n: x.count, censoredUsed: 0, sigma: fit.residualSD, rSquared: fit.rSquared,
                  logLikelihood: fit.logLikelihood, k: fit.informationParameters, aic: fit.aic, aicc: fit.aicc,
                  bic: fit.bic, deltaAIC: nil, akaikeWeight: nil, converged: fit.converged,
                  note: "\(fit.stopReason); \(fit.informationNote) (of log T)")
}

/// Fits every law in `laws` to the points and ranks them by AIC (ΔAIC and Akaike weights filled in).
///
/// Censored points (T > budget) are excluded from the least-squares fits, listed in `excluded` and
/// described in `notes`; with `censoredLikelihood` each law is also fitted to all points by maximum
/// likelihood with the Tobit likelihood (file header), ranked separately.
public func compareLaws(_ points: [LawPoint], laws: [Law] = Law.allCases, level: Double = 0.95,
                        censoredLikelihood: Bool = true) -> LawComparison {
    Analysis.setUp()
    let usable = points.filter { $0.x.isFinite && $0.t.isFinite && $0.t > 0 }
    let observed = usable.filter { !$0.censored }
    let censored = usable.filter { $0.censored }
    var notes = ["fits minimize squared error in log T: steps-to-generalize varies by a factor across seeds (multiplicative, log-normal errors)"]
    if usable.count < points.count {
        notes.append("\(points.count - usable.count) point(s) dropped: T not finite or not > 0")
    }
    if !censored.isEmpty {
        let xs = censored.map { "\($0.x)" }.joined(separator: ", ")
        notes.append("\(censored.count) censored point(s) (did not generalize within the budget) excluded from the least-squares fits, at x = \(xs)")
    }
    var fits = [LawFit]()
    var failures = [String]()
    for law in laws {
        do {
            fits.append(try fitLaw(law, x: observed.map { $0.x }, t: observed.map { $0.t }, level: level))
        } catch {
            failures.append("\(law.rawValue) (least squares): \(error)")
        }
    }
    var tobit = [LawFit]()
    if censoredLikelihood {
        for law in laws {
            do {
                tobit.append(try fitLawCensored(law, points: usable, level: level))
            } catch {
                failures.append("\(law.rawValue) (censored likelihood): \(error)")
            }
        }
        if censored.isEmpty { notes.append("no censored points: the censored-likelihood fits equal least squares with sigma at its MLE") }
    }
    let ranked = rankByAIC(fits), rankedTobit = rankByAIC(tobit)
    return LawComparison(fits: ranked, censoredFits: rankedTobit, excluded: censored, failures: failures,
                         criterion: "AIC (Gaussian likelihood of log T; smaller is better)", notes: notes,
                         best: ranked.first { $0.aic != nil }?.law, bestCensored: rankedTobit.first { $0.aic != nil }?.law)
}

func rankByAIC(_ fits: [LawFit]) -> [LawFit] {
    var ranked = fits.sorted { ($0.aic ?? .infinity) < ($1.aic ?? .infinity) }
    guard let best = ranked.compactMap({ $0.aic }).min() else { return ranked }
    let total = ranked.compactMap { $0.aic }.reduce(0.0) { $0 + exp(-($1 - best) / 2) }
    for i in ranked.indices {
        if let a = ranked[i].aic {
            ranked[i].deltaAIC = a - best
            ranked[i].akaikeWeight = exp(-(a - best) / 2) / total
        }
    }
    return ranked
}

// MARK: - Censored likelihood (Tobit) fit

private final class TobitState {
    let law: Law
    let x: [Double], y: [Double], censored: [Bool]
    let m: Double
    let p: Int
    init(law: Law, x: [Double], y: [Double], censored: [Bool], m: Double) {
        self.law = law
        self.x = x
        self.y = y
        self.censored = censored
        self.m = m
        p = law.internalNames.count
    }

    /// -log L and its gradient at v = (θ, s = log σ).
    func evaluate(_ v: [Double], gradient: Bool) -> (Double, [Double]) {
        let theta = Array(v[0..<p]), s = v[p], sigma = exp(s)
        var nll = 0.0
        var g = [Double](repeating: 0, count: p + 1)
        let halfLog2Pi = 0.5 * Foundation.log(2 * Double.pi)
        for i in 0..<x.count {
            let mu = law.mu(x[i], theta, m: m)
            if censored[i] {
                if mu == .infinity { continue }     // x ≤ x_c: T = ∞ > c with probability 1
                let z = (y[i] - mu) / sigma
                let logQ = gsl_sf_log_erfc(z / 2.0.squareRoot()) - Foundation.log(2.0)
                nll -= logQ
                if gradient {
                    let lambda = exp(-0.5 * z * z - halfLog2Pi - logQ)   // φ(z)/Q(z)
                    let dmu = law.muGradient(x[i], theta, m: m)
                    for j in 0..<p { g[j] -= lambda / sigma * dmu[j] }
                    g[p] -= lambda * z
                }
            } else {
                let z = (y[i] - mu) / sigma
                nll += halfLog2Pi + s + 0.5 * z * z
                if gradient {
                    let dmu = law.muGradient(x[i], theta, m: m)
                    for j in 0..<p { g[j] -= z / sigma * dmu[j] }
                    g[p] += 1 - z * z
                }
            }
        }
        return (nll.isFinite ? nll : 1e300, g)
    }
}

private func tobitState(_ params: UnsafeMutableRawPointer?) -> TobitState {
    Unmanaged<TobitState>.fromOpaque(params!).takeUnretainedValue()
}

private let tobitF: @convention(c) (UnsafePointer<gsl_vector>?, UnsafeMutableRawPointer?) -> Double = { v, params in
    tobitState(params).evaluate(GVector.array(v!), gradient: false).0
}
private let tobitDF: @convention(c) (UnsafePointer<gsl_vector>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<gsl_vector>?) -> Void = { v, params, g in
    let r = tobitState(params).evaluate(GVector.array(v!), gradient: true).1
    for j in 0..<r.count { gsl_vector_set(g, j, r[j]) }
}
private let tobitFDF: @convention(c) (UnsafePointer<gsl_vector>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<gsl_vector>?) -> Void = { v, params, f, g in
    let r = tobitState(params).evaluate(GVector.array(v!), gradient: true)
    f!.pointee = r.0
    for j in 0..<r.1.count { gsl_vector_set(g, j, r.1[j]) }
}

/// Maximum-likelihood fit of one law in log T with censored points (Tobit; file header), by BFGS
/// (gsl_multimin vector_bfgs2, analytic gradient) from the least-squares fit of the observed points,
/// then Newton steps on the observed information (Hessian of -log L by central differences of the
/// analytic gradient, step 1e-5·max(1, |v_j|)). Converged when max_j |∂(-log L)/∂v_j| < 1e-6 and the
/// information is positive definite. Standard errors from its inverse; intervals estimate ± z SE
/// ("wald-normal, observed information"); a and x_c intervals back-transformed as in `LawFit`.
public func fitLawCensored(_ law: Law, points: [LawPoint], level: Double = 0.95) throws -> LawFit {
    Analysis.setUp()
    try validateLevel(level)
    let pts = points.filter { $0.x.isFinite && $0.t.isFinite && $0.t > 0 }
    let obs = pts.filter { !$0.censored }
    let p = law.internalNames.count
    guard obs.count > p else {
        throw AnalysisError.invalidInput("fitLawCensored \(law.rawValue): \(obs.count) observed points for \(p) parameters and sigma")
    }
    if law == .powerLaw, !pts.allSatisfy({ $0.x > 0 }) {
        throw AnalysisError.invalidInput("fitLawCensored: the power law needs x > 0")
    }
    let m = obs.map { $0.x }.min()!
    let ls = try fitLaw(law, x: obs.map { $0.x }, t: obs.map { $0.t }, level: level)
    let sigma0 = max(ls.sigma ?? 0.1, 1e-3)
    var v0 = ls.fittedParameters.map { $0.estimate } + [Foundation.log(sigma0)]
    // If a censored point sits below the observed fit, the start is fine; Tobit moves μ up there.
    let state = TobitState(law: law, x: pts.map { $0.x }, y: pts.map { Foundation.log($0.t) },
                           censored: pts.map { $0.censored }, m: m)
    let unmanaged = Unmanaged.passRetained(state)
    defer { unmanaged.release() }
    var fn = gsl_multimin_function_fdf()
    fn.f = tobitF
    fn.df = tobitDF
    fn.fdf = tobitFDF
    fn.n = p + 1
    fn.params = unmanaged.toOpaque()
    guard let minimizer = gsl_multimin_fdfminimizer_alloc(cgsl_multimin_fdfminimizer_vector_bfgs2(), p + 1) else {
        throw AnalysisError.from(status: Int32(GSL_ENOMEM), context: "gsl_multimin_fdfminimizer_alloc")
    }
    defer { gsl_multimin_fdfminimizer_free(minimizer) }
    var iterations = 0
    var stop = ""
    // BFGS from the least-squares start; it may stall (GSL_ENOPROG) near the optimum, where the line
    // search cannot resolve the decrease, so a restart follows.
    for _ in 0..<2 {
        let start = GVector(v0)
        try check(gsl_multimin_fdfminimizer_set(minimizer, &fn, start.p, 0.1, 0.1), "gsl_multimin_fdfminimizer_set")
        var status: Int32 = Int32(GSL_CONTINUE)
        var it = 0
        repeat {
            it += 1
            let s = gsl_multimin_fdfminimizer_iterate(minimizer)
            if s != GSL_SUCCESS { stop = gsl_strerror(s).map { String(cString: $0) } ?? "\(s)"; break }
            status = gsl_multimin_test_gradient(minimizer.pointee.gradient, 1e-9)
        } while status == GSL_CONTINUE && it < 5000
        iterations += it
        v0 = GVector.array(minimizer.pointee.x)
        if status == GSL_SUCCESS { stop = "BFGS gradient test passed"; break }
    }
    // Newton polish with the observed information (Hessian of -log L by central differences of the
    // analytic gradient), halving the step until -log L does not increase.
    let q = p + 1
    func information(_ v: [Double]) -> [[Double]] {
        var H = [[Double]](repeating: [Double](repeating: 0, count: q), count: q)
        for j in 0..<q {
            let h = 1e-5 * max(1, abs(v[j]))
            var vp = v, vm = v
            vp[j] += h
            vm[j] -= h
            let gp = state.evaluate(vp, gradient: true).1, gm = state.evaluate(vm, gradient: true).1
            for i in 0..<q { H[i][j] = (gp[i] - gm[i]) / (2 * h) }
        }
        for i in 0..<q { for j in (i + 1)..<q { let a = 0.5 * (H[i][j] + H[j][i]); H[i][j] = a; H[j][i] = a } }
        return H
    }
    func choleskyInverse(_ H: [[Double]]) -> [[Double]]? {
        let M = GMatrix(H, cols: q)
        guard gsl_linalg_cholesky_decomp1(M.p) == GSL_SUCCESS, gsl_linalg_cholesky_invert(M.p) == GSL_SUCCESS else { return nil }
        let inv = M.array
        return inv.joined().allSatisfy { $0.isFinite } ? inv : nil
    }
    var v = v0
    var newton = 0
    for _ in 0..<30 {
        let (f, g) = state.evaluate(v, gradient: true)
        if g.map({ abs($0) }).max()! < 1e-10 { break }
        guard let Hinv = choleskyInverse(information(v)) else { break }
        let step = (0..<q).map { i in (0..<q).reduce(0.0) { $0 + Hinv[i][$1] * g[$1] } }
        var scale = 1.0
        var accepted = false
        while scale > 1e-6 {
            let trial = (0..<q).map { v[$0] - scale * step[$0] }
            if state.evaluate(trial, gradient: false).0 <= f + 1e-12 * abs(f) { v = trial; accepted = true; break }
            scale /= 2
        }
        newton += 1
        if !accepted || step.map({ abs($0) }).max()! * scale < 1e-13 { break }
    }
    let (nll, gFinal) = state.evaluate(v, gradient: true)
    let gmax = gFinal.map { abs($0) }.max()!
    let converged = gmax < 1e-6
    stop += "; \(newton) Newton step(s); max |gradient of -log L| = \(String(format: "%.2g", gmax))"
    let cov = choleskyInverse(information(v))
    let z = zQuantile(level: level)
    let names = law.internalNames
    let fitted: [FittedParameter] = (0..<p).map { j in
        let se = cov.flatMap { $0[j][j] > 0 ? finite($0[j][j].squareRoot()) : nil }
        let iv = se.flatMap { Interval.make(v[j] - z * $0, v[j] + z * $0, level: level, method: "wald-normal, observed information") }
        return FittedParameter(name: names[j], estimate: v[j], standardError: se, interval: iv)
    }
    let n = pts.count, k = p + 1
    let logL = -nll
    let aic = 2 * Double(k) + 2 * nll
    let nc = pts.filter { $0.censored }.count
    return LawFit(law: law, formula: law.formula, method: "censored likelihood (Tobit) in log T",
                  parameters: naturalParameters(law, fitted, m: m), fittedParameters: fitted, n: n, censoredUsed: nc,
                  sigma: finite(exp(v[p])), rSquared: nil, logLikelihood: finite(logL), k: k, aic: finite(aic),
                  aicc: n - k - 1 > 0 ? finite(aic + 2 * Double(k * (k + 1)) / Double(n - k - 1)) : nil,
                  bic: finite(Double(k) * Foundation.log(Double(n)) + 2 * nll), deltaAIC: nil, akaikeWeight: nil,
                  converged: converged && cov != nil,
                  note: "BFGS \(iterations) iterations (\(stop))\(cov == nil ? "; information matrix not positive definite: no standard errors" : ""); log L of log T with censored points contributing log Q((log c - mu)/sigma); k = p + 1")
}

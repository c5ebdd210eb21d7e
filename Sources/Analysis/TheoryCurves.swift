// TheoryCurves: closed-form risk curves drawn beside the measured double-descent curves. Pure Swift
// (no GSL): every formula is elementary.
//
// Setting (Hastie, Montanari, Rosset and Tibshirani 2019, "Surprises in high-dimensional ridgeless
// least squares interpolation"): n training examples with isotropic Gaussian features x ~ N(0, I),
// y = xᵀβ + σ ε, ε ~ N(0, 1); β̂ is fitted on p features; γ = p/n.
//
// Risk, everywhere in this file, is the expected EXCESS test risk
//     R = E[(xᵀβ̂ − E[y | x])²]   over a fresh x, and over the training data (X, ε),
// which for isotropic x equals E‖β̂ − β‖² (plus ‖β_{>p}‖² in the misspecified case below). The
// test mean squared error on fresh data is R + σ². Signal and noise enter as r² = ‖β‖² and σ².
//
// Sizes where the exact risk is infinite (p = n − 1, n, n + 1 for minimum-norm least squares) are
// returned as +infinity; draw them as a gap.

/// Bias and variance of an expected excess risk.
public struct RiskDecomposition: Sendable, Equatable, Codable {
    /// The part from β alone (σ = 0).
    public var bias: Double
    /// The part from the noise ε (β = 0).
    public var variance: Double
    /// bias + variance.
    public var risk: Double { bias + variance }

    public init(bias: Double, variance: Double) {
        self.bias = bias
        self.variance = variance
    }
}

/// Exact and asymptotic risks of least squares on isotropic Gaussian data.
public enum LinearRegressionTheory {
    // MARK: exact finite-sample, minimum norm

    /// The exact finite-sample expected excess risk of minimum-norm least squares, well-specified:
    /// the model sees all p features of a p-dimensional model with ‖β‖² = r² (Hastie et al. 2019,
    /// Theorem 1 and its finite-n Gaussian version; the formulas follow from E[W⁻¹] = I/(n − p − 1)
    /// for a Wishart W = XᵀX, and from the row space of X being a uniformly random n-dimensional subspace):
    ///
    ///     p <= n − 2:  bias 0,              variance σ² p / (n − p − 1)
    ///     p >= n + 2:  bias r² (1 − n/p),   variance σ² n / (p − n − 1)
    ///     otherwise:   +infinity (the expectation diverges)
    ///
    /// The bias for p >= n+2 holds for every β with ‖β‖² = r² (rotation invariance), not only on average.
    public static func minimumNormRisk(n: Int, p: Int, betaNormSquared r2: Double,
                                       noiseVariance sigma2: Double) -> RiskDecomposition {
        minimumNormRisk(n: n, p: p, signalSeen: r2, signalMissed: 0, noiseVariance: sigma2)
    }

    /// The exact finite-sample expected excess risk of minimum-norm least squares, misspecified: the
    /// data come from a d-dimensional model and the fit sees only its first p features (Hastie et al.
    /// 2019, section 5.1, in its exact finite-n form). With independent Gaussian features, the unseen
    /// part x_{>p}ᵀβ_{>p} is independent noise of variance ‖β_{>p}‖², so with
    /// σ_p² = σ² + ‖β_{>p}‖² (`signalMissed`) and ‖β_{≤p}‖² (`signalSeen`):
    ///
    ///     p <= n − 2:  bias ‖β_{>p}‖²,                        variance σ_p² p / (n − p − 1)
    ///     p >= n + 2:  bias ‖β_{>p}‖² + ‖β_{≤p}‖² (1 − n/p),   variance σ_p² n / (p − n − 1)
    ///
    /// The split is the learner's view: the unseen signal counts once as approximation error in `bias`
    /// and again, through σ_p², as noise in `variance`.
    /// With `signalMissed` = 0 this is the well-specified formula.
    public static func minimumNormRisk(n: Int, p: Int, signalSeen: Double, signalMissed: Double,
                                       noiseVariance sigma2: Double) -> RiskDecomposition {
        precondition(n >= 1 && p >= 0, "minimumNormRisk: need n >= 1 and p >= 0 (got n = \(n), p = \(p))")
        let effectiveNoise = sigma2 + signalMissed
        let nd = Double(n), pd = Double(p)
        if p <= n - 2 {
            return RiskDecomposition(bias: signalMissed, variance: effectiveNoise * pd / (nd - pd - 1))
        }
        if p >= n + 2 {
            return RiskDecomposition(bias: signalMissed + signalSeen * (1 - nd / pd),
                                     variance: effectiveNoise * nd / (pd - nd - 1))
        }
        return RiskDecomposition(bias: .infinity, variance: .infinity)
    }

    // MARK: asymptotic, n, p -> infinity with p/n -> γ

    /// The limit of the minimum-norm risk as n, p → ∞ with p/n → γ (Hastie et al. 2019, Theorem 1):
    /// γ < 1: σ² γ / (1 − γ);  γ > 1: r² (1 − 1/γ) + σ² / (γ − 1);  γ = 1: +infinity.
    public static func minimumNormAsymptoticRisk(gamma: Double, betaNormSquared r2: Double,
                                                 noiseVariance sigma2: Double) -> RiskDecomposition {
        precondition(gamma > 0, "minimumNormAsymptoticRisk: γ = \(gamma) must be positive")
        if gamma < 1 { return RiskDecomposition(bias: 0, variance: sigma2 * gamma / (1 - gamma)) }
        if gamma > 1 { return RiskDecomposition(bias: r2 * (1 - 1 / gamma), variance: sigma2 / (gamma - 1)) }
        return RiskDecomposition(bias: .infinity, variance: .infinity)
    }

    /// The Stieltjes transform m(z) = ∫ dμ(s) / (s − z) of the Marchenko-Pastur law with ratio γ and
    /// unit variance (the limiting spectrum of XᵀX/n for X [n, p] with N(0, 1) entries), at z = −λ < 0:
    ///
    ///     m(−λ) = ( √((1 − γ + λ)² + 4γλ) − (1 − γ + λ) ) / (2γλ),
    ///
    /// the root of γ z m² + (z − 1 + γ) m + 1 = 0 that is positive for z < 0.
    public static func marchenkoPasturStieltjes(gamma: Double, lambda: Double) -> Double {
        precondition(gamma > 0 && lambda > 0, "marchenkoPasturStieltjes: need γ > 0 and λ > 0")
        let a = 1 - gamma + lambda
        // Written to avoid cancellation when 4γλ << a² (a > 0): √(a² + c) − a = c / (√(a² + c) + a).
        let c = 4 * gamma * lambda, root = (a * a + c).squareRoot()
        let numerator = a > 0 ? c / (root + a) : root - a
        return numerator / (2 * gamma * lambda)
    }

    /// m'(z) at z = −λ, from differentiating the quadratic: m' = (γm² + m) / (2γλm + λ + 1 − γ).
    public static func marchenkoPasturStieltjesDerivative(gamma: Double, lambda: Double) -> Double {
        let m = marchenkoPasturStieltjes(gamma: gamma, lambda: lambda)
        return (gamma * m * m + m) / (2 * gamma * lambda * m + lambda + 1 - gamma)
    }

    /// The limit of the ridge risk as n, p → ∞ with p/n → γ, for β̂_λ = argmin (1/n)‖y − Xβ‖² + λ‖β‖²
    /// (λ > 0; Hastie et al. 2019, Theorem 5 for isotropic features, also Dobriban and Wager 2018):
    ///
    ///     bias     = r² λ² m'(−λ)
    ///     variance = σ² γ ( m(−λ) − λ m'(−λ) )
    ///
    /// with m the Marchenko-Pastur Stieltjes transform above. As λ → 0 it tends to
    /// `minimumNormAsymptoticRisk`. Checked against simulations at γ = 0.5 and 2 (TheoryTests).
    /// Note the penalty's normalization: `ridgeLeastSquares` in Linalg takes n·λ.
    public static func ridgeAsymptoticRisk(gamma: Double, lambda: Double, betaNormSquared r2: Double,
                                           noiseVariance sigma2: Double) -> RiskDecomposition {
        precondition(gamma > 0, "ridgeAsymptoticRisk: γ = \(gamma) must be positive")
        precondition(lambda >= 0, "ridgeAsymptoticRisk: λ = \(lambda) must be >= 0")
        if lambda == 0 { return minimumNormAsymptoticRisk(gamma: gamma, betaNormSquared: r2, noiseVariance: sigma2) }
        let m = marchenkoPasturStieltjes(gamma: gamma, lambda: lambda)
        let dm = marchenkoPasturStieltjesDerivative(gamma: gamma, lambda: lambda)
        return RiskDecomposition(bias: r2 * lambda * lambda * dm, variance: sigma2 * gamma * (m - lambda * dm))
    }

    /// The λ that minimizes the asymptotic ridge risk for isotropic features: λ* = σ² γ / r²
    /// (Dobriban and Wager 2018; Hastie et al. 2019, Theorem 6). At λ* the risk is monotone in γ:
    /// optimally tuned ridge shows no double descent.
    public static func optimalRidgeLambda(gamma: Double, betaNormSquared r2: Double, noiseVariance sigma2: Double) -> Double {
        precondition(r2 > 0, "optimalRidgeLambda: r² must be positive")
        return sigma2 * gamma / r2
    }
}

/// The ridgeless (minimum-norm) limit of random-features regression, Mei and Montanari (2019),
/// "The generalization error of random features regression: precise asymptotics and double descent
/// curve", for a LINEAR target.
///
/// Setting: inputs x ~ Unif(sphere of radius √d in R^d), N features φ_a(x) = σ(⟨θ_a, x⟩/√d) with
/// θ_a ~ Unif(sphere of radius √d), targets y = ⟨β, x⟩ + τ ε with ‖β‖² = F₁², the read-out fitted by
/// minimum-norm least squares on n examples; d, N, n → ∞ with ψ₁ = N/d and ψ₂ = n/d fixed. The
/// activation enters through ζ = μ₁/μ★, with μ₁ = E[G σ(G)], μ★² = E[σ(G)²] − μ₀² − μ₁², μ₀ = E[σ(G)],
/// G ~ N(0, 1). The excess risk E[(f̂(x) − ⟨β, x⟩)²] tends to F₁² B + τ² V, with ψ = min(ψ₁, ψ₂),
///
///     χ  = −[(ψζ² − ζ² − 1) + √((ψζ² − ζ² − 1)² + 4ψζ²)] / (2ζ²)
///     E₀ = −χ⁵ζ⁶ + 3χ⁴ζ⁴ + (ψ₁ψ₂ − ψ₂ − ψ₁ + 1)χ³ζ⁶ − 2χ³ζ⁴ − 3χ³ζ²
///          + (ψ₁ + ψ₂ − 3ψ₁ψ₂ + 1)χ²ζ⁴ + 2χ²ζ² + χ² + 3ψ₁ψ₂χζ² − ψ₁ψ₂
///     E₁ = ψ₂χ³ζ⁴ − ψ₂χ²ζ² + ψ₁ψ₂χζ² − ψ₁ψ₂
///     E₂ = χ⁵ζ⁶ − 3χ⁴ζ⁴ + (ψ₁ − 1)χ³ζ⁶ + 2χ³ζ⁴ + 3χ³ζ² + (−ψ₁ − 1)χ²ζ⁴ − 2χ²ζ² − χ²
///     B  = E₁/E₀,  V = E₂/E₀.
///
/// Verification (numerical, not a proof of the transcription): simulations with centered ReLU
/// features σ(u) = max(u, 0) − 1/√(2π) (μ₀ = 0), ψ₂ = 3, F₁² = 1, τ² = 0.25 agree within about one
/// standard error (2-3 %) at d = 100 (ψ₁ = 0.5, 1, 2, 4, 6, 10) and d = 300 (ψ₁ = 1, 6, 10); TheoryTests
/// repeats a small version. With uncentered ReLU (μ₀ ≠ 0) the finite-d risk ran 2-5 % higher at
/// d = 100-300: center the features when comparing. Nonlinear targets (F★ > 0) and λ > 0 are not
/// implemented, because they were not verified.
public enum RandomFeaturesTheory {
    /// ζ = μ₁/μ★ for ReLU: μ₁ = 1/2, μ★² = 1/4 − 1/(2π) (ζ ≈ 1.659). μ₀ = 1/√(2π).
    public static let reluZeta: Double = 0.5 / (0.25 - 1 / (2 * Double.pi)).squareRoot()
    /// μ₀ = E[max(G, 0)] = 1/√(2π), the constant to subtract to center ReLU features.
    public static let reluMu0: Double = 1 / (2 * Double.pi).squareRoot()

    /// The limiting excess risk F₁² B + τ² V of minimum-norm random-features regression on a linear
    /// target (see the type's documentation). Returns +infinity at the interpolation threshold ψ₁ = ψ₂.
    /// - Parameters:
    ///   - psi1: N/d, features per input dimension.
    ///   - psi2: n/d, examples per input dimension.
    ///   - zeta: μ₁/μ★ of the activation (`reluZeta` for ReLU).
    ///   - signal: F₁² = ‖β‖².
    ///   - noiseVariance: τ².
    public static func ridgelessRisk(psi1: Double, psi2: Double, zeta: Double = reluZeta,
                                     signal f1Squared: Double, noiseVariance tau2: Double) -> RiskDecomposition {
        precondition(psi1 > 0 && psi2 > 0 && zeta > 0, "ridgelessRisk: ψ₁, ψ₂ and ζ must be positive")
        if psi1 == psi2 { return RiskDecomposition(bias: .infinity, variance: .infinity) }
        let z = zeta, z2 = z * z, z4 = z2 * z2, z6 = z4 * z2
        let psi = min(psi1, psi2)
        let a = psi * z2 - z2 - 1
        let chi = -(a + (a * a + 4 * psi * z2).squareRoot()) / (2 * z2)
        let c = chi, c2 = c * c, c3 = c2 * c, c4 = c3 * c, c5 = c4 * c
        let p1 = psi1, p2 = psi2, pp = p1 * p2
        let e0 = -c5 * z6 + 3 * c4 * z4 + (pp - p2 - p1 + 1) * c3 * z6 - 2 * c3 * z4 - 3 * c3 * z2
            + (p1 + p2 - 3 * pp + 1) * c2 * z4 + 2 * c2 * z2 + c2 + 3 * pp * c * z2 - pp
        let e1 = p2 * c3 * z4 - p2 * c2 * z2 + pp * c * z2 - pp
        let e2 = c5 * z6 - 3 * c4 * z4 + (p1 - 1) * c3 * z6 + 2 * c3 * z4 + 3 * c3 * z2
            + (-p1 - 1) * c2 * z4 - 2 * c2 * z2 - c2
        return RiskDecomposition(bias: f1Squared * e1 / e0, variance: tau2 * e2 / e0)
    }
}

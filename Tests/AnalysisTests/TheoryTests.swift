import XCTest
import Analysis

/// The closed-form theory curves against simulations. This target depends on Analysis only, so the
/// simulations carry their own generator (SplitMix64 + Box-Muller) and a Cholesky solver: an
/// independent computation, sharing no code with Linalg/Models.
///
/// Measured risk: for isotropic x, E_x[(xᵀβ̂ − xᵀβ)²] = ‖β̂ − β‖² exactly given the training data, so
/// each repetition contributes ‖β̂ − β‖² (+ ‖β_{>p}‖² when misspecified); the test compares the mean
/// over repetitions with the formula, in units of its standard error.
final class TheoryTests: XCTestCase {
    // MARK: simulation helpers

    struct Gen {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
        mutating func normal() -> Double {
            var u = uniform()
            while u <= 0 { u = uniform() }
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * uniform())
        }
    }

    /// Solves S x = b in place for symmetric positive definite S [k, k] (row-major), by Cholesky.
    static func choleskySolve(_ s: inout [Double], _ b: inout [Double], _ k: Int) {
        for j in 0..<k {
            var d = s[j * k + j]
            for t in 0..<j { d -= s[j * k + t] * s[j * k + t] }
            precondition(d > 0, "not positive definite")
            let l = d.squareRoot()
            s[j * k + j] = l
            for i in (j + 1)..<max(j + 1, k) {
                var v = s[i * k + j]
                for t in 0..<j { v -= s[i * k + t] * s[j * k + t] }
                s[i * k + j] = v / l
            }
        }
        for i in 0..<k {                                               // L z = b
            var v = b[i]
            for t in 0..<i { v -= s[i * k + t] * b[t] }
            b[i] = v / s[i * k + i]
        }
        for i in stride(from: k - 1, through: 0, by: -1) {             // Lᵀ x = z
            var v = b[i]
            for t in (i + 1)..<max(i + 1, k) { v -= s[t * k + i] * b[t] }
            b[i] = v / s[i * k + i]
        }
    }

    /// β̂ = argmin (1/n)‖y − Xβ‖² + λ‖β‖² (λ = 0: least squares / minimum-norm interpolant) for
    /// X [n, p] row-major, through the smaller Gram matrix.
    static func fit(_ x: [Double], _ y: [Double], n: Int, p: Int, lambda: Double) -> [Double] {
        if p <= n {                                                    // (XᵀX + nλI) β = Xᵀy
            var g = [Double](repeating: 0, count: p * p), r = [Double](repeating: 0, count: p)
            for i in 0..<n {
                let row = i * p
                for a in 0..<p {
                    let xa = x[row + a]
                    r[a] += xa * y[i]
                    for b in 0...a { g[a * p + b] += xa * x[row + b] }
                }
            }
            for a in 0..<p { for b in 0..<a { g[b * p + a] = g[a * p + b] }; g[a * p + a] += Double(n) * lambda }
            choleskySolve(&g, &r, p)
            return r
        } else {                                                       // β = Xᵀ (XXᵀ + nλI)⁻¹ y
            var g = [Double](repeating: 0, count: n * n), a = y
            for i in 0..<n {
                for j in 0...i {
                    var s = 0.0
                    for t in 0..<p { s += x[i * p + t] * x[j * p + t] }
                    g[i * n + j] = s; g[j * n + i] = s
                }
                g[i * n + i] += Double(n) * lambda
            }
            choleskySolve(&g, &a, n)
            var beta = [Double](repeating: 0, count: p)
            for i in 0..<n { for t in 0..<p { beta[t] += x[i * p + t] * a[i] } }
            return beta
        }
    }

    /// Mean and standard error over `reps` of the excess risk of the fit on the first p of d features,
    /// with y = xᵀβ + σε, x ~ N(0, I_d), β [d] given or (nil) a fresh uniformly random direction of
    /// norm √r2 in R^p per repetition (well-specified, d = p).
    static func simulate(n: Int, p: Int, beta fixedBeta: [Double]?, r2: Double, sigma: Double, lambda: Double,
                         reps: Int, gen: inout Gen) -> (mean: Double, se: Double) {
        var sum = 0.0, sum2 = 0.0
        for _ in 0..<reps {
            var beta: [Double]
            if let b = fixedBeta { beta = b } else {
                beta = (0..<p).map { _ in gen.normal() }
                let s = (r2 / beta.reduce(0) { $0 + $1 * $1 }).squareRoot()
                beta = beta.map { $0 * s }
            }
            let d = beta.count
            var x = [Double](repeating: 0, count: n * p), y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var dot = 0.0
                for j in 0..<d {
                    let v = gen.normal()
                    if j < p { x[i * p + j] = v }
                    dot += v * beta[j]
                }
                y[i] = dot + sigma * gen.normal()
            }
            let bh = fit(x, y, n: n, p: p, lambda: lambda)
            var risk = 0.0
            for j in 0..<d { let e = (j < p ? bh[j] : 0) - beta[j]; risk += e * e }
            sum += risk; sum2 += risk * risk
        }
        let mean = sum / Double(reps)
        let variance = max(0, (sum2 - Double(reps) * mean * mean) / Double(reps - 1))
        return (mean, (variance / Double(reps)).squareRoot())
    }

    // MARK: exact finite-sample minimum-norm risk

    /// Well-specified, n = 40, r² = 1, σ² = 0.25, 2000 repetitions per p; every p has |p − n| >= 5.
    /// Passes when the mean measured risk is within 3 standard errors of the exact formula at every p;
    /// the same data reject the asymptotic formula (power check), so the test can fail.
    func testMinimumNormExactRiskMatchesSimulation() {
        let n = 40, r2 = 1.0, sigma = 0.5, reps = 2000
        var gen = Gen(state: 20190319)
        var worstZ = 0.0, asymptoticRejected = false
        var lines: [String] = []
        for p in [2, 5, 10, 15, 20, 25, 30, 35, 45, 50, 60, 80, 120, 200] {
            let exact = LinearRegressionTheory.minimumNormRisk(n: n, p: p, betaNormSquared: r2, noiseVariance: sigma * sigma).risk
            let sim = Self.simulate(n: n, p: p, beta: nil, r2: r2, sigma: sigma, lambda: 0, reps: reps, gen: &gen)
            let z = (sim.mean - exact) / sim.se
            worstZ = max(worstZ, abs(z))
            let asym = LinearRegressionTheory.minimumNormAsymptoticRisk(gamma: Double(p) / Double(n), betaNormSquared: r2,
                                                                       noiseVariance: sigma * sigma).risk
            if abs(sim.mean - asym) > 3 * sim.se { asymptoticRejected = true }
            lines.append(String(format: "p=%3d exact %.4f measured %.4f ± %.4f (z = %+.2f)", p, exact, sim.mean, sim.se, z))
            XCTAssertLessThan(abs(z), 3, "p = \(p): measured \(sim.mean) ± \(sim.se), exact \(exact)")
        }
        print("min-norm exact risk vs simulation (n = \(n), \(reps) reps), worst |z| = \(worstZ)\n" + lines.joined(separator: "\n"))
        XCTAssertTrue(asymptoticRejected, "the simulation should be precise enough to tell the exact formula from the asymptotic one")
    }

    /// Misspecified: one d = 120 model with evenly spread β (‖β‖² = 1), the fit sees the first p.
    func testMinimumNormMisspecifiedRiskMatchesSimulation() {
        let n = 30, d = 120, sigma = 0.5, reps = 1500
        let beta = [Double](repeating: 1 / Double(d).squareRoot(), count: d)
        var gen = Gen(state: 7)
        for p in [5, 15, 25, 35, 45, 60, 120] {
            let seen = beta.prefix(p).reduce(0) { $0 + $1 * $1 }, missed = 1 - seen
            let exact = LinearRegressionTheory.minimumNormRisk(n: n, p: p, signalSeen: seen, signalMissed: missed,
                                                               noiseVariance: sigma * sigma).risk
            let sim = Self.simulate(n: n, p: p, beta: beta, r2: 1, sigma: sigma, lambda: 0, reps: reps, gen: &gen)
            XCTAssertLessThan(abs(sim.mean - exact), 3 * sim.se, "misspecified p = \(p): measured \(sim.mean) ± \(sim.se), exact \(exact)")
        }
    }

    func testMinimumNormRiskShape() {
        let r = { (p: Int) in LinearRegressionTheory.minimumNormRisk(n: 100, p: p, betaNormSquared: 1, noiseVariance: 1) }
        XCTAssertEqual(r(0).risk, 0)
        XCTAssertEqual(r(50).variance, 50.0 / 49.0, accuracy: 1e-15)
        XCTAssertEqual(r(200).bias, 0.5, accuracy: 1e-15)
        XCTAssertEqual(r(200).variance, 100.0 / 99.0, accuracy: 1e-15)
        for p in [99, 100, 101] { XCTAssertEqual(r(p).risk, .infinity) }
        // The finite-sample formula tends to the asymptotic one as n grows at fixed γ.
        for gamma in [0.5, 2.0] {
            let n = 1_000_000, p = Int(gamma * Double(n))
            let finite = LinearRegressionTheory.minimumNormRisk(n: n, p: p, betaNormSquared: 2, noiseVariance: 0.5).risk
            let limit = LinearRegressionTheory.minimumNormAsymptoticRisk(gamma: gamma, betaNormSquared: 2, noiseVariance: 0.5).risk
            XCTAssertEqual(finite, limit, accuracy: 1e-5)
        }
    }

    // MARK: asymptotic ridge risk

    /// The Marchenko-Pastur Stieltjes transform against a direct quadrature of the MP density
    /// (s = (a+b)/2 + (b−a)/2 cos θ removes the square-root end points), plus the atom at 0 for γ > 1.
    func testMarchenkoPasturStieltjesMatchesQuadrature() {
        for gamma in [0.3, 0.5, 1.0, 2.0, 4.0] {
            let a = (1 - gamma.squareRoot()) * (1 - gamma.squareRoot()), b = (1 + gamma.squareRoot()) * (1 + gamma.squareRoot())
            for lambda in [0.01, 0.1, 1.0, 10.0] {
                let steps = 20000
                var integral = 0.0
                for i in 0..<steps {
                    let theta = (Double(i) + 0.5) * Double.pi / Double(steps)
                    let s = (a + b) / 2 + (b - a) / 2 * Foundation.cos(theta)
                    let density = ((b - s) * (s - a)).squareRoot() / (2 * Double.pi * gamma * s)
                    integral += density / (s + lambda) * (b - a) / 2 * Foundation.sin(theta) * Double.pi / Double(steps)
                }
                if gamma > 1 { integral += (1 - 1 / gamma) / lambda }
                let m = LinearRegressionTheory.marchenkoPasturStieltjes(gamma: gamma, lambda: lambda)
                XCTAssertEqual(m, integral, accuracy: 1e-6 * max(1, m), "γ = \(gamma), λ = \(lambda)")
                // Derivative against a central difference (m'(−λ) = −d/dλ m(−λ)).
                let h = 1e-5 * lambda
                let fd = -(LinearRegressionTheory.marchenkoPasturStieltjes(gamma: gamma, lambda: lambda + h)
                           - LinearRegressionTheory.marchenkoPasturStieltjes(gamma: gamma, lambda: lambda - h)) / (2 * h)
                XCTAssertEqual(LinearRegressionTheory.marchenkoPasturStieltjesDerivative(gamma: gamma, lambda: lambda), fd,
                               accuracy: 1e-5 * max(1, abs(fd)), "γ = \(gamma), λ = \(lambda)")
            }
        }
    }

    /// Ridge at γ = 0.5 and 2 (n = 200: p = 100 and 400), λ = 0.1 and 1, r² = 1, σ² = 0.25, 150
    /// repetitions. The formula is a limit, so the tolerance is 3 standard errors plus 1.5 % for the
    /// finite-n bias (measured deviations are printed; the tolerance is well below the size of any
    /// wrong term: the λ → 0 value or swapping γ changes the risk by > 20 %).
    func testRidgeAsymptoticRiskMatchesSimulation() {
        let n = 200, r2 = 1.0, sigma = 0.5, reps = 150
        var gen = Gen(state: 2018)
        for gamma in [0.5, 2.0] {
            for lambda in [0.1, 1.0] {
                let p = Int(gamma * Double(n))
                let theory = LinearRegressionTheory.ridgeAsymptoticRisk(gamma: gamma, lambda: lambda, betaNormSquared: r2,
                                                                        noiseVariance: sigma * sigma).risk
                let sim = Self.simulate(n: n, p: p, beta: nil, r2: r2, sigma: sigma, lambda: lambda, reps: reps, gen: &gen)
                print(String(format: "ridge γ=%.1f λ=%.1f theory %.4f measured %.4f ± %.4f (rel. dev %+.2f%%)",
                             gamma, lambda, theory, sim.mean, sim.se, 100 * (sim.mean / theory - 1)))
                XCTAssertLessThan(abs(sim.mean - theory), 3 * sim.se + 0.015 * theory,
                                  "γ = \(gamma), λ = \(lambda): measured \(sim.mean) ± \(sim.se), theory \(theory)")
            }
        }
    }

    func testRidgeLimitsAndOptimum() {
        for gamma in [0.25, 0.5, 2.0, 5.0] {
            let ridgeless = LinearRegressionTheory.minimumNormAsymptoticRisk(gamma: gamma, betaNormSquared: 1, noiseVariance: 0.5)
            let tiny = LinearRegressionTheory.ridgeAsymptoticRisk(gamma: gamma, lambda: 1e-7, betaNormSquared: 1, noiseVariance: 0.5)
            XCTAssertEqual(tiny.bias, ridgeless.bias, accuracy: 1e-4)
            XCTAssertEqual(tiny.variance, ridgeless.variance, accuracy: 1e-4)
            // λ* = σ²γ/r² minimizes the risk over a grid.
            let star = LinearRegressionTheory.optimalRidgeLambda(gamma: gamma, betaNormSquared: 1, noiseVariance: 0.5)
            let best = LinearRegressionTheory.ridgeAsymptoticRisk(gamma: gamma, lambda: star, betaNormSquared: 1, noiseVariance: 0.5).risk
            for f in [0.5, 0.8, 0.95, 1.05, 1.25, 2.0] {
                XCTAssertGreaterThan(LinearRegressionTheory.ridgeAsymptoticRisk(gamma: gamma, lambda: star * f, betaNormSquared: 1,
                                                                                noiseVariance: 0.5).risk, best)
            }
            // Large λ: β̂ → 0, risk → r².
            XCTAssertEqual(LinearRegressionTheory.ridgeAsymptoticRisk(gamma: gamma, lambda: 1e7, betaNormSquared: 1, noiseVariance: 0.5).risk,
                           1, accuracy: 1e-5)
        }
    }

    // MARK: random-features ridgeless asymptotics (Mei and Montanari 2019)

    /// Transcription check against values computed independently (NumPy) from the same formula.
    func testRandomFeaturesFormulaValues() {
        let cases: [(psi1: Double, risk: Double)] = [(0.5, 0.8600), (1.0, 0.7969), (2.0, 1.1849), (4.0, 1.2930), (6.0, 0.5032), (10.0, 0.2776)]
        for c in cases {
            let r = RandomFeaturesTheory.ridgelessRisk(psi1: c.psi1, psi2: 3, signal: 1, noiseVariance: 0.25).risk
            XCTAssertEqual(r, c.risk, accuracy: 1e-4, "ψ₁ = \(c.psi1)")
        }
        XCTAssertEqual(RandomFeaturesTheory.ridgelessRisk(psi1: 3, psi2: 3, signal: 1, noiseVariance: 0.25).risk, .infinity)
        XCTAssertEqual(RandomFeaturesTheory.reluZeta, 1.658897, accuracy: 1e-6)    // 0.5 / √(1/4 − 1/(2π))
    }

    /// A small simulation of the Mei-Montanari setting: d = 100, n = 300 (ψ₂ = 3), centered ReLU
    /// features, inputs and weights uniform on the sphere of radius √d, F₁² = 1, τ² = 0.25, 12
    /// repetitions with 1000 test points each. Tolerance: 3 standard errors plus 4 % (finite-d bias;
    /// NumPy runs at d = 100 and 300 deviated by at most 3 %).
    func testRandomFeaturesRidgelessRiskMatchesSimulation() {
        let d = 100, n = 300, tau = 0.5, reps = 12, nTest = 1000
        var gen = Gen(state: 1908_05355)
        func sphere(_ m: Int) -> [Double] {                          // [m, d], rows of norm √d
            var out = [Double](repeating: 0, count: m * d)
            for i in 0..<m {
                var s = 0.0
                for j in 0..<d { let g = gen.normal(); out[i * d + j] = g; s += g * g }
                let f = (Double(d) / s).squareRoot()
                for j in 0..<d { out[i * d + j] *= f }
            }
            return out
        }
        func features(_ x: [Double], _ m: Int, _ theta: [Double], _ nf: Int) -> [Double] {   // [m, N]
            var phi = [Double](repeating: 0, count: m * nf)
            let s = 1 / Double(d).squareRoot()
            for i in 0..<m {
                for a in 0..<nf {
                    var dot = 0.0
                    for j in 0..<d { dot += x[i * d + j] * theta[a * d + j] }
                    phi[i * nf + a] = max(dot * s, 0) - RandomFeaturesTheory.reluMu0
                }
            }
            return phi
        }
        for nf in [50, 200, 600] {
            var sum = 0.0, sum2 = 0.0
            for _ in 0..<reps {
                let x = sphere(n), xt = sphere(nTest), theta = sphere(nf)
                var beta = (0..<d).map { _ in gen.normal() }
                let norm = beta.reduce(0) { $0 + $1 * $1 }.squareRoot()
                beta = beta.map { $0 / norm }                          // F₁² = 1
                let y = (0..<n).map { i in (0..<d).reduce(0.0) { $0 + x[i * d + $1] * beta[$1] } + tau * gen.normal() }
                let a = Self.fit(features(x, n, theta, nf), y, n: n, p: nf, lambda: 0)
                let phiT = features(xt, nTest, theta, nf)
                var err = 0.0
                for i in 0..<nTest {
                    var f = 0.0, t = 0.0
                    for k in 0..<nf { f += phiT[i * nf + k] * a[k] }
                    for j in 0..<d { t += xt[i * d + j] * beta[j] }
                    err += (f - t) * (f - t)
                }
                err /= Double(nTest)
                sum += err; sum2 += err * err
            }
            let mean = sum / Double(reps)
            let se = (max(0, (sum2 - Double(reps) * mean * mean) / Double(reps - 1)) / Double(reps)).squareRoot()
            let theory = RandomFeaturesTheory.ridgelessRisk(psi1: Double(nf) / Double(d), psi2: Double(n) / Double(d),
                                                            signal: 1, noiseVariance: tau * tau).risk
            print(String(format: "random features N=%d (ψ₁=%.1f) theory %.4f measured %.4f ± %.4f (rel. dev %+.1f%%)",
                         nf, Double(nf) / Double(d), theory, mean, se, 100 * (mean / theory - 1)))
            XCTAssertLessThan(abs(mean - theory), 3 * se + 0.04 * theory, "N = \(nf): measured \(mean) ± \(se), theory \(theory)")
        }
    }
}

import Foundation

// Two measures of the training loss's geometry around the current weights, written against any loss
// given as a function of a flat parameter vector (the trainer supplies its own in Probes.swift):
//
// Hessian's top eigenvalue (sharpness in the sense of Keskar et al. 2017 and Cohen et al. 2021): power
//   iteration v ← Hv / ‖Hv‖ with the Rayleigh quotient λ = vᵀHv, from a seeded Gaussian start, where
//   Hv ≈ (∇L(θ + h v) − ∇L(θ − h v)) / 2h for a unit v (central differences of gradients, exact for a
//   quadratic loss up to rounding). It converges to the eigenvalue of largest magnitude; stops when λ
//   moves by less than `tolerance` · |λ| between iterations, or after `iterations`.
//
// Local learning coefficient (Lau et al. 2023; Watanabe's RLCT at a local minimum, devinterp's
//   estimator): with n training examples, β = 1 / log n and localization γ, SGLD chains started at w*
//   sample exp(−nβ L(w) − γ/2 ‖w − w*‖²):
//     w ← w − (ε/2) (nβ ∇L(w) + γ (w − w*)) + N(0, ε I),
//   and λ̂ = nβ (E[L(w)] − L(w*)), the expectation over each chain's draws after its burn-in. The estimate
//   is the mean over chains, with the standard error of that mean; a chain whose loss or weights stop
//   being finite, or whose loss rises above 100 × (1 + L(w*)), diverged (ε too large) and is left out
//   and counted. For a regular model with d parameters λ = d/2; singular models have less (for the
//   product a·b fitted to 0, 1/2 rather than 1).

import Foundation
import Linalg

public struct PowerIterationResult: Codable, Sendable {
    public var value: Double
    public var iterations: Int
    public var converged: Bool
}

/// The largest-magnitude eigenvalue of the symmetric operator `multiply` on R^n (file header).
public func powerIteration(dimension n: Int, iterations: Int = 30, tolerance: Double = 1e-3, rng: RNG,
                           shouldStop: () -> Bool = { false }, multiply: ([Double]) -> [Double]) -> PowerIterationResult {
    precondition(n > 0 && iterations > 0)
    var r = rng
    var v = (0..<n).map { _ in r.normal() }
    normalize(&v)
    var value = 0.0
    for k in 1...iterations {
        if shouldStop() { return PowerIterationResult(value: .nan, iterations: k - 1, converged: false) }
        let w = multiply(v)
        let next = zip(v, w).reduce(0) { $0 + $1.0 * $1.1 }
        let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0, norm.isFinite else { return PowerIterationResult(value: next.isFinite ? next : .nan, iterations: k, converged: norm == 0) }
        v = w.map { $0 / norm }
        if k > 1, abs(next - value) <= tolerance * abs(next) { return PowerIterationResult(value: next, iterations: k, converged: true) }
        value = next
    }
    return PowerIterationResult(value: value, iterations: iterations, converged: false)
}

/// Hv ≈ (∇L(θ + h v) − ∇L(θ − h v)) / 2h for a unit vector v.
public func hessianVectorProduct(at theta: [Double], direction v: [Double], step h: Double,
                                 gradient: ([Double]) -> [Double]) -> [Double] {
    precondition(theta.count == v.count && h > 0)
    let plus = gradient(zip(theta, v).map { $0 + h * $1 })
    let minus = gradient(zip(theta, v).map { $0 - h * $1 })
    return zip(plus, minus).map { ($0 - $1) / (2 * h) }
}

public struct LocalLearningCoefficient: Codable, Sendable {
    /// λ̂, the mean over the chains that did not diverge (nil when all did).
    public var value: Double?
    /// The standard error of that mean (nil with fewer than two chains).
    public var standardError: Double?
    /// Each chain's estimate (nil for a chain that diverged).
    public var chains: [Double?]
    public var diverged: Int
    public var n: Int
    public var beta: Double
    public var gamma: Double
    public var epsilon: Double
    public var steps: Int
    public var burnIn: Int
}

/// The local learning coefficient at `w0` by SGLD (file header). `loss` gives the mean training loss
/// (a negative log-likelihood per example) and its gradient at a parameter vector. Nil when `shouldStop`
/// said to give up (checked before every SGLD step); a power iteration told to stop returns NaN.
public func localLearningCoefficient(at w0: [Double], n: Int, beta: Double? = nil, gamma: Double = 100,
                                     epsilon: Double = 1e-4, chains: Int = 4, steps: Int = 200, burnIn: Int = 50,
                                     rng: RNG, shouldStop: () -> Bool = { false },
                                     loss: ([Double]) -> (value: Double, gradient: [Double])) -> LocalLearningCoefficient? {
    precondition(n > 1 && chains > 0 && steps > burnIn && burnIn >= 0 && epsilon > 0 && gamma >= 0)
    let b = beta ?? 1 / log(Double(n))
    let nb = Double(n) * b
    let base = loss(w0).value
    let noise = epsilon.squareRoot()
    var estimates: [Double?] = []
    for c in 0..<chains {
        var r = rng.split("chain \(c)")
        var w = w0
        var sum = 0.0, count = 0
        var ok = base.isFinite
        var (value, gradient) = loss(w)
        for t in 0..<steps where ok {
            if shouldStop() { return nil }
            for i in w.indices {
                w[i] -= epsilon / 2 * (nb * gradient[i] + gamma * (w[i] - w0[i]))
                w[i] += noise * r.normal()
            }
            (value, gradient) = loss(w)
            guard value.isFinite, value <= 100 * (1 + abs(base)), w.allSatisfy(\.isFinite) else { ok = false; break }
            if t >= burnIn { sum += value; count += 1 }
        }
        estimates.append(ok && count > 0 ? nb * (sum / Double(count) - base) : nil)
    }
    let good = estimates.compactMap { $0 }
    let mean = good.isEmpty ? nil : good.reduce(0, +) / Double(good.count)
    var se: Double? = nil
    if let mean, good.count >= 2 {
        let variance = good.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(good.count - 1)
        se = (variance / Double(good.count)).squareRoot()
    }
    return LocalLearningCoefficient(value: mean, standardError: se, chains: estimates, diverged: estimates.count - good.count,
                                    n: n, beta: b, gamma: gamma, epsilon: epsilon, steps: steps, burnIn: burnIn)
}

private func normalize(_ v: inout [Double]) {
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    if norm > 0 { for i in v.indices { v[i] /= norm } }
}

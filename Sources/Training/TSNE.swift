// t-SNE (van der Maaten and Hinton 2008), exact: a 2-D picture of the learned embeddings that keeps
// neighbourhoods, beside the linear PCA projection. The embeddings of a modular task are a few hundred
// points at most, so the O(n²) gradient costs milliseconds. Deterministic under its seed.
import Foundation
import Linalg

public struct TSNEResult {
    public let points: [(Double, Double)]
    /// KL(P ‖ Q) at the end: how much of the neighbourhood structure the map lost (0 is perfect).
    public let klDivergence: Double
}

/// The symmetric affinities P of X [n, d]: each row's Gaussian bandwidth set by bisection so that its
/// conditional distribution has perplexity `perplexity`, then P = (P_{j|i} + P_{i|j}) / 2n.
public func tsneAffinities(_ x: [Double], rows n: Int, cols d: Int, perplexity: Double) -> [Double] {
    precondition(x.count == n * d && n >= 2, "tsneAffinities: \(x.count) values for [\(n), \(d)]")
    var dist = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in (i + 1)..<n {
            var s = 0.0
            for k in 0..<d { let t = x[i * d + k] - x[j * d + k]; s += t * t }
            dist[i * n + j] = s; dist[j * n + i] = s
        }
    }
    let target = log(min(perplexity, Double(n - 1)))
    var cond = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        // Distances relative to the nearest neighbour keep exp() in range whatever the scale of X.
        let others = (0..<n).filter { $0 != i }
        let dmin = others.map { dist[i * n + $0] }.min() ?? 0
        var lo = 0.0, hi = Double.infinity, beta = 1.0
        let scale = max(others.map { dist[i * n + $0] - dmin }.reduce(0, +) / Double(others.count), 1e-300)
        beta = 1 / scale
        var row = [Double](repeating: 0, count: n)
        for _ in 0..<200 {
            var sum = 0.0, weighted = 0.0
            for j in others {
                let dj = dist[i * n + j] - dmin
                let e = exp(-beta * dj)
                row[j] = e; sum += e; weighted += e * dj
            }
            // Entropy of the row: H = log Σ + β Σ p_j d_j.
            let h = log(sum) + beta * weighted / sum
            for j in others { row[j] /= sum }
            // Equidistant neighbours: the row is uniform whatever the bandwidth.
            if abs(h - target) < 1e-10 || weighted == 0 { break }
            if h > target { lo = beta; beta = hi.isInfinite ? beta * 2 : (beta + hi) / 2 } else { hi = beta; beta = (beta + lo) / 2 }
        }
        for j in 0..<n { cond[i * n + j] = row[j] }
    }
    var p = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n where i != j { p[i * n + j] = max((cond[i * n + j] + cond[j * n + i]) / (2 * Double(n)), 1e-300) } }
    return p
}

/// KL(P ‖ Q) of the map Y [n, 2] and its gradient with respect to Y (Student-t kernel, one degree of freedom).
public func tsneObjective(affinities p: [Double], map y: [Double], count n: Int) -> (kl: Double, gradient: [Double]) {
    var w = [Double](repeating: 0, count: n * n)
    var z = 0.0
    for i in 0..<n {
        for j in (i + 1)..<n {
            let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
            let v = 1 / (1 + dx * dx + dy * dy)
            w[i * n + j] = v; w[j * n + i] = v; z += 2 * v
        }
    }
    var kl = 0.0
    var grad = [Double](repeating: 0, count: 2 * n)
    for i in 0..<n {
        for j in 0..<n where j != i {
            let q = max(w[i * n + j] / z, 1e-300)
            let pij = p[i * n + j]
            if pij > 1e-300 { kl += pij * log(pij / q) }
            let f = 4 * (pij - q) * w[i * n + j]
            grad[2 * i] += f * (y[2 * i] - y[2 * j])
            grad[2 * i + 1] += f * (y[2 * i + 1] - y[2 * j + 1])
        }
    }
    return (kl, grad)
}

/// The usual optimization: early exaggeration ×12 for the first 250 iterations, momentum 0.5 then 0.8,
/// per-coordinate gains, 1000 iterations; the map is centred and starts from N(0, 10⁻⁴ I) drawn from `rng`.
public func tsne(_ x: [Double], rows n: Int, cols d: Int, perplexity: Double = 30, iterations: Int = 1000, rng: RNG) -> TSNEResult {
    precondition(n >= 4, "tsne: at least 4 points")
    let p = tsneAffinities(x, rows: n, cols: d, perplexity: perplexity)
    var r = rng
    var y = (0..<(2 * n)).map { _ in 1e-2 * r.normal() }
    var velocity = [Double](repeating: 0, count: 2 * n)
    var gains = [Double](repeating: 1, count: 2 * n)
    let rate = max(Double(n) / 12, 50)
    let exaggerated = p.map { $0 * 12 }
    for it in 0..<iterations {
        let early = it < 250
        let g = tsneObjective(affinities: early ? exaggerated : p, map: y, count: n).gradient
        let momentum = it < 250 ? 0.5 : 0.8
        for c in 0..<(2 * n) {
            gains[c] = (g[c] > 0) != (velocity[c] > 0) ? gains[c] + 0.2 : max(gains[c] * 0.8, 0.01)
            velocity[c] = momentum * velocity[c] - rate * gains[c] * g[c]
            y[c] += velocity[c]
        }
        for axis in 0..<2 {
            let mean = stride(from: axis, to: 2 * n, by: 2).map { y[$0] }.reduce(0, +) / Double(n)
            for c in stride(from: axis, to: 2 * n, by: 2) { y[c] -= mean }
        }
    }
    return TSNEResult(points: (0..<n).map { (y[2 * $0], y[2 * $0 + 1]) }, klDivergence: tsneObjective(affinities: p, map: y, count: n).kl)
}

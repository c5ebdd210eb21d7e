// Probes of what a network has learned, for the modular tasks (Nanda et al. 2023; Power et al. 2022):
// the Fourier spectrum of the operand embeddings, a 2-D projection of them, and a sharpness estimate.
import Foundation
import Linalg
import Models

/// The share of the embeddings' power at each frequency k = 0 ... ⌊p/2⌋ of the discrete Fourier
/// transform over the operand index x (E is [p, C]): power_k = Σ_c |Σ_x E[x,c] e^{−2πikx/p}|², with
/// k and p − k folded together (they carry the same real signal). The shares sum to 1 (Parseval).
public func embeddingSpectrum(_ embeddings: [Double], p: Int, C: Int) -> [Double] {
    precondition(embeddings.count == p * C && p >= 2, "embeddingSpectrum: \(embeddings.count) values for [\(p), \(C)]")
    var power = [Double](repeating: 0, count: p / 2 + 1)
    // cos and sin of −2πj/p for each residue j = k·x mod p, once (the same values the loop would compute).
    let cosines = (0..<p).map { cos(-2 * Double.pi * Double($0) / Double(p)) }, sines = (0..<p).map { sin(-2 * Double.pi * Double($0) / Double(p)) }
    for k in 0..<p {
        var total = 0.0
        for c in 0..<C {
            var re = 0.0, im = 0.0
            for x in 0..<p {
                let j = k * x % p
                re += embeddings[x * C + c] * cosines[j]
                im += embeddings[x * C + c] * sines[j]
            }
            total += re * re + im * im
        }
        power[min(k, p - k)] += total
    }
    let sum = power.reduce(0, +)
    return sum > 0 ? power.map { $0 / sum } : power
}

/// The share of non-constant power (k ≥ 1) in the `n` strongest frequencies, and those frequencies.
public func topFrequencies(_ spectrum: [Double], count n: Int) -> (share: Double, frequencies: [Int]) {
    let nonDC = Array(spectrum.dropFirst())
    let total = nonDC.reduce(0, +)
    let order = nonDC.indices.sorted { nonDC[$0] > nonDC[$1] }.prefix(n)
    let share = total > 0 ? order.map { nonDC[$0] }.reduce(0, +) / total : 0
    return (share, order.map { $0 + 1 })
}

/// The Gini coefficient of the non-constant power (k ≥ 1) over the frequencies: Σ_i Σ_j |s_i − s_j| / (2 m Σ s)
/// for the m shares s; 0 when every frequency has the same power, (m − 1)/m when one has it all.
public func spectrumGini(_ spectrum: [Double]) -> Double {
    let s = Array(spectrum.dropFirst()).sorted(), m = Double(s.count), total = s.reduce(0, +)
    guard s.count >= 1, total > 0 else { return 0 }
    // With the shares sorted ascending, Σ_i Σ_j |s_i − s_j| = 2 Σ_i (2i − m + 1) s_i (i from 0).
    let weighted = s.enumerated().reduce(0) { $0 + (2 * Double($1.offset) - m + 1) * $1.element }
    return weighted / (m * total)
}

/// The rows of E [p, C] projected on the plane of one frequency k: the unit vectors along
/// a_c = Σ_x E[x,c] cos(2πkx/p) and b_c = Σ_x E[x,c] sin(2πkx/p). Embeddings that use frequency k
/// (Nanda et al. 2023) put operand x at angle 2πkx/p on a circle in this plane; others give a cloud.
public func fourierPlaneProjection(_ embeddings: [Double], p: Int, C: Int, frequency k: Int) -> [(Double, Double)] {
    precondition(embeddings.count == p * C && p >= 2)
    var a = [Double](repeating: 0, count: C), b = [Double](repeating: 0, count: C)
    for x in 0..<p {
        let angle = 2 * Double.pi * Double(k * x % p) / Double(p)
        for c in 0..<C { a[c] += embeddings[x * C + c] * cos(angle); b[c] += embeddings[x * C + c] * sin(angle) }
    }
    let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    // A direction with no power at k (relative to the embeddings' scale) is rounding noise: leave it out.
    let floor = 1e-9 * embeddings.reduce(0) { $0 + $1 * $1 }.squareRoot() * Double(p).squareRoot()
    return (0..<p).map { x in
        var u = 0.0, v = 0.0
        for c in 0..<C { u += embeddings[x * C + c] * a[c]; v += embeddings[x * C + c] * b[c] }
        return (na > floor ? u / na : 0, nb > floor ? v / nb : 0)
    }
}

/// The rows of X [n, d] projected on its first two principal components (the covariance's leading
/// eigenvectors, from LAPACK's symmetric eigen-solver), and the share of variance they explain.
public func principalComponents2(_ x: [Double], rows n: Int, cols d: Int) throws -> (points: [(Double, Double)], explained: Double) {
    precondition(x.count == n * d && n >= 2 && d >= 2)
    var mean = [Double](repeating: 0, count: d)
    for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] / Double(n) } }
    var cov = Matrix<Double>(rows: d, cols: d)
    for i in 0..<n {
        for a in 0..<d {
            let xa = x[i * d + a] - mean[a]
            for b in 0..<d { cov.data[a * d + b] += xa * (x[i * d + b] - mean[b]) }
        }
    }
    let (values, vectors) = try symmetricEigen(cov)          // ascending eigenvalues, eigenvectors in columns
    let top = [d - 1, d - 2]
    let total = values.reduce(0, +)
    let points = (0..<n).map { i -> (Double, Double) in
        var pc = [0.0, 0.0]
        for (slot, col) in top.enumerated() { for j in 0..<d { pc[slot] += (x[i * d + j] - mean[j]) * vectors.data[j * d + col] } }
        return (pc[0], pc[1])
    }
    return (points, total > 0 ? (values[d - 1] + values[d - 2]) / total : 0)
}

extension Trainer {
    /// Sharpness: the mean increase of the training loss when every parameter tensor θ_t is moved by a
    /// random direction u_t of norm `relative` · ‖θ_t‖ (Gaussian direction, normalized), over `samples`
    /// draws from `rng` (so the estimate is reproducible under a seed). Flat solutions score low.
    /// The parameters are restored afterwards.
    public func sharpness(relative: Double, samples: Int, rng: RNG) -> Double {
        let store = model.store
        let saved = store.valueArray
        let base = evaluate(data.train).meanLoss
        var r = rng
        var total = 0.0
        for _ in 0..<samples {
            for v in store.layout.views {
                let p = store.value(v)
                let norm = store.norm(v)
                var u = (0..<v.count).map { _ in r.normal() }
                let un = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard un > 0 else { continue }
                for i in 0..<v.count { u[i] *= relative * norm / un; p[i] += T(u[i]) }
            }
            total += evaluate(data.train).meanLoss - base
            store.load(saved)
        }
        return total / Double(samples)
    }
}

extension Trainer {
    /// The mean training loss and its gradient (in Double, in the store's layout) at `theta`, or at the
    /// current parameters when nil: the whole training set, without dropout, transforms or weight decay.
    /// The parameters and their gradients are left as they were.
    public func trainingLossAndGradient(at theta: [Double]? = nil) -> (value: Double, gradient: [Double]) {
        let store = model.store
        let saved = store.valueArray, savedGrads = store.gradArray
        if let theta { store.load(theta.map { T($0) }) }
        defer { store.load(saved); store.grads.update(from: savedGrads, count: savedGrads.count) }
        let split = data.train, N = split.count
        var gradient = [Double](repeating: 0, count: store.count)
        var total = LossSums()
        onTeam {
            var start = 0
            while start < N {
                let n = min(model.capacity, N - start)
                let input = split.batch(from: start, count: n)
                let logits = model.forward(input)
                total.add(loss(logits: logits, labels: split.labels + start, B: n, dlogits: dlogits))
                store.zeroGrads()
                model.backward(input, dlogits: dlogits)
                // dlogits were scaled by 1/n: weigh this chunk's mean gradient by n/N.
                let w = Double(n) / Double(N)
                for i in 0..<store.count { gradient[i] += w * Double(store.grads[i]) }
                start += n
            }
        }
        return (total.meanLoss, gradient)
    }

    /// The training loss's Hessian top eigenvalue at the current parameters (Curvature.swift): power
    /// iteration on central differences of `trainingLossAndGradient`, with step h = `relativeStep` · ‖θ‖.
    public func hessianTopEigenvalue(iterations: Int, relativeStep: Double, tolerance: Double = 1e-3, rng: RNG) -> PowerIterationResult {
        let theta = model.store.valueArray.map { Double($0) }
        let norm = theta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let h = relativeStep * max(norm, 1)
        return powerIteration(dimension: theta.count, iterations: iterations, tolerance: tolerance, rng: rng,
                              shouldStop: { self.stopRequested?() ?? false }) { v in
            hessianVectorProduct(at: theta, direction: v, step: h) { self.trainingLossAndGradient(at: $0).gradient }
        }
    }

    /// The local learning coefficient at the current parameters (Curvature.swift), with the full training
    /// set's loss and gradient, n = the training set's size; nil when a stop was asked for during it.
    public func localLearningCoefficient(gamma: Double, epsilon: Double, chains: Int, steps: Int, burnIn: Int, rng: RNG) -> LocalLearningCoefficient? {
        let w0 = model.store.valueArray.map { Double($0) }
        return Training.localLearningCoefficient(at: w0, n: data.train.count, gamma: gamma, epsilon: epsilon, chains: chains,
                                                 steps: steps, burnIn: burnIn, rng: rng, shouldStop: { self.stopRequested?() ?? false }) {
            self.trainingLossAndGradient(at: $0)
        }
    }
}

// Gradient descent on least squares: the steps axis of the linear family, whose epoch-wise double
// descent has an exact expected curve (Heckel and Yilmaz 2020, "Early stopping in deep networks:
// double descent and how to eliminate it"; Pezeshki et al. 2021, "Multi-scale feature learning dynamics").
//
// Shapes: n examples, d features; x [n, d], y [n], β [d]; Σ̂ = xᵀx/n [d, d], b = xᵀy/n [d].
//
// The loss is the mean squared error (1/n)‖y − xβ‖² (Loss.swift's mse with one output), its gradient
// 2(Σ̂β − b); a full-batch step with learning rate η is β ← β − 2η(Σ̂β − b), from β₀ = 0. Computing the
// gradient through Σ̂ and b is exact algebra (O(d²) a step instead of O(nd)).
//
// The exact expected risk of step t, given the design x (Heckel and Yilmaz 2020, section 3): with
// y = xβ* + σε, Σ̂ = V diag(λ) Vᵀ and a_i = (1 − 2ηλ_i)^t,
//   β_t − β* = −V diag(a) Vᵀβ* + V diag((1 − a_i)/λ_i) Vᵀ (xᵀε/n)      (λ_i > 0; xᵀε has no part where λ_i = 0)
// and for fresh x ~ N(0, D), D = diag(s²), the excess risk R(t) = (β_t − β*)ᵀ D (β_t − β*) has, over the
// noise ε ~ N(0, I_n) (Cov(xᵀε/n) = σ²Σ̂/n),
//   E R(t) = ‖D^{1/2} V diag(a) Vᵀβ*‖² + (σ²/n) Σ_{λ_i > 0} (1 − a_i)² / λ_i · (VᵀDV)_ii.
// Every direction i trades its bias (falling as a_i²) for its share of the noise (rising as (1 − a_i)²):
// a U over time whose time scale is 1/(2ηλ_i). Directions of large scale are fitted first; when they
// carry little signal per direction next to σ²/n, their U rises before the slow, informative directions
// are learned, and the sum falls, rises and falls again.
import Foundation
import Linalg

/// Full-batch gradient descent on the mean squared error of a linear model, in Double.
public struct LinearGradientDescent: Sendable {
    /// d
    public let features: Int
    /// n
    public let examples: Int
    /// η
    public let learningRate: Double
    /// Σ̂ = xᵀx/n [d, d]
    let gram: [Double]
    /// b = xᵀy/n [d]
    let moment: [Double]
    /// ‖y‖²/n
    let ySquared: Double
    /// β_t [d]
    public private(set) var beta: [Double]
    /// Σ̂β_t − b [d] (workspace)
    var residual: [Double]

    public init(x: Matrix<Double>, y: [Double], learningRate: Double) {
        precondition(y.count == x.rows && x.rows > 0, "LinearGradientDescent: \(y.count) targets for \(x.rows) rows")
        let n = x.rows, d = x.cols
        features = d; examples = n; self.learningRate = learningRate
        var g = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let v = x[i, j]
                b[j] += v * y[i]
                for k in j..<d { g[j * d + k] += v * x[i, k] }
            }
        }
        for j in 0..<d { b[j] /= Double(n); for k in j..<d { g[j * d + k] /= Double(n); g[k * d + j] = g[j * d + k] } }
        gram = g; moment = b
        ySquared = y.reduce(0) { $0 + $1 * $1 } / Double(n)
        beta = [Double](repeating: 0, count: d)
        residual = [Double](repeating: 0, count: d)
    }

    /// One step β ← β − 2η(Σ̂β − b).
    public mutating func step() {
        let d = features
        gram.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { bt in
                residual.withUnsafeMutableBufferPointer { r in
                    for j in 0..<d {
                        var s = -moment[j]
                        let row = g.baseAddress! + j * d
                        for k in 0..<d { s += row[k] * bt[k] }
                        r[j] = s
                    }
                }
            }
        }
        let step = 2 * learningRate
        for j in 0..<d { beta[j] -= step * residual[j] }
    }

    /// The training loss (1/n)‖y − xβ‖² = βᵀΣ̂β − 2bᵀβ + ‖y‖²/n.
    public var trainLoss: Double {
        let d = features
        var quad = 0.0, lin = 0.0
        for j in 0..<d {
            var s = 0.0
            for k in 0..<d { s += gram[j * d + k] * beta[k] }
            quad += beta[j] * s
            lin += moment[j] * beta[j]
        }
        return max(0, quad - 2 * lin + ySquared)
    }

    /// Σ̂ [d, d] (its eigenvalues set the time scales 1/(2ηλ_i); the iteration is stable iff 2ηλ_max < 2).
    public var gramMatrix: Matrix<Double> { Matrix(rows: features, cols: features, data: gram) }
}

/// The exact expected excess risk of gradient descent at every step for one drawn design (see the file header).
public struct GradientDescentRisk: Sendable {
    /// λ [d], the eigenvalues of Σ̂, ascending.
    public let eigenvalues: [Double]
    /// s [d] (D = diag(s²)) and the projections c = Vᵀβ* [d], m_i = (VᵀDV)_ii [d].
    let scales: [Double]
    let vectors: Matrix<Double>
    let projected: [Double]
    let noiseWeights: [Double]
    let noiseVariance: Double
    let examples: Int
    public let learningRate: Double

    /// - Parameters: x [n, d] the design; scales s [d] of the features; β* [d]; σ²; η.
    public init(x: Matrix<Double>, scales: [Double], beta: [Double], noiseVariance: Double, learningRate: Double) throws {
        precondition(scales.count == x.cols && beta.count == x.cols, "GradientDescentRisk: \(scales.count) scales, \(beta.count) coefficients for \(x.cols) features")
        let gd = LinearGradientDescent(x: x, y: [Double](repeating: 0, count: x.rows), learningRate: learningRate)
        let (values, v) = try symmetricEigen(gd.gramMatrix)
        let d = x.cols
        eigenvalues = values; vectors = v; self.scales = scales
        projected = (0..<d).map { i in (0..<d).reduce(0) { $0 + v[$1, i] * beta[$1] } }
        noiseWeights = (0..<d).map { i in (0..<d).reduce(0) { $0 + scales[$1] * scales[$1] * v[$1, i] * v[$1, i] } }
        self.noiseVariance = noiseVariance; examples = x.rows; self.learningRate = learningRate
    }

    /// E R(t) over the noise, for the design given at init.
    public func expected(step t: Int) -> Double {
        let d = eigenvalues.count
        let top = eigenvalues.last ?? 0
        var a = [Double](repeating: 1, count: d)
        var noise = 0.0
        for i in 0..<d {
            let lam = eigenvalues[i]
            guard lam > 1e-12 * top else { continue }      // a null direction: no fit, no noise
            a[i] = pow(1 - 2 * learningRate * lam, Double(t))
            noise += (1 - a[i]) * (1 - a[i]) / lam * noiseWeights[i]
        }
        var bias = 0.0
        for j in 0..<d {
            var e = 0.0
            for i in 0..<d { e += vectors[j, i] * a[i] * projected[i] }
            bias += scales[j] * scales[j] * e * e
        }
        return bias + noiseVariance / Double(examples) * noise
    }

    /// 2ηλ_max: below 2 the iteration is stable.
    public var stability: Double { 2 * learningRate * (eigenvalues.last ?? 0) }
}

/// Runs gradient descent for `config.maxSteps` steps (or to the stop event plus patience), recording on
/// the evaluation schedule: train_loss (the mean squared error), val_loss (`testRisk` of β_t, the
/// measured excess risk), accuracies NaN (a regression), and `probe` values per evaluation.
public func trainLinearGD(_ gd0: LinearGradientDescent, config: TrainingConfig, testRisk: ([Double]) -> Double,
                          probe: ((Int) -> [Double])? = nil, progress: ((TrainingProgress) -> Void)? = nil,
                          shouldStop: (() -> Bool)? = nil) -> TrainingOutcome {
    var gd = gd0
    var out = TrainingOutcome()
    let start = DispatchTime.now().uptimeNanoseconds
    func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    let evalAt = evaluationSteps(config.schedule, maxSteps: config.maxSteps, points: config.evalPoints)
    var nextEval = 0, step = 0
    var eventStep: Int? = nil
    var stopWatch = config.stopEvent.map { EventWatch($0) }
    while true {
        if nextEval < evalAt.count && evalAt[nextEval] == step {
            nextEval += 1
            let norm = gd.beta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var r = EvalRecord(step: step, trainLoss: gd.trainLoss, trainAccuracy: .nan, valLoss: testRisk(gd.beta), valAccuracy: .nan,
                               weightNorm: norm, tensorNorms: [norm], learningRate: gd.learningRate)
            if let probe { r.probes = probe(step) }
            out.records.append(r)
            out.wallSeconds.append(elapsed())
            progress?(TrainingProgress(step: step, maxSteps: config.maxSteps, last: r))
            if !(r.trainLoss.isFinite && r.valLoss.isFinite && norm.isFinite) {
                out.status = .diverged
                out.message = "loss or weights not finite at step \(step) (train loss \(r.trainLoss)); HINT: lower optimizer.lr below 1/λ_max of xᵀx/n"
                break
            }
            if stopWatch != nil {
                if stopWatch!.see(r) && eventStep == nil { eventStep = step }
                if let e = eventStep, step >= e + config.patience { out.stoppedByEvent = true; break }
            }
        }
        if step >= config.maxSteps { break }
        if let shouldStop, shouldStop() { out.status = .interrupted; out.message = "interrupted at step \(step)"; break }
        gd.step()
        step += 1
        if step % 1024 == 0 { progress?(TrainingProgress(step: step, maxSteps: config.maxSteps, last: out.records.last)) }
    }
    out.stepsRun = step
    out.totalSeconds = elapsed()
    return out
}

// Optimizers: one flat loop over all parameters (the ParameterStore is contiguous).
//
//   adamw (Loshchilov and Hutter 2019, as torch.optim.AdamW):
//       θ ← θ − η λ θ   (decoupled weight decay, skipped for tensors that do not decay)
//       m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²
//       θ ← θ − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
//   adam with L2 (torch.optim.Adam's weight_decay): g ← g + λ θ, then the Adam update.
//   sgd with momentum (torch.optim.SGD): g ← g + λ θ;  b ← μ b + g;  θ ← θ − η b
//
// The learning rate warms up linearly over the first `warmupSteps` steps: η_t = η · min(1, t / warmup),
// t = 1, 2, ... (PyTorch's LambdaLR(lambda s: min(1, (s + 1) / warmup)) in the grokking code).
import Linalg
import Models

public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    case adamw, adam, sgd
}

public struct OptimizerConfig: Sendable, Equatable, Codable {
    public var kind: OptimizerKind = .adamw
    public var learningRate: Double = 1e-3
    public var weightDecay: Double = 0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.98
    public var epsilon: Double = 1e-8
    public var momentum: Double = 0.9
    public var warmupSteps: Int = 0
    public init() {}

    /// The learning rate for the t-th update (t counts from 1).
    public func learningRate(atStep t: Int) -> Double {
        warmupSteps > 0 ? learningRate * min(1, Double(t) / Double(warmupSteps)) : learningRate
    }
}

public final class Optimizer<T: Scalar> {
    public let config: OptimizerConfig
    public let count: Int
    public let m: UnsafeMutablePointer<T>   // [count] first moment (or momentum buffer for sgd)
    public let v: UnsafeMutablePointer<T>   // [count] second moment (adam, adamw)
    public private(set) var t = 0           // updates taken
    let decayMask: [(Int, Int, Bool)]       // (offset, count, decays) per tensor

    public init(config: OptimizerConfig, layout: ParameterLayout) {
        self.config = config
        count = layout.count
        m = .allocate(capacity: max(1, count)); m.initialize(repeating: 0, count: max(1, count))
        v = .allocate(capacity: max(1, count)); v.initialize(repeating: 0, count: max(1, count))
        decayMask = layout.views.map { ($0.offset, $0.count, $0.decays) }
    }

    deinit { m.deallocate(); v.deallocate() }

    /// Restores the state saved by a checkpoint.
    public func restore(step: Int, m mArray: [T], v vArray: [T]) {
        precondition(mArray.count == count && vArray.count == count, "optimizer state of the wrong size")
        t = step
        mArray.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: count) }
        vArray.withUnsafeBufferPointer { v.update(from: $0.baseAddress!, count: count) }
    }

    /// One update of all parameters from store.grads; returns the learning rate used. With a team, its
    /// members update halves of the parameters (each entry's update is the same either way).
    @discardableResult
    public func step(_ store: ParameterStore<T>, team: WorkerTeam? = nil) -> Double {
        t += 1
        let lrD = config.learningRate(atStep: t)
        pending = Pending(store: store, lr: T(lrD), c1: T(1 / (1 - _pow(config.beta1, t))), c2: T(1 / (1 - _pow(config.beta2, t))))
        if let team, team.size > 1 { team.run(tasks: 2, updateTask) } else { update(0..<count) }
        pending = nil
        return lrD
    }

    /// The update in progress: its store and this step's learning rate and bias corrections.
    struct Pending { let store: ParameterStore<T>; let lr: T; let c1: T; let c2: T }
    var pending: Pending? = nil
    /// Built once, so that a parallel update allocates nothing.
    lazy var updateTask: (Int) -> Void = { [unowned self] h in self.update(shardRows(h, of: 2, rows: self.count)) }

    /// The flat indices of the tensor at offset..<offset + n that lie in range (possibly none).
    @inline(__always) func overlap(_ offset: Int, _ n: Int, _ range: Range<Int>) -> Range<Int> {
        let lo = max(offset, range.lowerBound)
        return lo..<max(lo, min(offset + n, range.upperBound))
    }

    /// The update of the parameters with flat indices in `range`.
    func update(_ range: Range<Int>) {
        let u = pending!
        let lr = u.lr, wd = T(config.weightDecay), c1 = u.c1, c2 = u.c2
        let p = u.store.values, g = u.store.grads
        switch config.kind {
        case .adamw, .adam:
            let b1 = T(config.beta1), b2 = T(config.beta2), eps = T(config.epsilon)
            let decoupled = config.kind == .adamw
            for (offset, n, decays) in decayMask {
                let shrink: T = decoupled && decays ? 1 - lr * wd : 1
                let l2: T = !decoupled && decays ? wd : 0
                for i in overlap(offset, n, range) {
                    let gi = g[i] + l2 * p[i]
                    let mi = b1 * m[i] + (1 - b1) * gi
                    let vi = b2 * v[i] + (1 - b2) * gi * gi
                    m[i] = mi; v[i] = vi
                    p[i] = p[i] * shrink - lr * (mi * c1) / (T.squareRoot(vi * c2) + eps)
                }
            }
        case .sgd:
            let mu = T(config.momentum)
            for (offset, n, decays) in decayMask {
                let l2: T = decays ? wd : 0
                for i in overlap(offset, n, range) {
                    let gi = g[i] + l2 * p[i]
                    let bi = t == 1 ? gi : mu * m[i] + gi
                    m[i] = bi
                    p[i] -= lr * bi
                }
            }
        }
    }
}

import Foundation
@inline(__always) private func _pow(_ x: Double, _ n: Int) -> Double { Foundation.pow(x, Double(n)) }

// The optimizer: one flat loop over all parameters (the ParameterStore is contiguous), by the rule of
// its kind. Each rule is one file in Optimizers/ (adam and adamw: Adam.swift; sgd: SGD.swift); a new
// rule is that file plus its case in OptimizerKind and its line in `update`.
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
    /// two members update interleaved halves of the parameters (Linalg's forEachChunk; each entry's update
    /// is the same either way).
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
    lazy var updateTask: (Int) -> Void = { [unowned self] h in forEachChunk(ofHalf: h, count: self.count) { self.update($0) } }

    /// The update of the parameters with flat indices in `range`, by the configured rule (Optimizers/).
    func update(_ range: Range<Int>) {
        let u = pending!
        let step = OptimizerStep(values: u.store.values, grads: u.store.grads, m: m, v: v, t: t, lr: u.lr, c1: u.c1, c2: u.c2,
                                 tensors: decayMask, range: range, config: config)
        switch config.kind {
        case .adamw, .adam: Adam.update(step, decoupled: config.kind == .adamw)
        case .sgd: SGD.update(step)
        }
    }
}

/// What one update rule is handed: the flat parameters, gradients and moments, the step's learning rate
/// and bias corrections, and the tensors (offset, count, decays) with the flat range to update.
struct OptimizerStep<T: Scalar> {
    let values: UnsafeMutablePointer<T>
    let grads: UnsafeMutablePointer<T>
    let m: UnsafeMutablePointer<T>
    let v: UnsafeMutablePointer<T>
    /// Updates taken, this one included.
    let t: Int
    let lr: T
    let c1: T
    let c2: T
    let tensors: [(Int, Int, Bool)]
    let range: Range<Int>
    let config: OptimizerConfig

    /// The flat indices of the tensor at offset..<offset + n that lie in the range (possibly none).
    @inline(__always) func overlap(_ offset: Int, _ n: Int) -> Range<Int> {
        let lo = max(offset, range.lowerBound)
        return lo..<max(lo, min(offset + n, range.upperBound))
    }
}

import Foundation
@inline(__always) private func _pow(_ x: Double, _ n: Int) -> Double { Foundation.pow(x, Double(n)) }

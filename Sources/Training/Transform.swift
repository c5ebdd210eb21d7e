// Gradient transforms: stages between the backward pass and the optimizer's update (they change the
// gradients), or right after the update (they change the parameters: a constraint). Each transform is
// one file in Transforms/ that conforms to `GradientTransformation`; a trial's training configuration
// lists the transforms it applies, in order, and the trainer builds their stages once per trial.
//
// A stage is made for the model's precision by the transform itself (`stage(_:)` for a Float and for a
// Double store), so its loop is compiled for that precision; it may keep state (a filter's
// running average), which checkpoints carry, and may draw from the trainer's random stream.
import Linalg
import Models

/// When a stage acts.
public enum TransformPhase: Sendable, Equatable {
    /// On store.grads, after the backward pass and before the optimizer's update.
    case gradients
    /// On store.values, after the optimizer's update.
    case parameters
}

/// A transform as a training configuration lists it.
public protocol GradientTransformation: Sendable, CustomStringConvertible {
    /// Its stage for a model whose parameters are in `store`, as initialized (state buffers are made
    /// here, once per trial).
    func stage(_ store: ParameterStore<Float>) -> TransformStage<Float>
    func stage(_ store: ParameterStore<Double>) -> TransformStage<Double>
}

extension GradientTransformation {
    /// The stage for a model of precision T.
    func stage<T: Scalar>(for store: ParameterStore<T>) -> TransformStage<T> {
        if let s = store as? ParameterStore<Float> { return stage(s) as! TransformStage<T> }
        guard let s = store as? ParameterStore<Double> else { preconditionFailure("a gradient transform is made for Float or Double models") }
        return stage(s) as! TransformStage<T>
    }
}

/// One transform, made for a model: what it does at each step, and its state.
public struct TransformStage<T: Scalar> {
    public let phase: TransformPhase
    /// Acts on the store (its grads or its values, as `phase` says); `rng` is the trainer's stream.
    public let apply: (ParameterStore<T>, inout RNG) -> Void
    /// The state a checkpoint must carry (empty for a stateless stage), and how to put it back.
    public let state: () -> [T]
    public let restore: ([T]) -> Void
    /// How many scalars `state` gives, known without copying them (a checkpoint's state is checked against it).
    public let stateCount: Int

    public init(phase: TransformPhase, apply: @escaping (ParameterStore<T>, inout RNG) -> Void,
                stateCount: Int = 0, state: @escaping () -> [T] = { [] }, restore: @escaping ([T]) -> Void = { _ in }) {
        self.phase = phase; self.apply = apply; self.state = state; self.restore = restore; self.stateCount = stateCount
    }
}

/// A buffer of scalars that a stage keeps between steps (freed with the stage).
public final class StageBuffer<T: Scalar> {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int
    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    deinit { pointer.deallocate() }
    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    /// Puts back `values`, which must have `count` entries.
    public func load(_ values: ArraySlice<T>) {
        precondition(values.count == count, "a transform's state of the wrong size")
        for (i, v) in values.enumerated() { pointer[i] = v }
    }
}

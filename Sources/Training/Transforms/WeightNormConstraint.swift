// A constraint on the total weight norm (Liu et al. 2022, Omnigrok: training on a sphere): after every
// update, all parameters are rescaled together so that ‖θ‖ = r,
//
//     θ ← θ · r / ‖θ‖,
//
// with r given, or as a factor of the norm at initialization. ‖θ‖ is summed in Double.
import Linalg
import Models

public struct WeightNormConstraint: GradientTransformation {
    public enum Target: Sendable, Equatable {
        /// The norm r itself.
        case norm(Double)
        /// r = factor × ‖θ₀‖, the norm at initialization.
        case factorOfInitial(Double)
    }
    public let target: Target
    public init(_ target: Target) { self.target = target }
    public var description: String {
        switch target {
        case .norm(let r): return "weight_norm(\(r))"
        case .factorOfInitial(let f): return "weight_norm(\(f) × initial)"
        }
    }

    public func stage(_ store: ParameterStore<Float>) -> TransformStage<Float> { make(store) }
    public func stage(_ store: ParameterStore<Double>) -> TransformStage<Double> { make(store) }

    func make<T: Scalar>(_ store: ParameterStore<T>) -> TransformStage<T> {
        let r: Double
        switch target {
        case .norm(let x): r = x
        case .factorOfInitial(let f): r = f * WeightNormConstraint.norm(store.values, store.count)
        }
        return TransformStage(phase: .parameters) { store, _ in
            let now = WeightNormConstraint.norm(store.values, store.count)
            guard now > 0, now.isFinite else { return }
            let k = T(r / now), p = store.values
            for i in 0..<store.count { p[i] *= k }
        }
    }

    static func norm<T: Scalar>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { let x = Double(p[i]); s += x * x }
        return s.squareRoot()
    }
}

// ⊥Grad (Prieto et al. 2025, orthograd.py): per parameter tensor w with gradient g, remove the gradient's
// component along the weights and rescale what is left to the gradient's norm,
//
//     g⊥ = g − (w·g / (w·w + 10⁻³⁰)) w,        g ← g⊥ · ‖g‖ / (‖g⊥‖ + 10⁻³⁰),
//
// before the optimizer (⊥AdamW with adamw, ⊥SGD with sgd). Dot products are summed in Double.
import Linalg
import Models

public struct OrthogonalGradient: GradientTransformation {
    public init() {}
    public var description: String { "orthogonal_gradient" }

    public func stage(_ store: ParameterStore<Float>) -> TransformStage<Float> { make(store) }
    public func stage(_ store: ParameterStore<Double>) -> TransformStage<Double> { make(store) }

    func make<T: Scalar>(_ store: ParameterStore<T>) -> TransformStage<T> {
        let views = store.layout.views.map { ($0.offset, $0.count) }
        return TransformStage(phase: .gradients) { store, _ in
            for (offset, n) in views { OrthogonalGradient.project(w: store.values + offset, g: store.grads + offset, count: n) }
        }
    }

    /// Replaces g[0..<n] by its part orthogonal to w[0..<n], rescaled to g's norm.
    public static func project<T: Scalar>(w: UnsafePointer<T>, g: UnsafeMutablePointer<T>, count n: Int) {
        var ww = 0.0, wg = 0.0, gg = 0.0
        for i in 0..<n { let wi = Double(w[i]), gi = Double(g[i]); ww += wi * wi; wg += wi * gi; gg += gi * gi }
        let proj = wg / (ww + 1e-30)
        var oo = 0.0
        for i in 0..<n { let o = Double(g[i]) - proj * Double(w[i]); oo += o * o }
        let k = gg.squareRoot() / (oo.squareRoot() + 1e-30)
        for i in 0..<n { g[i] = T((Double(g[i]) - proj * Double(w[i])) * k) }
    }
}

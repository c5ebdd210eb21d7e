// Gaussian gradient noise (Neelakantan et al. 2015), as a noise-to-signal ratio s:
//
//     g ← g + s · rms(g) · ξ,   ξ ~ N(0, 1) per entry,   rms(g) = √(Σ g² / P)
//
// so that its strength does not depend on the gradient's scale. The normals come from the trainer's
// random stream (two per Box–Muller draw), which checkpoints carry; the stage keeps no state.
import Linalg
import Models

public struct GradientNoise: GradientTransformation {
    /// s, the noise-to-signal ratio (> 0).
    public let ratio: Double
    public init(ratio: Double) { self.ratio = ratio }
    public var description: String { "gradient_noise(\(ratio))" }

    public func stage(_ store: ParameterStore<Float>) -> TransformStage<Float> { make(Float.self) }
    public func stage(_ store: ParameterStore<Double>) -> TransformStage<Double> { make(Double.self) }

    func make<T: Scalar>(_: T.Type) -> TransformStage<T> {
        let s = ratio
        return TransformStage(phase: .gradients) { store, rng in GradientNoise.add(ratio: s, to: store.grads, count: store.count, rng: &rng) }
    }

    /// Adds the noise to g[0..<n].
    public static func add<T: Scalar>(ratio s: Double, to g: UnsafeMutablePointer<T>, count n: Int, rng: inout RNG) {
        var sumSq = 0.0
        for i in 0..<n { let x = Double(g[i]); sumSq += x * x }
        let sigma = s * (sumSq / Double(max(1, n))).squareRoot()
        guard sigma > 0, sigma.isFinite else { return }
        for i in stride(from: 0, to: n, by: 2) {   // both normals of each Box-Muller draw
            let (a, b) = rng.normalPair(scale: sigma)
            g[i] += T(a)
            if i + 1 < n { g[i + 1] += T(b) }
        }
    }
}

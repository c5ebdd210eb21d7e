// Grokfast (Lee et al. 2024): amplify the slow component of the gradient before the optimizer, with the
// gradient filters of the reference (ironjr/grokfast, grokfast.py):
//
//   EMA:  h ← α h + (1 − α) g   (h starts at the first gradient),   g ← g + λ h
//   MA:   the last w gradients kept (g included); once there are w of them,  g ← g + λ · (Σ of the w) / w
//         (the reference's warm-up: no change while the window fills)
//
// The filter's state (h; the window, its fill and its position) is carried by checkpoints.
import Linalg
import Models

public struct GrokfastEMA: GradientTransformation {
    /// α, the average's memory.
    public let alpha: Double
    /// λ, the amplification.
    public let lambda: Double
    public init(alpha: Double, lambda: Double) { self.alpha = alpha; self.lambda = lambda }
    public var description: String { "grokfast_ema(α \(alpha), λ \(lambda))" }

    public func stage(_ store: ParameterStore<Float>) -> TransformStage<Float> { make(store) }
    public func stage(_ store: ParameterStore<Double>) -> TransformStage<Double> { make(store) }

    func make<T: Scalar>(_ store: ParameterStore<T>) -> TransformStage<T> {
        let n = store.count
        let h = StageBuffer<T>(count: n), started = StageBuffer<T>(count: 1)
        let a = T(alpha), b = T(1 - alpha), l = T(lambda)
        return TransformStage(phase: .gradients, apply: { store, _ in
            let g = store.grads, hp = h.pointer
            if started.pointer[0] == 0 { hp.update(from: g, count: n); started.pointer[0] = 1 }
            for i in 0..<n {
                let hi = hp[i] * a + g[i] * b
                hp[i] = hi
                g[i] += hi * l
            }
        }, stateCount: 1 + n, state: { started.array + h.array }, restore: { s in
            started.load(s.prefix(1)); h.load(s.dropFirst())
        })
    }
}

public struct GrokfastMA: GradientTransformation {
    /// w, the window.
    public let window: Int
    /// λ, the amplification.
    public let lambda: Double
    public init(window: Int, lambda: Double) { self.window = window; self.lambda = lambda }
    public var description: String { "grokfast_ma(w \(window), λ \(lambda))" }

    public func stage(_ store: ParameterStore<Float>) -> TransformStage<Float> { make(store) }
    public func stage(_ store: ParameterStore<Double>) -> TransformStage<Double> { make(store) }

    func make<T: Scalar>(_ store: ParameterStore<T>) -> TransformStage<T> {
        let n = store.count, w = window
        // The window, oldest first from `next` once full: w rows of n; then (filled, next).
        let rows = StageBuffer<T>(count: w * n), position = StageBuffer<T>(count: 2), sum = StageBuffer<T>(count: n)
        let l = T(lambda), wT = T(w)
        return TransformStage(phase: .gradients, apply: { store, _ in
            let g = store.grads, r = rows.pointer
            var filled = Int(position.pointer[0]), next = Int(position.pointer[1])
            (r + next * n).update(from: g, count: n)
            next = (next + 1) % w
            filled = min(w, filled + 1)
            position.pointer[0] = T(filled); position.pointer[1] = T(next)
            guard filled == w else { return }
            // Oldest to newest, as the reference sums; row by row so that each pass is contiguous (each
            // element's additions happen in the same order as a per-element loop, so the bytes are the same).
            let acc = sum.pointer
            acc.update(repeating: 0, count: n)
            for k in 0..<w {
                let row = r + ((next + k) % w) * n
                for i in 0..<n { acc[i] += row[i] }
            }
            for i in 0..<n { g[i] += acc[i] / wT * l }
        }, stateCount: 2 + w * n, state: { position.array + rows.array }, restore: { s in
            position.load(s.prefix(2)); rows.load(s.dropFirst(2))
        })
    }
}

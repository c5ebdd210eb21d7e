// Adam, with decoupled weight decay (adamw; Loshchilov and Hutter 2019, as torch.optim.AdamW) or with
// L2 in the gradient (adam; torch.optim.Adam's weight_decay):
//
//   adamw:  θ ← θ − η λ θ   (skipped for tensors that do not decay)
//   adam:   g ← g + λ θ
//   both:   m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²
//           θ ← θ − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
import Linalg

enum Adam {
    static func update<T: Scalar>(_ u: OptimizerStep<T>, decoupled: Bool) {
        let p = u.values, g = u.grads, m = u.m, v = u.v
        let lr = u.lr, wd = T(u.config.weightDecay), c1 = u.c1, c2 = u.c2
        let b1 = T(u.config.beta1), b2 = T(u.config.beta2), eps = T(u.config.epsilon)
        for (offset, n, decays) in u.tensors {
            let shrink: T = decoupled && decays ? 1 - lr * wd : 1
            let l2: T = !decoupled && decays ? wd : 0
            let r = u.overlap(offset, n)
            if r.isEmpty { continue }
            // The rule above, entry by entry, vectorized in C (Linalg's Scalar.adamStep: the same bits).
            T.adamStep(theta: p + r.lowerBound, grad: g + r.lowerBound, m: m + r.lowerBound, v: v + r.lowerBound, n: r.count,
                       lr: lr, beta1: b1, beta2: b2, c1: c1, c2: c2, epsilon: eps, shrink: shrink, l2: l2)
        }
    }
}

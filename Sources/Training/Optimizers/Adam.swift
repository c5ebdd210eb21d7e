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
            for i in u.overlap(offset, n) {
                let gi = g[i] + l2 * p[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi; v[i] = vi
                p[i] = p[i] * shrink - lr * (mi * c1) / (T.squareRoot(vi * c2) + eps)
            }
        }
    }
}

// Stochastic gradient descent with momentum and L2 weight decay (torch.optim.SGD):
//
//   g ← g + λ θ;   b ← μ b + g (b = g at the first step);   θ ← θ − η b
//
// The momentum buffer b is the optimizer's first moment.
import Linalg

enum SGD {
    static func update<T: Scalar>(_ u: OptimizerStep<T>) {
        let p = u.values, g = u.grads, m = u.m
        let lr = u.lr, wd = T(u.config.weightDecay), mu = T(u.config.momentum)
        for (offset, n, decays) in u.tensors {
            let l2: T = decays ? wd : 0
            for i in u.overlap(offset, n) {
                let gi = g[i] + l2 * p[i]
                let bi = u.t == 1 ? gi : mu * m[i] + gi
                m[i] = bi
                p[i] -= lr * bi
            }
        }
    }
}

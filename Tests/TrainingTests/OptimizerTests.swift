// AdamW against the update written out by hand, Adam with L2, SGD with momentum, learning-rate warm-up.
import XCTest
import Models
import Training

final class OptimizerTests: XCTestCase {
    func layout(_ n: Int) -> ParameterLayout { var l = ParameterLayout(); l.add("w", rows: 1, cols: n); return l }

    /// Two AdamW steps against the update written out by hand (torch.optim.AdamW's algorithm).
    func testAdamWMatchesHandComputation() {
        var c = OptimizerConfig(); c.kind = .adamw; c.learningRate = 0.1; c.weightDecay = 0.5; c.beta1 = 0.9; c.beta2 = 0.98; c.epsilon = 1e-8
        let store = ParameterStore<Double>(layout: layout(2))
        store.load([1.0, -2.0])
        let opt = Optimizer<Double>(config: c, layout: store.layout)
        var p = [1.0, -2.0], m = [0.0, 0], v = [0.0, 0]
        for (t, g) in [(1, [0.5, -1.0]), (2, [0.25, 2.0])] {
            for i in 0..<2 { store.grads[i] = g[i] }
            opt.step(store)
            for i in 0..<2 {
                p[i] *= 1 - 0.1 * 0.5
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.98 * v[i] + 0.02 * g[i] * g[i]
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.98, Double(t)))
                p[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
                XCTAssertEqual(store.values[i], p[i], accuracy: 1e-12, "step \(t) parameter \(i)")
            }
        }
    }

    func testAdamL2AndSGDMomentum() {
        var c = OptimizerConfig(); c.kind = .adam; c.learningRate = 0.01; c.weightDecay = 0.1
        let s1 = ParameterStore<Double>(layout: layout(1)); s1.load([2])
        let adam = Optimizer<Double>(config: c, layout: s1.layout)
        s1.grads[0] = 1
        adam.step(s1)
        // First Adam step moves by lr·sign(g + λθ) (bias-corrected m̂/√v̂ = ±1 up to ε).
        XCTAssertEqual(s1.values[0], 2 - 0.01, accuracy: 1e-8)

        c.kind = .sgd; c.momentum = 0.9; c.learningRate = 0.1; c.weightDecay = 0
        let s2 = ParameterStore<Double>(layout: layout(1)); s2.load([0])
        let sgd = Optimizer<Double>(config: c, layout: s2.layout)
        s2.grads[0] = 1; sgd.step(s2)
        s2.grads[0] = 1; sgd.step(s2)
        XCTAssertEqual(s2.values[0], -0.1 - 0.1 * 1.9, accuracy: 1e-12)
    }

    func testWarmup() {
        var c = OptimizerConfig(); c.learningRate = 1e-3; c.warmupSteps = 10
        XCTAssertEqual(c.learningRate(atStep: 1), 1e-4, accuracy: 1e-15)
        XCTAssertEqual(c.learningRate(atStep: 10), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(c.learningRate(atStep: 500), 1e-3, accuracy: 1e-15)
    }
}

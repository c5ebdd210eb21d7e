// The losses: gradients against finite differences, cross-entropy by hand, and the whole MLP with
// cross-entropy against finite differences.
import XCTest
import Datasets
import Linalg
import Models
import Training
import TestSupport

final class LossTests: XCTestCase {
    func testLossGradientsByFiniteDifferences() {
        var rng = RNG(seed: 2)
        let B = 4, C = 6
        let z = (0..<(B * C)).map { _ in 3 * rng.normal() }
        let labels: [Int32] = (0..<B).map { _ in Int32(rng.int(below: C)) }
        for kind in LossKind.allCases {
            var d = [Double](repeating: 0, count: B * C)
            _ = lossForwardBackward(kind, logits: z, labels: labels, B: B, C: C, dlogits: &d, scale: 1.0 / Double(B))
            let r = gradientCheck("loss \(kind.rawValue)", at: z, analytic: d) { zz in
                lossForwardBackward(kind, logits: zz, labels: labels, B: B, C: C, dlogits: nil, scale: 1).meanLoss
            }
            XCTAssertTrue(r.passed, r.description)
        }
    }

    func testCrossEntropyValueAndAccuracy() {
        // Two rows, three classes: ℓ = log Σ exp(z) − z_y, computed by hand.
        let z: [Double] = [1, 2, 3, 0, 0, 5]
        let s = lossForwardBackward(.crossEntropy, logits: z, labels: [2, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        let l0 = log(exp(1.0) + exp(2) + exp(3)) - 3, l1 = log(2 + exp(5.0)) - 0
        XCTAssertEqual(s.loss, l0 + l1, accuracy: 1e-12)
        XCTAssertEqual(s.correct, 1)
        // Large logits must not overflow (the row max is subtracted).
        let big = lossForwardBackward(.crossEntropy, logits: [Float(1000), 0], labels: [0], B: 1, C: 2, dlogits: nil, scale: 1)
        XCTAssertTrue(big.loss.isFinite)
    }

    /// The whole MLP with cross-entropy, every parameter, against finite differences.
    func testMLPWithCrossEntropy() {
        let cfg = MLPConfig(input: .embedding(dimension: 4), vocabulary: 5, positions: 2, hidden: [8], activation: .gelu, classes: 5)
        let model = MLP<Double>(config: cfg, capacity: 6, rng: RNG(seed: 1))
        let tokens: [Int32] = [0, 1, 2, 3, 4, 0, 1, 1, 2, 2, 3, 3]
        let labels: [Int32] = [1, 4, 0, 3, 4, 1]
        var d = [Double](repeating: 0, count: 30)
        func loss(_ p: [Double]) -> Double {
            model.store.load(p)
            return tokens.withUnsafeBufferPointer { t in
                let z = model.forward(InputBatch(count: 6, tokens: t.baseAddress!))
                return lossForwardBackward(.crossEntropy, logits: z, labels: labels, B: 6, C: 5, dlogits: &d, scale: 1.0 / 6).meanLoss
            }
        }
        let x = model.store.valueArray
        _ = loss(x)
        model.store.zeroGrads()
        tokens.withUnsafeBufferPointer { model.backward(InputBatch(count: 6, tokens: $0.baseAddress!), dlogits: d) }
        let r = gradientCheck("MLP + cross-entropy", at: x, analytic: model.store.gradArray, loss)
        XCTAssertTrue(r.passed, r.description)
    }
}

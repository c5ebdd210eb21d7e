// Gradient transforms and constraints against hand-computed sequences and their defining properties.
import Datasets
import Linalg
import Models
import Training
import XCTest

final class TransformTests: XCTestCase {
    /// A store of two tensors, [3] and [2], with the given values.
    func store(_ values: [Double]) -> ParameterStore<Double> {
        var layout = ParameterLayout()
        layout.add("a", rows: 1, cols: 3)
        layout.add("b", rows: 1, cols: 2)
        let s = ParameterStore<Double>(layout: layout)
        for (i, v) in values.enumerated() { s.values[i] = v }
        return s
    }

    func grads(_ s: ParameterStore<Double>) -> [Double] { (0..<s.count).map { s.grads[$0] } }
    func setGrads(_ s: ParameterStore<Double>, _ g: [Double]) { for (i, v) in g.enumerated() { s.grads[i] = v } }

    func testGrokfastEMAFollowsTheHandComputedSequence() {
        let s = store([0, 0, 0, 0, 0])
        let stage = GrokfastEMA(alpha: 0.5, lambda: 2).stage(s)
        var rng = RNG(seed: 1)
        // One entry: g = 4, 2, 8. h starts at the first gradient: h1 = 4, then h2 = 0.5·4 + 0.5·2 = 3, h3 = 0.5·3 + 0.5·8 = 5.5.
        // g' = g + 2h: 12, 8, 19.
        var out: [Double] = []
        for g in [4.0, 2, 8] {
            setGrads(s, [g, 0, 0, 0, 0])
            stage.apply(s, &rng)
            out.append(s.grads[0])
        }
        XCTAssertEqual(out, [12, 8, 19])
        XCTAssertEqual(stage.state(), [1, 5.5, 0, 0, 0, 0], "started flag, then h")
    }

    func testGrokfastMAWaitsForAFullWindowThenAddsTheMean() {
        let s = store([0, 0, 0, 0, 0])
        let stage = GrokfastMA(window: 3, lambda: 5).stage(s)
        var rng = RNG(seed: 1)
        // g = 1, 2, 3, 10: unchanged while the window fills; at the third, + 5·(1+2+3)/3 = 10; at the fourth, + 5·(2+3+10)/3 = 25.
        var out: [Double] = []
        for g in [1.0, 2, 3, 10] {
            setGrads(s, [g, -g, 0, 0, 0])
            stage.apply(s, &rng)
            out.append(s.grads[0])
            XCTAssertEqual(s.grads[1], -s.grads[0], "entries are filtered independently")
        }
        XCTAssertEqual(out, [1, 2, 13, 35])
    }

    func testGrokfastStateRestoresTheSameFilter() {
        for make in [{ GrokfastEMA(alpha: 0.9, lambda: 2) as any GradientTransformation }, { GrokfastMA(window: 4, lambda: 5) }] {
            let a = store([0, 0, 0, 0, 0]), b = store([0, 0, 0, 0, 0])
            let sa = make().stage(a), sb = make().stage(b)
            var rng = RNG(seed: 3), r = RNG(seed: 0)
            for _ in 0..<5 { setGrads(a, (0..<5).map { _ in rng.normal() }); sa.apply(a, &r) }
            XCTAssertEqual(sa.stateCount, sa.state().count, "the count a checkpoint is checked against, \(make())")
            sb.restore(sa.state())
            let g = (0..<5).map { _ in rng.normal() }
            setGrads(a, g); setGrads(b, g)
            sa.apply(a, &r); sb.apply(b, &r)
            XCTAssertEqual(grads(a), grads(b), "\(make())")
        }
    }

    func testOrthogonalGradientIsOrthogonalToEachTensorAndKeepsItsNorm() {
        let w: [Double] = [1, 2, -1, 0.5, 3]
        let g: [Double] = [0.3, -1, 2, 1, 1]
        let s = store(w)
        setGrads(s, g)
        var rng = RNG(seed: 1)
        OrthogonalGradient().stage(s).apply(s, &rng)
        let out = grads(s)
        for (lo, hi) in [(0, 3), (3, 5)] {
            let dot = (lo..<hi).reduce(0) { $0 + out[$1] * w[$1] }
            XCTAssertEqual(dot, 0, accuracy: 1e-12, "orthogonal to its tensor's weights")
            let n0 = (lo..<hi).reduce(0) { $0 + g[$1] * g[$1] }.squareRoot(), n1 = (lo..<hi).reduce(0) { $0 + out[$1] * out[$1] }.squareRoot()
            XCTAssertEqual(n1, n0, accuracy: 1e-12, "the gradient's norm is kept")
        }
        // Tensor b: w = (0.5, 3), g = (1, 1): g⊥ = g − (3.5/9.25) w, rescaled to √2.
        let p = 3.5 / 9.25, o = [1 - p * 0.5, 1 - p * 3], k = 2.0.squareRoot() / (o[0] * o[0] + o[1] * o[1]).squareRoot()
        XCTAssertEqual(out[3], o[0] * k, accuracy: 1e-12)
        XCTAssertEqual(out[4], o[1] * k, accuracy: 1e-12)
    }

    func testWeightNormConstraintHoldsTheNormAfterEveryStep() throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Double>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        for target in [WeightNormConstraint.Target.norm(7), .factorOfInitial(0.5)] {
            let model = MLP<Double>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [32], classes: 11), capacity: tr.count, rng: RNG(seed: 2))
            let initial = model.store.totalNorm
            var tc = TrainingConfig(); tc.transforms = [WeightNormConstraint(target)]
            var oc = OptimizerConfig(); oc.learningRate = 0.01; oc.weightDecay = 0
            let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3))
            let r: Double
            if case .norm(let x) = target { r = x } else { r = 0.5 * initial }
            var before = model.store.valueArray
            for _ in 0..<20 {
                _ = trainer.step()
                XCTAssertEqual(model.store.totalNorm, r, accuracy: 1e-9 * r, "\(target)")
                XCTAssertNotEqual(model.store.valueArray, before, "the parameters move")
                before = model.store.valueArray
            }
        }
    }
}

final class StableMaxTests: XCTestCase {
    /// s(x) = x + 1 for x ≥ 0, 1/(1 − x) for x < 0: logits (1, −1, 0) give s = (2, 1/2, 1), S = 3.5,
    /// ℓ = log 3.5 − log s_y.
    func testStableMaxValueByHand() {
        let z: [Double] = [1, -1, 0]
        for (y, sy) in [(0, 2.0), (1, 0.5), (2, 1.0)] {
            let r = lossForwardBackward(.stablemax, logits: z, labels: [Int32(y)], B: 1, C: 3, dlogits: nil, scale: 1)
            XCTAssertEqual(r.loss, log(3.5) - log(sy), accuracy: 1e-15)
        }
    }

    /// A margin of 30 collapses float32's softmax (the correct class's probability rounds to 1) but
    /// neither float64's softmax nor StableMax (whose p_y = 31/33).
    func testOnlyTheFloat32SoftmaxCollapses() {
        let z: [Float] = [30, 0, 0]
        XCTAssertEqual(lossForwardBackward(.crossEntropy, logits: z, labels: [0], B: 1, C: 3, dlogits: nil, scale: 1).saturated, 1)
        XCTAssertEqual(lossForwardBackward(.crossEntropyFloat64, logits: z, labels: [0], B: 1, C: 3, dlogits: nil, scale: 1).saturated, 0)
        XCTAssertEqual(lossForwardBackward(.stablemax, logits: z, labels: [0], B: 1, C: 3, dlogits: nil, scale: 1).saturated, 0)
        // The float32 gradient vanishes there; the float64 one does not.
        var d32 = [Float](repeating: 1, count: 3), d64 = [Float](repeating: 1, count: 3)
        _ = lossForwardBackward(.crossEntropy, logits: z, labels: [0], B: 1, C: 3, dlogits: &d32, scale: 1)
        _ = lossForwardBackward(.crossEntropyFloat64, logits: z, labels: [0], B: 1, C: 3, dlogits: &d64, scale: 1)
        XCTAssertEqual(d32[0], 0)
        XCTAssertLessThan(d64[0], 0)
        XCTAssertEqual(Double(d64[1]), exp(-30) / (1 + 2 * exp(-30)), accuracy: 1e-6 * exp(-30))
    }
}

import XCTest
import Datasets
import Linalg
import Models
import Training
import Foundation

final class TmpTransformerRun: XCTestCase {
    func run(p: Int, frac: Double, op: BinaryOperation, layers: Int, d: Int, heads: Int, mlp: Int, ln: LayerNormPlacement, opToken: Bool, batch: Int?, steps: Int, wd: Double = 1, lr: Double = 1e-3, warm: Int = 10) throws {
        let table = try OperationTable(operation: op, modulus: p)
        let (tr, va) = try table.split(trainFraction: frac, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: p)
        var tc = TrainingConfig(); tc.maxSteps = steps; tc.batchSize = batch; tc.evalPoints = 40
        tc.stopEvent = EventRule(metric: .valAccuracy, atLeast: 0.99)
        var oc = OptimizerConfig(); oc.weightDecay = wd; oc.learningRate = lr; oc.warmupSteps = warm
        let cfg = TransformerConfig(operands: p, classes: p, opToken: opToken, layers: layers, dModel: d, heads: heads, dMLP: mlp, layerNorm: ln)
        let model = Transformer<Float>(config: cfg, capacity: batch ?? tr.count, rng: RNG(seed: 2))
        let out = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: RNG(seed: 3)).run()
        let mem = out.records.first { $0.trainAccuracy >= 0.99 }?.step
        let gen = out.records.first { $0.valAccuracy >= 0.99 }?.step
        print("RESULT p=\(p) frac=\(frac) \(op.rawValue) L=\(layers) d=\(d) batch=\(batch ?? tr.count): mem \(mem.map(String.init) ?? "-") gen \(gen.map(String.init) ?? "-") steps \(out.stepsRun) in \(String(format: "%.1f", out.totalSeconds)) s = \(String(format: "%.1f", Double(out.stepsRun) / out.totalSeconds)) steps/s; last val \(out.records.last!.valAccuracy)")
    }
    func testRuns() throws {
        let env = ProcessInfo.processInfo.environment
        if env["TMP_NANDA"] != nil { try run(p: 113, frac: 0.3, op: .add, layers: 1, d: 128, heads: 4, mlp: 512, ln: .none, opToken: false, batch: nil, steps: 100) }
        if env["TMP_POWER"] != nil { try run(p: 97, frac: 0.5, op: .divide, layers: 2, d: 128, heads: 4, mlp: 512, ln: .pre, opToken: true, batch: 512, steps: 100) }
        if env["TMP_CI"] != nil {
            try run(p: 31, frac: 0.6, op: .add, layers: 1, d: 64, heads: 4, mlp: 256, ln: .none, opToken: false, batch: nil, steps: 15000)
        }
    }
}

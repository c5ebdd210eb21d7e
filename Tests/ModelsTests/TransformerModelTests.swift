// The whole transformer: every parameter's gradient against finite differences, the last-position
// rewrite, the parameter count of Nanda et al.'s model.
import XCTest
import Linalg
import Models
import TestSupport

final class TransformerModelTests: XCTestCase {
    func batch(_ B: Int, p: Int, seed: UInt64) -> [Int32] {
        var rng = RNG(seed: seed)
        return (0..<(2 * B)).map { _ in Int32(rng.int(below: p)) }
    }

    /// Every parameter of the whole model, for every LayerNorm placement, both position kinds, both
    /// sequence layouts, one and two blocks, with the first block's token tables or row by row, the batch
    /// in one shard or two, against finite differences (loss Σ r ⊙ logits).
    func testWholeModelGradients() {
        let p = 5, B = 3
        var rng = RNG(seed: 9)
        for ln in LayerNormPlacement.allCases {
            for pos in PositionKind.allCases {
                for (opToken, layers, act) in [(true, 2, Activation.gelu), (false, 1, .relu)] {
                  for (tables, prefixRows, shards) in [(true, true, 1), (true, true, 2), (true, false, 2), (false, false, 2)] {
                    var cfg = TransformerConfig(operands: p, classes: p, opToken: opToken, layers: layers, dModel: 6, heads: 2, dHead: 3,
                                                dMLP: 8, activation: act, layerNorm: ln, positions: pos)
                    cfg.initScale = 1
                    cfg.firstBlockTables = tables
                    cfg.prefixRows = prefixRows
                    let model = Transformer<Double>(config: cfg, capacity: B, rng: RNG(seed: 4))
                    model.shardThreshold = shards == 2 ? 2 : 1000
                    XCTAssertEqual(model.shardCount(rows: B), shards)
                    // Move LayerNorm gains and biases off their initial 1 and 0 so their gradients are generic.
                    var x = model.store.valueArray.map { $0 + 0.1 * rng.normal() }
                    model.store.load(x)
                    let toks = batch(B, p: p, seed: 7)
                    let r = (0..<(B * p)).map { _ in rng.normal() }
                    func loss(_ params: [Double]) -> Double {
                        model.store.load(params)
                        return toks.withUnsafeBufferPointer { t in
                            let z = model.forward(InputBatch(count: B, tokens: t.baseAddress!))
                            return (0..<(B * p)).reduce(0.0) { $0 + z[$1] * r[$1] }
                        }
                    }
                    x = model.store.valueArray
                    _ = loss(x)
                    model.store.zeroGrads()
                    toks.withUnsafeBufferPointer { t in r.withUnsafeBufferPointer { model.backward(InputBatch(count: B, tokens: t.baseAddress!), dlogits: $0.baseAddress!) } }
                    let res = gradientCheck("transformer ln=\(ln) pos=\(pos) op=\(opToken) layers=\(layers) tables=\(tables) prefix=\(prefixRows) shards=\(shards)",
                                            at: x, analytic: model.store.gradArray, loss)
                    XCTAssertTrue(res.passed, res.description)
                  }
                }
            }
        }
    }

    /// Computing the last block at the answer position only is exact: same logits, same gradients.
    func testLastPositionRewriteIsExact() {
        for ln in LayerNormPlacement.allCases {
            let cfg = TransformerConfig(operands: 13, classes: 13, opToken: true, layers: 2, dModel: 16, heads: 4, dMLP: 32, layerNorm: ln)
            var fullCfg = cfg; fullCfg.fullLastBlock = true
            let fast = Transformer<Double>(config: cfg, capacity: 9, rng: RNG(seed: 1))
            let full = Transformer<Double>(config: fullCfg, capacity: 9, rng: RNG(seed: 1))
            XCTAssertEqual(fast.store.valueArray, full.store.valueArray)
            let toks = batch(9, p: 13, seed: 3)
            var rng = RNG(seed: 5)
            let r = (0..<(9 * 13)).map { _ in rng.normal() }
            for m in [fast, full] {
                m.store.zeroGrads()
                toks.withUnsafeBufferPointer { t in
                    _ = m.forward(InputBatch(count: 9, tokens: t.baseAddress!))
                    r.withUnsafeBufferPointer { m.backward(InputBatch(count: 9, tokens: t.baseAddress!), dlogits: $0.baseAddress!) }
                }
            }
            for i in 0..<(9 * 13) { XCTAssertEqual(fast.logits[i], full.logits[i], accuracy: 1e-12, "ln=\(ln) logit \(i)") }
            let gf = fast.store.gradArray, gu = full.store.gradArray
            for i in 0..<gf.count { XCTAssertEqual(gf[i], gu[i], accuracy: 1e-10 * max(1, abs(gu[i])), "ln=\(ln) gradient \(i)") }
        }
    }

    /// The first block's token tables, and its prefix rows (two blocks or more), equal the row-by-row
    /// computation: the same logits and gradients for every LayerNorm placement, both sequence layouts,
    /// one to three blocks, in one shard and in two.
    func testTokenTablesAndPrefixRowsEqualTheDirectComputation() {
        let p = 11, B = 40
        for ln in LayerNormPlacement.allCases {
            for (opToken, layers) in [(true, 2), (false, 2), (false, 1), (true, 1), (true, 3)] {
              for prefixRows in [true, false] where prefixRows || layers >= 2 {
                for shards in [1, 2] {
                    var cfg = TransformerConfig(operands: p, classes: p, opToken: opToken, layers: layers, dModel: 16, heads: 4, dMLP: 24, layerNorm: ln)
                    cfg.prefixRows = prefixRows
                    var directCfg = cfg; directCfg.firstBlockTables = false
                    let tabled = Transformer<Double>(config: cfg, capacity: B, rng: RNG(seed: 1))
                    let direct = Transformer<Double>(config: directCfg, capacity: B, rng: RNG(seed: 1))
                    tabled.shardThreshold = shards == 2 ? 8 : 1000
                    direct.shardThreshold = 1000
                    XCTAssertEqual(tabled.shardCount(rows: B), shards)
                    // LayerNorm gains and biases off 1 and 0, so every path carries a generic value.
                    var rng = RNG(seed: 6)
                    let x = tabled.store.valueArray.map { $0 + 0.1 * rng.normal() }
                    tabled.store.load(x); direct.store.load(x)
                    let toks = batch(B, p: p, seed: 3)
                    let r = (0..<(B * p)).map { _ in rng.normal() }
                    for m in [tabled, direct] {
                        m.store.zeroGrads()
                        toks.withUnsafeBufferPointer { t in
                            _ = m.forward(InputBatch(count: B, tokens: t.baseAddress!))
                            r.withUnsafeBufferPointer { m.backward(InputBatch(count: B, tokens: t.baseAddress!), dlogits: $0.baseAddress!) }
                        }
                    }
                    XCTAssertEqual(tabled.computesPrefixRows, prefixRows && layers >= 2)
                    let what = "ln=\(ln) op=\(opToken) layers=\(layers) prefix=\(prefixRows) shards=\(shards)"
                    for i in 0..<(B * p) { XCTAssertEqual(tabled.logits[i], direct.logits[i], accuracy: 1e-12, "\(what) logit \(i)") }
                    let gt = tabled.store.gradArray, gd = direct.store.gradArray
                    var worst = 0.0
                    for i in 0..<gt.count { worst = max(worst, abs(gt[i] - gd[i]) / max(1, abs(gd[i]))) }
                    XCTAssertLessThan(worst, 1e-11, what)
                    XCTAssertGreaterThan(gd.map(abs).max()!, 0.1, "the gradients are not trivially zero")
                }
              }
            }
        }
    }

    /// A backward pass adds its gradients to the store's (the caller zeroes them): a second backward pass
    /// after the same forward pass doubles them, tables, prefix rows and shards included.
    func testBackwardAccumulates() {
        for (opToken, layers) in [(true, 2), (false, 1), (true, 3)] {
            let cfg = TransformerConfig(operands: 7, classes: 7, opToken: opToken, layers: layers, dModel: 8, heads: 2, dMLP: 12, layerNorm: .pre)
            let model = Transformer<Double>(config: cfg, capacity: 10, rng: RNG(seed: 3))
            model.shardThreshold = 4
            let toks = batch(10, p: 7, seed: 8)
            var rng = RNG(seed: 2)
            let r = (0..<(10 * 7)).map { _ in rng.normal() }
            model.store.zeroGrads()
            toks.withUnsafeBufferPointer { t in
                _ = model.forward(InputBatch(count: 10, tokens: t.baseAddress!))
                r.withUnsafeBufferPointer { model.backward(InputBatch(count: 10, tokens: t.baseAddress!), dlogits: $0.baseAddress!) }
            }
            let once = model.store.gradArray
            toks.withUnsafeBufferPointer { t in
                r.withUnsafeBufferPointer { model.backward(InputBatch(count: 10, tokens: t.baseAddress!), dlogits: $0.baseAddress!) }
            }
            let twice = model.store.gradArray
            for i in once.indices { XCTAssertEqual(twice[i], 2 * once[i], accuracy: 1e-12 * max(1, abs(once[i])), "layers \(layers) gradient \(i)") }
        }
    }

    func testParameterCountOfTheNandaModel() {
        let cfg = TransformerConfig(operands: 113, classes: 113, opToken: false, layers: 1, dModel: 128, heads: 4, dHead: 32, dMLP: 512, layerNorm: .none)
        // embed (115·128) + pos (3·128) + Q,K,V,O (4·128·128) + MLP (512·128 + 512 + 128·512 + 128) + unembed (113·128)
        XCTAssertEqual(cfg.parameterCount, 115 * 128 + 3 * 128 + 4 * 128 * 128 + 512 * 128 + 512 + 128 * 512 + 128 + 113 * 128)
    }
}

// The transformer's layers against finite differences and their definitions: LayerNorm, causal attention.
import XCTest
import Linalg
import Models
import TestSupport

final class TransformerLayerTests: XCTestCase {
    var rng = RNG(seed: 21)
    func randoms(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    func testLayerNorm() {
        let R = 3, C = 7
        let x = randoms(R * C), gain = randoms(C), bias = randoms(C), r = randoms(R * C)
        func loss(_ x: [Double], _ gain: [Double], _ bias: [Double]) -> Double {
            var out = [Double](repeating: 0, count: R * C), mean = [Double](repeating: 0, count: R), rstd = mean
            layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: x, g: gain, b: bias, R: R, C: C)
            return zip(out, r).map(*).reduce(0, +)
        }
        var out = [Double](repeating: 0, count: R * C), mean = [Double](repeating: 0, count: R), rstd = mean
        layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: x, g: gain, b: bias, R: R, C: C)
        var dx = [Double](repeating: 0, count: R * C), dg = [Double](repeating: 0, count: C), db = dg
        layerNormBackward(dinp: &dx, dg: &dg, db: &db, dout: r, inp: x, g: gain, mean: mean, rstd: rstd, R: R, C: C)
        for (name, at, an, f) in [("d/dx", x, dx, { loss($0, gain, bias) }), ("d/dg", gain, dg, { loss(x, $0, bias) }), ("d/db", bias, db, { loss(x, gain, $0) })] as [(String, [Double], [Double], ([Double]) -> Double)] {
            let res = gradientCheck("layerNorm \(name)", at: at, analytic: an, f)
            XCTAssertTrue(res.passed, res.description)
        }
    }

    func testCausalAttention() {
        for TQ in [4, 1] {
            let B = 2, Tl = 4, NH = 2, HS = 3, A = NH * HS
            let q = randoms(B * TQ * A), k = randoms(B * Tl * A), v = randoms(B * Tl * A), r = randoms(B * TQ * A)
            func run(_ q: [Double], _ k: [Double], _ v: [Double]) -> ([Double], [Double]) {
                var y = [Double](repeating: 0, count: B * TQ * A), att = [Double](repeating: 0, count: B * NH * TQ * Tl)
                attentionForward(y: &y, att: &att, q: q, k: k, v: v, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS)
                return (y, att)
            }
            func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double { zip(run(q, k, v).0, r).map(*).reduce(0, +) }
            let att = run(q, k, v).1
            var dq = [Double](repeating: 0, count: q.count), dk = [Double](repeating: 0, count: k.count), dv = dk
            var scratch = [Double](repeating: 0, count: Tl)
            attentionBackward(dq: &dq, dk: &dk, dv: &dv, dy: r, att: att, q: q, k: k, v: v, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS, scratch: &scratch)
            for (name, at, an, f) in [("dq", q, dq, { loss($0, k, v) }), ("dk", k, dk, { loss(q, $0, v) }), ("dv", v, dv, { loss(q, k, $0) })] as [(String, [Double], [Double], ([Double]) -> Double)] {
                let res = gradientCheck("attention TQ=\(TQ) \(name)", at: at, analytic: an, f)
                XCTAssertTrue(res.passed, res.description)
            }
            // Causality: each row of weights sums to 1 and puts nothing on future positions.
            for b in 0..<B { for h in 0..<NH { for i in 0..<TQ {
                let t = Tl - TQ + i
                let row = Array(att[(((b * NH + h) * TQ + i) * Tl)..<(((b * NH + h) * TQ + i + 1) * Tl)])
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-12)
                for s in (t + 1)..<max(t + 1, Tl) { XCTAssertEqual(row[s], 0) }
            } } }
        }
    }
}

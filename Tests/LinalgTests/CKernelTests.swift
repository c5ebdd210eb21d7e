// The C kernels (Sources/CKernels, reached through Scalar) against the scalar Swift loops they replace,
// written out here entry by entry: the same bits in Float and Double, with and without table indexes, so
// that moving a loop to C (where it vectorizes) changes no result.
import XCTest
import Linalg

final class CKernelTests: XCTestCase {
    var rng = RNG(seed: 5)

    func values<T: Scalar>(_ n: Int, _: T.Type, scale: Double = 1) -> [T] { (0..<n).map { _ in T(scale * rng.normal()) } }

    /// Each entry's sign, exponent and significand bits.
    func bits<T: Scalar>(_ a: [T]) -> [String] { a.map { "\($0.sign == .minus ? 1 : 0) \($0.exponentBitPattern) \($0.significandBitPattern)" } }

    // MARK: Adam

    func adamReference<T: Scalar>(_ p: inout [T], _ g: [T], _ m: inout [T], _ v: inout [T],
                                  lr: T, b1: T, b2: T, c1: T, c2: T, eps: T, shrink: T, l2: T) {
        for i in p.indices {
            let gi = g[i] + l2 * p[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi; v[i] = vi
            p[i] = p[i] * shrink - lr * (mi * c1) / (T.squareRoot(vi * c2) + eps)
        }
    }

    func checkAdam<T: Scalar>(_: T.Type) {
        // Lengths around the vector widths (4, 8, 16 entries) and their tails.
        for n in [1, 7, 16, 33, 1000] {
            for (shrink, l2) in [(T(1) - T(1e-3) * T(1), T(0)), (T(1), T(0.5)), (T(1), T(0))] {
                var p = values(n, T.self), m = values(n, T.self, scale: 0.1), v = values(n, T.self, scale: 0.1).map { $0 * $0 }
                let g = values(n, T.self)
                var (p2, m2, v2) = (p, m, v)
                let (lr, b1, b2, c1, c2, eps) = (T(1e-3), T(0.9), T(0.98), T(1 / (1 - 0.9 * 0.9)), T(1 / (1 - 0.98 * 0.98)), T(1e-8))
                adamReference(&p, g, &m, &v, lr: lr, b1: b1, b2: b2, c1: c1, c2: c2, eps: eps, shrink: shrink, l2: l2)
                T.adamStep(theta: &p2, grad: g, m: &m2, v: &v2, n: n, lr: lr, beta1: b1, beta2: b2, c1: c1, c2: c2, epsilon: eps, shrink: shrink, l2: l2)
                XCTAssertEqual(bits(p2), bits(p), "\(T.self) n=\(n) θ")
                XCTAssertEqual(bits(m2), bits(m), "\(T.self) n=\(n) m")
                XCTAssertEqual(bits(v2), bits(v), "\(T.self) n=\(n) v")
            }
        }
    }

    func testAdamStepIsTheScalarRuleBitForBit() {
        checkAdam(Float.self)
        checkAdam(Double.self)
    }

    // MARK: Attention

    func row(_ index: [Int32]?, _ sequenceRow: Int, _ denseRow: Int) -> Int { index.map { Int($0[sequenceRow]) } ?? denseRow }

    func attentionForwardReference<T: Scalar>(_ y: inout [T], _ att: inout [T], _ q: [T], _ k: [T], _ v: [T],
                                              B: Int, Tl: Int, TQ: Int, NH: Int, HS: Int, queries: [Int32]?, keys: [Int32]?) {
        let A = NH * HS, scale = 1 / T.squareRoot(T(HS))
        for b in 0..<B { for h in 0..<NH { for i in 0..<TQ {
            let t = Tl - TQ + i, qi = row(queries, b * Tl + t, b * TQ + i) * A + h * HS, w = ((b * NH + h) * TQ + i) * Tl
            var maxv = -T.infinity
            for s in 0...t {
                let ks = row(keys, b * Tl + s, b * Tl + s) * A + h * HS
                var dot: T = 0
                for e in 0..<HS { dot += q[qi + e] * k[ks + e] }
                att[w + s] = dot * scale
                if att[w + s] > maxv { maxv = att[w + s] }
            }
            var sum: T = 0
            for s in 0...t { att[w + s] = T.exp(att[w + s] - maxv); sum += att[w + s] }
            for s in 0...t { att[w + s] /= sum }
            for s in (t + 1)..<max(t + 1, Tl) { att[w + s] = 0 }
            let yi = (b * TQ + i) * A + h * HS
            for e in 0..<HS { y[yi + e] = 0 }
            for s in 0...t {
                let vs = row(keys, b * Tl + s, b * Tl + s) * A + h * HS
                for e in 0..<HS { y[yi + e] += att[w + s] * v[vs + e] }
            }
        } } }
    }

    func attentionBackwardReference<T: Scalar>(_ dq: inout [T], _ dk: inout [T], _ dv: inout [T], _ dy: [T], _ att: [T], _ q: [T], _ k: [T], _ v: [T],
                                               B: Int, Tl: Int, TQ: Int, NH: Int, HS: Int, queries: [Int32]?, keys: [Int32]?) {
        let A = NH * HS, scale = 1 / T.squareRoot(T(HS))
        var datt = [T](repeating: 0, count: Tl)
        for b in 0..<B { for h in 0..<NH { for i in 0..<TQ {
            let t = Tl - TQ + i, w = ((b * NH + h) * TQ + i) * Tl, dyi = (b * TQ + i) * A + h * HS
            for s in 0...t {
                let r = row(keys, b * Tl + s, b * Tl + s) * A + h * HS
                var d: T = 0
                for e in 0..<HS { d += dy[dyi + e] * v[r + e]; dv[r + e] += att[w + s] * dy[dyi + e] }
                datt[s] = d
            }
            var dot: T = 0
            for s in 0...t { dot += att[w + s] * datt[s] }
            let rq = row(queries, b * Tl + t, b * TQ + i) * A + h * HS
            for s in 0...t {
                let ds = att[w + s] * (datt[s] - dot) * scale
                let r = row(keys, b * Tl + s, b * Tl + s) * A + h * HS
                for e in 0..<HS { dq[rq + e] += ds * k[r + e]; dk[r + e] += ds * q[rq + e] }
            }
        } } }
    }

    func checkAttention<T: Scalar>(_: T.Type, indexed: Bool, TQ: Int, HS: Int) {
        let B = 5, Tl = 4, NH = 4, A = NH * HS
        // Indexed: q, k and v are tables of R rows, each sequence position reading the row its index gives
        // (rows repeat across sequences, so the gradients add into shared rows).
        let R = 7
        let queries: [Int32]? = indexed ? (0..<(B * Tl)).map { _ in Int32(rng.int(below: R)) } : nil
        let keys: [Int32]? = indexed ? (0..<(B * Tl)).map { _ in Int32(rng.int(below: R)) } : nil
        let qRows = indexed ? R : B * TQ, kRows = indexed ? R : B * Tl
        let q = values(qRows * A, T.self), k = values(kRows * A, T.self), v = values(kRows * A, T.self), dy = values(B * TQ * A, T.self)
        var y = [T](repeating: 0, count: B * TQ * A), att = [T](repeating: 0, count: B * NH * TQ * Tl)
        var y2 = y, att2 = att
        attentionForwardReference(&y, &att, q, k, v, B: B, Tl: Tl, TQ: TQ, NH: NH, HS: HS, queries: queries, keys: keys)
        func withIndexes(_ body: (UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> Void) {
            (queries ?? [0]).withUnsafeBufferPointer { qi in (keys ?? [0]).withUnsafeBufferPointer { ki in
                body(queries == nil ? nil : qi.baseAddress, keys == nil ? nil : ki.baseAddress)
            } }
        }
        withIndexes { qi, ki in
            T.attentionForwardKernel(y: &y2, att: &att2, q: q, k: k, v: v, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS, queries: qi, keys: ki)
        }
        let what = "\(T.self) indexed=\(indexed) TQ=\(TQ) HS=\(HS)"
        XCTAssertEqual(bits(y2), bits(y), "\(what) y")
        XCTAssertEqual(bits(att2), bits(att), "\(what) att")
        // The backward pass adds into gradients that already hold values.
        var dq = values(q.count, T.self), dk = values(k.count, T.self), dv = values(v.count, T.self)
        var (dq2, dk2, dv2) = (dq, dk, dv)
        var scratch = [T](repeating: 0, count: Tl)
        attentionBackwardReference(&dq, &dk, &dv, dy, att, q, k, v, B: B, Tl: Tl, TQ: TQ, NH: NH, HS: HS, queries: queries, keys: keys)
        withIndexes { qi, ki in
            T.attentionBackwardKernel(dq: &dq2, dk: &dk2, dv: &dv2, dy: dy, att: att, q: q, k: k, v: v, B: B, Tlen: Tl, TQ: TQ, NH: NH, HS: HS,
                                      scratch: &scratch, queries: qi, keys: ki)
        }
        XCTAssertEqual(bits(dq2), bits(dq), "\(what) dq")
        XCTAssertEqual(bits(dk2), bits(dk), "\(what) dk")
        XCTAssertEqual(bits(dv2), bits(dv), "\(what) dv")
    }

    func testAttentionKernelsAreTheScalarLoopsBitForBit() {
        for indexed in [false, true] {
            // Head sizes 32 and 16 take the kernels' paths with the size a constant; 5 the general one.
            for TQ in [4, 2, 1] { for HS in [32, 16, 5] {
                checkAttention(Float.self, indexed: indexed, TQ: TQ, HS: HS)
                checkAttention(Double.self, indexed: indexed, TQ: TQ, HS: HS)
            } }
        }
    }

    // MARK: LayerNorm

    func layerNormForwardReference<T: Scalar>(_ out: inout [T], _ mean: inout [T], _ rstd: inout [T], _ x: [T], _ g: [T], _ b: [T], R: Int, C: Int) {
        for r in 0..<R {
            var m: T = 0
            for c in 0..<C { m += x[r * C + c] }
            m /= T(C)
            var v: T = 0
            for c in 0..<C { let d = x[r * C + c] - m; v += d * d }
            v /= T(C)
            let s = 1 / T.squareRoot(v + T(1e-5))
            for c in 0..<C { out[r * C + c] = (x[r * C + c] - m) * s * g[c] + b[c] }
            mean[r] = m; rstd[r] = s
        }
    }

    func layerNormBackwardReference<T: Scalar>(_ dx: inout [T], _ dg: inout [T], _ db: inout [T], _ d: [T], _ x: [T], _ g: [T],
                                               _ mean: [T], _ rstd: [T], R: Int, C: Int) {
        for r in 0..<R {
            let m = mean[r], s = rstd[r]
            var dnormMean: T = 0, dnormNormMean: T = 0
            for c in 0..<C {
                let xh = (x[r * C + c] - m) * s, dn = g[c] * d[r * C + c]
                dnormMean += dn; dnormNormMean += dn * xh
            }
            dnormMean /= T(C); dnormNormMean /= T(C)
            for c in 0..<C {
                let xh = (x[r * C + c] - m) * s, dn = g[c] * d[r * C + c]
                db[c] += d[r * C + c]
                dg[c] += xh * d[r * C + c]
                dx[r * C + c] += (dn - dnormMean - xh * dnormNormMean) * s
            }
        }
    }

    func checkLayerNorm<T: Scalar>(_: T.Type, R: Int, C: Int) {
        // Rows offset from zero, so that the means matter; gradients added into values already there.
        let x = values(R * C, T.self).map { $0 + 3 }, g = values(C, T.self), b = values(C, T.self)
        var out = [T](repeating: 0, count: R * C), mean = [T](repeating: 0, count: R), rstd = mean
        var (out2, mean2, rstd2) = (out, mean, rstd)
        layerNormForwardReference(&out, &mean, &rstd, x, g, b, R: R, C: C)
        T.layerNormForwardKernel(out: &out2, mean: &mean2, rstd: &rstd2, inp: x, g: g, b: b, R: R, C: C)
        let what = "\(T.self) R=\(R) C=\(C)"
        XCTAssertEqual(bits(out2), bits(out), "\(what) out")
        XCTAssertEqual(bits(mean2), bits(mean), "\(what) mean")
        XCTAssertEqual(bits(rstd2), bits(rstd), "\(what) rstd")
        let d = values(R * C, T.self)
        var dx = values(R * C, T.self), dg = values(C, T.self), db = values(C, T.self)
        var (dx2, dg2, db2) = (dx, dg, db)
        layerNormBackwardReference(&dx, &dg, &db, d, x, g, mean, rstd, R: R, C: C)
        T.layerNormBackwardKernel(dinp: &dx2, dg: &dg2, db: &db2, dout: d, inp: x, g: g, mean: mean, rstd: rstd, R: R, C: C)
        XCTAssertEqual(bits(dx2), bits(dx), "\(what) dx")
        XCTAssertEqual(bits(dg2), bits(dg), "\(what) dg")
        XCTAssertEqual(bits(db2), bits(db), "\(what) db")
    }

    func testLayerNormKernelsAreTheScalarLoopsBitForBit() {
        // Row counts around the four rows taken together, widths around the vector widths.
        for (R, C) in [(1, 128), (3, 17), (4, 128), (7, 33), (13, 64), (64, 128)] {
            checkLayerNorm(Float.self, R: R, C: C)
            checkLayerNorm(Double.self, R: R, C: C)
        }
    }

    // MARK: ReLU mask

    func checkReluMask<T: Scalar>(_: T.Type) {
        // Signs that are ±0, ±∞, NaN of either sign, subnormal and ordinary numbers.
        let special: [T] = [0, -0.0, .infinity, -.infinity, .nan, -T.nan, T.leastNonzeroMagnitude, -T.leastNonzeroMagnitude, 1, -1]
        let sign = special + values(70, T.self), value = values(sign.count, T.self)
        let expected = zip(value, sign).map { v, s in s.sign == .plus && (s > 0 || s.isNaN) ? v : T(0) }
        var out = [T](repeating: 7, count: sign.count)
        T.reluMask(out: &out, value: value, sign: sign, N: sign.count)
        XCTAssertEqual(bits(out), bits(expected), "\(T.self)")
        // In place: out is value.
        var inPlace = value
        inPlace.withUnsafeMutableBufferPointer { p in T.reluMask(out: p.baseAddress!, value: p.baseAddress!, sign: sign, N: sign.count) }
        XCTAssertEqual(bits(inPlace), bits(expected), "\(T.self) in place")
    }

    func testReluMaskKeepsValueWhereTheSignIsPositive() {
        checkReluMask(Float.self)
        checkReluMask(Double.self)
    }
}

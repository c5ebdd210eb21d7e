// Finite-difference gradient checks, in Double, for every layer: linear, activations, ReLU kernels,
// token tables and gather (checkGradient, in CheckGradient.swift).
import XCTest
import Linalg
import Models

final class LayerGradientTests: XCTestCase {
    var rng = RNG(seed: 11)
    func randoms(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    func testLinear() {
        let B = 3, I = 5, O = 4
        let inp = randoms(B * I), w = randoms(O * I), b = randoms(O), r = randoms(B * O)
        func loss(_ inp: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var out = [Double](repeating: 0, count: B * O)
            linearForward(out: &out, inp: inp, weight: w, bias: b, B: B, I: I, O: O)
            return zip(out, r).map(*).reduce(0, +)
        }
        var dinp = [Double](repeating: 0, count: B * I), dw = [Double](repeating: 0, count: O * I), db = [Double](repeating: 0, count: O)
        linearBackward(dinp: &dinp, dweight: &dw, dbias: &db, dout: r, inp: inp, weight: w, B: B, I: I, O: O)
        checkGradient("linear d/dinp", at: inp, analytic: dinp) { loss($0, w, b) }
        checkGradient("linear d/dweight", at: w, analytic: dw) { loss(inp, $0, b) }
        checkGradient("linear d/dbias", at: b, analytic: db) { loss(inp, w, $0) }
    }

    func testActivations() {
        let N = 40
        let x = randoms(N), r = randoms(N)
        for f in Activation.allCases {
            func loss(_ x: [Double]) -> Double {
                var out = [Double](repeating: 0, count: N)
                activationForward(f, out: &out, inp: x, N: N)
                return zip(out, r).map(*).reduce(0, +)
            }
            var dx = [Double](repeating: 0, count: N)
            activationBackward(f, dinp: &dx, dout: r, inp: x, N: N)
            checkGradient("activation \(f.rawValue)", at: x, analytic: dx, loss)
            var dxAssign = [Double](repeating: 7, count: N)
            activationBackwardAssign(f, dinp: &dxAssign, dout: r, inp: x, N: N)
            XCTAssertEqual(dxAssign, dx, "activationBackwardAssign \(f.rawValue) differs from the accumulating form")
        }
    }

    func testReluKernelsMatchDefinition() {
        var xs: [Float] = (0..<37).map { _ in Float(rng.normal()) }
        xs[3] = 0; xs[4] = -0.0; xs[5] = .leastNonzeroMagnitude; xs[6] = -.leastNonzeroMagnitude
        let d: [Float] = (0..<37).map { _ in Float(rng.normal()) }
        var out = [Float](repeating: 9, count: 37), back = [Float](repeating: 9, count: 37)
        reluForward(out: &out, inp: xs, N: 37)
        reluBackwardAssign(dinp: &back, dout: d, inp: xs, N: 37)
        for i in 0..<37 {
            XCTAssertEqual(out[i], xs[i] > 0 ? xs[i] : 0, "relu(\(xs[i]))")
            XCTAssertEqual(back[i], xs[i] > 0 ? d[i] : 0, "relu'(\(xs[i]))")
        }
    }

    func testTokenTablesAndGather() {
        let V = 5, D = 3, H = 4, L = 2, B = 6
        let E = randoms(V * D), W = randoms(H * L * D), bias = randoms(H), r = randoms(B * H)
        let tokens: [Int32] = (0..<(B * L)).map { _ in Int32(rng.int(below: V)) }
        func loss(_ E: [Double], _ W: [Double], _ bias: [Double]) -> Double {
            var tables = [Double](repeating: 0, count: L * V * H), z = [Double](repeating: 0, count: B * H)
            embeddingTablesForward(tables: &tables, embedding: E, weight: W, V: V, D: D, H: H, L: L)
            tokenGatherForward(out: &z, tables: tables, bias: bias, tokens: tokens, B: B, V: V, H: H, L: L)
            return zip(z, r).map(*).reduce(0, +)
        }
        var dtables = [Double](repeating: 0, count: L * V * H), dbias = [Double](repeating: 0, count: H)
        tokenGatherBackward(dtables: &dtables, dbias: &dbias, dout: r, tokens: tokens, B: B, V: V, H: H, L: L)
        var dE = [Double](repeating: 0, count: V * D), dW = [Double](repeating: 0, count: H * L * D)
        embeddingTablesBackward(dembedding: &dE, dweight: &dW, dtables: dtables, embedding: E, weight: W, V: V, D: D, H: H, L: L)
        checkGradient("embedding tables d/dE", at: E, analytic: dE) { loss($0, W, bias) }
        checkGradient("embedding tables d/dW", at: W, analytic: dW) { loss(E, $0, bias) }
        checkGradient("token gather d/dbias", at: bias, analytic: dbias) { loss(E, W, $0) }

        // One-hot tables: W is [H, L·V].
        let W1 = randoms(H * L * V)
        func loss1(_ W1: [Double]) -> Double {
            var tables = [Double](repeating: 0, count: L * V * H), z = [Double](repeating: 0, count: B * H)
            oneHotTablesForward(tables: &tables, weight: W1, V: V, H: H, L: L)
            tokenGatherForward(out: &z, tables: tables, bias: bias, tokens: tokens, B: B, V: V, H: H, L: L)
            return zip(z, r).map(*).reduce(0, +)
        }
        var dW1 = [Double](repeating: 0, count: H * L * V)
        oneHotTablesBackward(dweight: &dW1, dtables: dtables, V: V, H: H, L: L)
        checkGradient("one-hot tables d/dW", at: W1, analytic: dW1, loss1)
    }
}

// Layers as pairs of plain functions, forward and backward side by side (after llm.c).
//
// Shape letters for this file:
//   B  rows in the batch            I  input features of a linear layer    O  output features
//   V  vocabulary (operand tokens)  L  operand positions (2 for x ∘ y)     D  embedding dimension
//   H  hidden width of the first layer
// All matrices are row-major. Gradients are named d<name> and accumulate with +=; they are zeroed
// in one place (ParameterStore.zeroGrads) before each backward pass.
import Linalg

// MARK: - Linear: out = inp · weightᵀ + bias

/// out[B,O] = inp[B,I] · weight[O,I]ᵀ + bias[O]
public func linearForward<T: Scalar>(
    out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
    B: Int, I: Int, O: Int
) {
    if let bias {
        for b in 0..<B { (out + b * O).update(from: bias, count: O) }
    }
    T.gemm(transA: false, transB: true, m: B, n: O, k: I, alpha: 1, a: inp, lda: I, b: weight, ldb: I,
           beta: bias == nil ? 0 : 1, c: out, ldc: O)
}

/// dinp[B,I] += dout · weight (or =, with assignInput: the caller need not zero it first);
/// dweight[O,I] += doutᵀ · inp;  dbias[O] += Σ_b dout[b,:]
/// Pass dinp = nil for the first layer, whose input needs no gradient.
public func linearBackward<T: Scalar>(
    dinp: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>?,
    dout: UnsafePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
    B: Int, I: Int, O: Int, assignInput: Bool = false
) {
    if let dinp {
        T.gemm(transA: false, transB: false, m: B, n: I, k: O, alpha: 1, a: dout, lda: O, b: weight, ldb: I,
               beta: assignInput ? 0 : 1, c: dinp, ldc: I)
    }
    T.gemm(transA: true, transB: false, m: O, n: I, k: B, alpha: 1, a: dout, lda: O, b: inp, ldb: I,
           beta: 1, c: dweight, ldc: I)
    if let dbias { columnSumAccumulate(dbias, dout, rows: B, cols: O) }
}

/// acc[C] += Σ_r m[r, :]
@inline(__always)
public func columnSumAccumulate<T: Scalar>(_ acc: UnsafeMutablePointer<T>, _ m: UnsafePointer<T>, rows: Int, cols: Int) {
    for r in 0..<rows {
        addAssign(acc, m + r * cols, N: cols)
    }
}

// MARK: - Activations

public enum Activation: String, CaseIterable, Sendable, Codable {
    case relu, gelu, quadratic, tanh, identity
}

private let geluC: Double = 0.7978845608028654 // √(2/π)

/// x[i] *= m[i] for i < N (dropout masks, forward and backward).
@inline(__always) public func multiplyInPlace<T: Scalar>(_ x: UnsafeMutablePointer<T>, _ m: UnsafePointer<T>, N: Int) {
    for i in 0..<N { x[i] *= m[i] }
}

/// out[N] = f(inp[N]). GELU is the tanh approximation (Hendrycks and Gimpel 2016), as in GPT-2.
public func activationForward<T: Scalar>(_ f: Activation, out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, N: Int) {
    switch f {
    case .relu: reluForward(out: out, inp: inp, N: N)
    case .quadratic: for i in 0..<N { let x = inp[i]; out[i] = x * x }
    case .tanh: for i in 0..<N { out[i] = T.tanh(inp[i]) }
    case .identity: out.update(from: inp, count: N)
    case .gelu:
        let c = T(geluC), k = T(0.044715)
        for i in 0..<N {
            let x = inp[i]
            out[i] = 0.5 * x * (1 + T.tanh(c * (x + k * x * x * x)))
        }
    }
}

/// dinp[N] += f'(inp) · dout   (the local chain rule of activationForward)
public func activationBackward<T: Scalar>(_ f: Activation, dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, inp: UnsafePointer<T>, N: Int) {
    switch f {
    case .relu: for i in 0..<N where inp[i] > 0 { dinp[i] += dout[i] }
    case .quadratic: for i in 0..<N { dinp[i] += 2 * inp[i] * dout[i] }
    case .tanh: for i in 0..<N { let t = T.tanh(inp[i]); dinp[i] += (1 - t * t) * dout[i] }
    case .identity: for i in 0..<N { dinp[i] += dout[i] }
    case .gelu:
        let c = T(geluC), k = T(0.044715)
        for i in 0..<N {
            let x = inp[i]
            let u = c * (x + k * x * x * x)
            let t = T.tanh(u)
            let du = c * (1 + 3 * k * x * x)
            dinp[i] += (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du) * dout[i]
        }
    }
}

/// Overwriting variant for the hot path: dinp[N] = f'(inp) · dout (saves zeroing dinp first).
public func activationBackwardAssign<T: Scalar>(_ f: Activation, dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, inp: UnsafePointer<T>, N: Int) {
    switch f {
    case .relu: reluBackwardAssign(dinp: dinp, dout: dout, inp: inp, N: N)
    case .quadratic: for i in 0..<N { dinp[i] = 2 * inp[i] * dout[i] }
    default:
        dinp.update(repeating: 0, count: N)
        activationBackward(f, dinp: dinp, dout: dout, inp: inp, N: N)
    }
}

// MARK: - Token tables: the first layer over L operand tokens, computed exactly as a sum of per-position tables
//
// With embeddings E[V,D] concatenated over L positions and a first layer W[H, L·D], row b of the first
// layer's pre-activation is   z[b,:] = bias + Σ_l W_l · E[x_bl,:]   with W_l = W[:, l·D ..< (l+1)·D].
// Computing table_l[V,H] = E · W_lᵀ once per step (V·D·H work) and gathering replaces the B·L·D·H
// product of the direct computation (B = V² / 2 rows for x ∘ y at fraction 0.5). One-hot inputs are
// the special case E = identity (table_l = W_lᵀ).

/// table[l][V,H] = E[V,D] · W[:, l·D..<(l+1)·D]ᵀ for each position l (or those in `positions`); tables is [L, V, H].
public func embeddingTablesForward<T: Scalar>(
    tables: UnsafeMutablePointer<T>, embedding: UnsafePointer<T>, weight: UnsafePointer<T>,
    V: Int, D: Int, H: Int, L: Int, positions: Range<Int>? = nil
) {
    for l in positions ?? 0..<L {
        T.gemm(transA: false, transB: true, m: V, n: H, k: D, alpha: 1, a: embedding, lda: D,
               b: weight + l * D, ldb: L * D, beta: 0, c: tables + l * V * H, ldc: H)
    }
}

/// dE[V,D] += Σ_l dtable_l · W_l;   dW_l[H,D] += dtable_lᵀ · E   (either gradient skipped when nil)
public func embeddingTablesBackward<T: Scalar>(
    dembedding: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>?,
    dtables: UnsafePointer<T>, embedding: UnsafePointer<T>, weight: UnsafePointer<T>,
    V: Int, D: Int, H: Int, L: Int
) {
    for l in 0..<L {
        let dt = dtables + l * V * H
        if let dembedding {
            T.gemm(transA: false, transB: false, m: V, n: D, k: H, alpha: 1, a: dt, lda: H,
                   b: weight + l * D, ldb: L * D, beta: 1, c: dembedding, ldc: D)
        }
        if let dweight {
            T.gemm(transA: true, transB: false, m: H, n: D, k: V, alpha: 1, a: dt, lda: H,
                   b: embedding, ldb: D, beta: 1, c: dweight + l * D, ldc: L * D)
        }
    }
}

/// One-hot inputs: table_l[v,h] = W[h, l·V + v] (W is [H, L·V]), for each position l (or those in `positions`).
public func oneHotTablesForward<T: Scalar>(tables: UnsafeMutablePointer<T>, weight: UnsafePointer<T>, V: Int, H: Int, L: Int,
                                           positions: Range<Int>? = nil) {
    for l in positions ?? 0..<L {
        for h in 0..<H {
            let w = weight + h * L * V + l * V
            for v in 0..<V { tables[(l * V + v) * H + h] = w[v] }
        }
    }
}

/// dW[h, l·V + v] += dtable_l[v,h], for each position l (or those in `positions`)
public func oneHotTablesBackward<T: Scalar>(dweight: UnsafeMutablePointer<T>, dtables: UnsafePointer<T>, V: Int, H: Int, L: Int,
                                            positions: Range<Int>? = nil) {
    for l in positions ?? 0..<L {
        for v in 0..<V {
            let dt = dtables + (l * V + v) * H
            for h in 0..<H { dweight[h * L * V + l * V + v] += dt[h] }
        }
    }
}

/// z[B,H] = bias[H] + Σ_l table_l[tokens[b,l], :]   (tokens is [B, L])
public func tokenGatherForward<T: Scalar>(
    out: UnsafeMutablePointer<T>, tables: UnsafePointer<T>, bias: UnsafePointer<T>, tokens: UnsafePointer<Int32>,
    B: Int, V: Int, H: Int, L: Int
) {
    for b in 0..<B {
        let o = out + b * H
        // bias + table_0 in the pass that writes the row (the same sums as copying the bias first).
        let t0 = tables + Int(tokens[b * L]) * H
        for h in 0..<H { o[h] = bias[h] + t0[h] }
        for l in 1..<max(1, L) {
            let t = tables + (l * V + Int(tokens[b * L + l])) * H
            addAssign(o, t, N: H)
        }
    }
}

/// tokenGatherForward then activationForward, a row at a time while the row is in cache:
/// z[b,:] = bias + Σ_l table_l[tokens[b,l], :];  a[b,:] = f(z[b,:]). One pass over z instead of two.
public func tokenGatherActivationForward<T: Scalar>(
    _ f: Activation, z: UnsafeMutablePointer<T>, a: UnsafeMutablePointer<T>, tables: UnsafePointer<T>, bias: UnsafePointer<T>,
    tokens: UnsafePointer<Int32>, B: Int, V: Int, H: Int, L: Int
) {
    for b in 0..<B {
        tokenGatherForward(out: z + b * H, tables: tables, bias: bias, tokens: tokens + b * L, B: 1, V: V, H: H, L: L)
        activationForward(f, out: a + b * H, inp: z + b * H, N: H)
    }
}

/// The first layer's backward over token tables, a row at a time: dz[b,:] = f'(z[b,:]) · da[b,:] into the
/// one-row buffer `row`, then dbias += dz[b,:] and dtable_l[tokens[b,l], :] += dz[b,:]. The same sums,
/// in the same order, as activationBackwardAssign then tokenGatherBackward, without writing dz[B,H].
public func activationTokenScatterBackward<T: Scalar>(
    _ f: Activation, dtables: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>, row: UnsafeMutablePointer<T>,
    da: UnsafePointer<T>, z: UnsafePointer<T>, tokens: UnsafePointer<Int32>, B: Int, V: Int, H: Int, L: Int
) {
    for b in 0..<B {
        activationBackwardAssign(f, dinp: row, dout: da + b * H, inp: z + b * H, N: H)
        addAssign(dbias, row, N: H)
        for l in 0..<L {
            addAssign(dtables + (l * V + Int(tokens[b * L + l])) * H, row, N: H)
        }
    }
}

/// dtable_l[tokens[b,l], :] += dz[b,:];  dbias += Σ_b dz[b,:]   (the scatter-add adjoint of the gather)
public func tokenGatherBackward<T: Scalar>(
    dtables: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, tokens: UnsafePointer<Int32>,
    B: Int, V: Int, H: Int, L: Int
) {
    columnSumAccumulate(dbias, dout, rows: B, cols: H)
    for b in 0..<B {
        let d = dout + b * H
        for l in 0..<L {
            let t = dtables + (l * V + Int(tokens[b * L + l])) * H
            addAssign(t, d, N: H)
        }
    }
}

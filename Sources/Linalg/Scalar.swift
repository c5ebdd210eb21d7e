// Scalar: the floating-point types the numeric code is generic over.
// Float is the training path (every matrix product goes to OpenBLAS sgemm); Double serves the
// finite-difference gradient checks and the optional Float64 training path (dgemm).
import CBLAS
import CKernels
import Foundation

public protocol Scalar: BinaryFloatingPoint, Sendable, LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
    /// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, row-major, through CBLAS.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func squareRoot(_ x: Self) -> Self
    /// out[i] = sign[i] > 0 ? value[i] : 0 on the bits (+0 for a sign of ±0, a negative number or a
    /// negative NaN), in C (CKernels); out may be value or sign (the same entries), never a shifted overlap.
    static func reluMask(out: UnsafeMutablePointer<Self>, value: UnsafePointer<Self>, sign: UnsafePointer<Self>, N: Int)
    /// LayerNorm over R rows of C (Models' layerNormForward and layerNormBackward), in C (CKernels): each
    /// row's sums in increasing index as the Swift rule had them, four rows side by side, so the same bits.
    /// The buffers of one call do not overlap.
    static func layerNormForwardKernel(out: UnsafeMutablePointer<Self>, mean: UnsafeMutablePointer<Self>, rstd: UnsafeMutablePointer<Self>,
                                       inp: UnsafePointer<Self>, g: UnsafePointer<Self>, b: UnsafePointer<Self>, R: Int, C: Int)
    static func layerNormBackwardKernel(dinp: UnsafeMutablePointer<Self>, dg: UnsafeMutablePointer<Self>, db: UnsafeMutablePointer<Self>,
                                        dout: UnsafePointer<Self>, inp: UnsafePointer<Self>, g: UnsafePointer<Self>,
                                        mean: UnsafePointer<Self>, rstd: UnsafePointer<Self>, R: Int, C: Int)
    /// One Adam step over n entries (the rule in Training/Optimizers/Adam.swift), vectorized in C
    /// (CKernels) with the scalar rule's arithmetic, so the same bits:
    ///   g ← g + l2 θ;  m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  θ ← θ shrink − lr (m c1) / (√(v c2) + ε)
    static func adamStep(theta: UnsafeMutablePointer<Self>, grad: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
                         n: Int, lr: Self, beta1: Self, beta2: Self, c1: Self, c2: Self, epsilon: Self, shrink: Self, l2: Self)
    /// The causal attention core's passes (Models' attentionForward and attentionBackward), in C (CKernels):
    /// its dot products and sums in the same order, its independent loops vectorized, so the same bits.
    static func attentionForwardKernel(y: UnsafeMutablePointer<Self>, att: UnsafeMutablePointer<Self>, q: UnsafePointer<Self>, k: UnsafePointer<Self>,
                                       v: UnsafePointer<Self>, B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int,
                                       queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?)
    static func attentionBackwardKernel(dq: UnsafeMutablePointer<Self>, dk: UnsafeMutablePointer<Self>, dv: UnsafeMutablePointer<Self>,
                                        dy: UnsafePointer<Self>, att: UnsafePointer<Self>, q: UnsafePointer<Self>, k: UnsafePointer<Self>, v: UnsafePointer<Self>,
                                        B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int, scratch: UnsafeMutablePointer<Self>,
                                        queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?)
}

@inline(__always)
private func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: Scalar {
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inlinable public static func squareRoot(_ x: Float) -> Float { x.squareRoot() }
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if GemmRecorder.active { GemmRecorder.record(GemmShape(transA: transA, transB: transB, m: m, n: n, k: k)) }
        cblas_sgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: Scalar {
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func squareRoot(_ x: Double) -> Double { x.squareRoot() }
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// The naive reference for `Scalar.gemm`, otherwise identical (row-major, same transposes),
/// accumulating in Double. Tests compare the two on odd shapes.
public func gemmReference<T: Scalar>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: T, a: UnsafePointer<T>, lda: Int,
    b: UnsafePointer<T>, ldb: Int,
    beta: T, c: UnsafeMutablePointer<T>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let aip = transA ? a[p * lda + i] : a[i * lda + p]
                let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(aip) * Double(bpj)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = T(Double(alpha) * sum + old)
        }
    }
}

/// Controls for the BLAS library behind `gemm`.
public enum BLAS {
    /// The number of threads OpenBLAS uses for one product (global to the process).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// The kernel OpenBLAS chose when it loaded (for example "Haswell" or "SkylakeX").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
    public static var config: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }
}

// MARK: - Branch-free ReLU kernels
//
// A float compare-and-select in a loop compiles to a branch here, and ReLU's signs are a coin flip, so
// half the branches mispredict. These kernels build the mask from the sign and zero bits with integer
// operations only (m = ~((x − 1) >> 31) & ~(x >> 31) is all ones exactly when the float is > 0), which
// the loop vectorizer turns into vector code.

/// out[i] = max(inp[i], 0)
public func reluForward<T: Scalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, N: Int) {
    T.reluMask(out: out, value: inp, sign: inp, N: N)
}

/// dinp[i] = inp[i] > 0 ? dout[i] : 0
public func reluBackwardAssign<T: Scalar>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, inp: UnsafePointer<T>, N: Int) {
    T.reluMask(out: dinp, value: dout, sign: inp, N: N)
}

/// acc[i] += x[i]
@inline(__always)
public func addAssign<T: Scalar>(_ acc: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, N: Int) {
    for i in 0..<N { acc[i] += x[i] }
}

extension Float {
    public static func reluMask(out: UnsafeMutablePointer<Float>, value: UnsafePointer<Float>, sign: UnsafePointer<Float>, N: Int) {
        descent_relu_mask_f32(out, value, sign, N)
    }
    public static func layerNormForwardKernel(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                              inp: UnsafePointer<Float>, g: UnsafePointer<Float>, b: UnsafePointer<Float>, R: Int, C: Int) {
        descent_layernorm_forward_f32(out, mean, rstd, inp, g, b, R, C)
    }
    public static func layerNormBackwardKernel(dinp: UnsafeMutablePointer<Float>, dg: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                                               dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, g: UnsafePointer<Float>,
                                               mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, R: Int, C: Int) {
        descent_layernorm_backward_f32(dinp, dg, db, dout, inp, g, mean, rstd, R, C)
    }
    public static func adamStep(theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                                n: Int, lr: Float, beta1: Float, beta2: Float, c1: Float, c2: Float, epsilon: Float, shrink: Float, l2: Float) {
        descent_adam_f32(theta, grad, m, v, n, lr, beta1, beta2, c1, c2, epsilon, shrink, l2)
    }
    public static func attentionForwardKernel(y: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                              v: UnsafePointer<Float>, B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int,
                                              queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?) {
        descent_attention_forward_f32(y, att, q, k, v, B, Tlen, TQ, NH, HS, queries, keys)
    }
    public static func attentionBackwardKernel(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                               dy: UnsafePointer<Float>, att: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                               B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int, scratch: UnsafeMutablePointer<Float>,
                                               queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?) {
        descent_attention_backward_f32(dq, dk, dv, dy, att, q, k, v, B, Tlen, TQ, NH, HS, scratch, queries, keys)
    }
}

extension Double {
    public static func reluMask(out: UnsafeMutablePointer<Double>, value: UnsafePointer<Double>, sign: UnsafePointer<Double>, N: Int) {
        descent_relu_mask_f64(out, value, sign, N)
    }
    public static func layerNormForwardKernel(out: UnsafeMutablePointer<Double>, mean: UnsafeMutablePointer<Double>, rstd: UnsafeMutablePointer<Double>,
                                              inp: UnsafePointer<Double>, g: UnsafePointer<Double>, b: UnsafePointer<Double>, R: Int, C: Int) {
        descent_layernorm_forward_f64(out, mean, rstd, inp, g, b, R, C)
    }
    public static func layerNormBackwardKernel(dinp: UnsafeMutablePointer<Double>, dg: UnsafeMutablePointer<Double>, db: UnsafeMutablePointer<Double>,
                                               dout: UnsafePointer<Double>, inp: UnsafePointer<Double>, g: UnsafePointer<Double>,
                                               mean: UnsafePointer<Double>, rstd: UnsafePointer<Double>, R: Int, C: Int) {
        descent_layernorm_backward_f64(dinp, dg, db, dout, inp, g, mean, rstd, R, C)
    }
    public static func adamStep(theta: UnsafeMutablePointer<Double>, grad: UnsafePointer<Double>, m: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>,
                                n: Int, lr: Double, beta1: Double, beta2: Double, c1: Double, c2: Double, epsilon: Double, shrink: Double, l2: Double) {
        descent_adam_f64(theta, grad, m, v, n, lr, beta1, beta2, c1, c2, epsilon, shrink, l2)
    }
    public static func attentionForwardKernel(y: UnsafeMutablePointer<Double>, att: UnsafeMutablePointer<Double>, q: UnsafePointer<Double>, k: UnsafePointer<Double>,
                                              v: UnsafePointer<Double>, B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int,
                                              queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?) {
        descent_attention_forward_f64(y, att, q, k, v, B, Tlen, TQ, NH, HS, queries, keys)
    }
    public static func attentionBackwardKernel(dq: UnsafeMutablePointer<Double>, dk: UnsafeMutablePointer<Double>, dv: UnsafeMutablePointer<Double>,
                                               dy: UnsafePointer<Double>, att: UnsafePointer<Double>, q: UnsafePointer<Double>, k: UnsafePointer<Double>, v: UnsafePointer<Double>,
                                               B: Int, Tlen: Int, TQ: Int, NH: Int, HS: Int, scratch: UnsafeMutablePointer<Double>,
                                               queries: UnsafePointer<Int32>?, keys: UnsafePointer<Int32>?) {
        descent_attention_backward_f64(dq, dk, dv, dy, att, q, k, v, B, Tlen, TQ, NH, HS, scratch, queries, keys)
    }
}

// MARK: - Recording the products of a computation (for benchmarks: exact FLOP counts and ceilings)

public struct GemmShape: Hashable, Sendable {
    public let transA: Bool, transB: Bool, m: Int, n: Int, k: Int
    public init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) { self.transA = transA; self.transB = transB; self.m = m; self.n = n; self.k = k }
    /// 2·m·n·k floating-point operations.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Records the shape of every Float product while active (from any thread: a sweep's workers record
/// together; off by default, when the cost is one load of a flag per product).
public enum GemmRecorder {
    nonisolated(unsafe) public private(set) static var active = false
    nonisolated(unsafe) static var shapes: [GemmShape] = []
    static let lock = NSLock()
    public static func start() { lock.lock(); shapes = []; active = true; lock.unlock() }
    public static func stop() -> [GemmShape] { lock.lock(); defer { lock.unlock() }; active = false; return shapes }
    static func record(_ s: GemmShape) { lock.lock(); if active { shapes.append(s) }; lock.unlock() }
}

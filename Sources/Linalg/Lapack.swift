// Lapack: least-squares bridges to LAPACKE (OpenBLAS) for the closed-form model families of the
// double-descent studies (linear regression, random features).
//
// Shapes: A [m, n] (m equations = examples, n unknowns = features), B [m, k] (k right-hand sides =
// outputs, e.g. one-hot classes), X [n, k] (the coefficients). Every matrix is row-major (`Matrix`).
//
// - `minimumNormLeastSquares`: the SVD solver ?gelsd. Singular values s_i <= rcond * s_max are
//   treated as zero; the returned rank and cut-off say how much the solve regularized. This is the
//   solver to use at the interpolation threshold (m ~ n), where A is badly conditioned.
// - `ridgeLeastSquares`: the Gram-matrix form (syrk + potrf + potrs) on the smaller of AᵀA [n, n] and
//   AAᵀ [m, m]; about ten times faster than ?gelsd, but it squares the condition number, so use it
//   for lambda > 0 or for well-conditioned problems.
// - `symmetricEigen`: ?syevd, eigenvalues ascending with their eigenvectors.
import CBLAS

// MARK: - Scalars LAPACK can solve in

/// A `Scalar` with the LAPACK/BLAS routines the least-squares bridges need (Float: s*, Double: d*).
/// All matrices are row-major; the routines follow the LAPACKE/CBLAS conventions.
public protocol LapackScalar: Scalar {
    /// ?gelsd: minimum-norm least squares by divide-and-conquer SVD. `b` is [max(m, n), nrhs] with
    /// leading dimension `ldb`; on return its first n rows hold X. Returns LAPACK's info.
    static func gelsd(m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int,
                      b: UnsafeMutablePointer<Self>, ldb: Int, s: UnsafeMutablePointer<Self>,
                      rcond: Self, rank: inout Int) -> Int
    /// ?syrk, upper triangle: C[n, n] = alpha * op(A) op(A)ᵀ + beta * C, with op(A) = A [n, k] when
    /// `trans` is false and Aᵀ (A [k, n]) when true.
    static func syrk(trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// ?potrf on the upper triangle (Cholesky C = UᵀU). Returns LAPACK's info (> 0: not positive definite).
    static func potrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int
    /// ?potrs with the factor from `potrf`: solves C X = B in place in `b` [n, nrhs].
    static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Self>, lda: Int,
                      b: UnsafeMutablePointer<Self>, ldb: Int) -> Int
    /// ?syevd on the upper triangle: eigenvalues ascending in `w`, eigenvectors as the columns of `a`.
    static func syevd(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>) -> Int
}

extension Float: LapackScalar {
    public static func gelsd(m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int,
                             b: UnsafeMutablePointer<Float>, ldb: Int, s: UnsafeMutablePointer<Float>,
                             rcond: Float, rank: inout Int) -> Int {
        var r: Int32 = 0
        let info = LAPACKE_sgelsd(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs),
                                  a, Int32(lda), b, Int32(ldb), s, rcond, &r)
        rank = Int(r)
        return Int(info)
    }
    public static func syrk(trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
    public static func potrf(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int {
        Int(LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), a, Int32(lda)))
    }
    public static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafeMutablePointer<Float>, ldb: Int) -> Int {
        Int(LAPACKE_spotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs),
                           a, Int32(lda), b, Int32(ldb)))
    }
    public static func syevd(n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>) -> Int {
        Int(LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                           Int32(n), a, Int32(lda), w))
    }
}

extension Double: LapackScalar {
    public static func gelsd(m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int,
                             b: UnsafeMutablePointer<Double>, ldb: Int, s: UnsafeMutablePointer<Double>,
                             rcond: Double, rank: inout Int) -> Int {
        var r: Int32 = 0
        let info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(nrhs),
                                  a, Int32(lda), b, Int32(ldb), s, rcond, &r)
        rank = Int(r)
        return Int(info)
    }
    public static func syrk(trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
    public static func potrf(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int {
        Int(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), a, Int32(lda)))
    }
    public static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafeMutablePointer<Double>, ldb: Int) -> Int {
        Int(LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs),
                           a, Int32(lda), b, Int32(ldb)))
    }
    public static func syevd(n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>) -> Int {
        Int(LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                           Int32(n), a, Int32(lda), w))
    }
}

// MARK: - Errors

/// A LAPACK routine reported failure. `info` is LAPACK's code: < 0 means argument -info was illegal
/// (a bug in the bridge), > 0 has the routine's own meaning (see `description`).
public struct LapackError: Error, CustomStringConvertible, Equatable {
    public let routine: String
    public let info: Int
    public let message: String
    public var description: String { "\(routine) failed (info \(info)): \(message)" }
}

// MARK: - Minimum-norm least squares (SVD)

/// The result of `minimumNormLeastSquares`.
public struct LeastSquaresSolution<T: LapackScalar>: Sendable {
    /// X [n, k]: argmin ‖X‖_F among the minimizers of ‖A X − B‖_F, with singular values at or
    /// below `cutoff` treated as zero.
    public var coefficients: Matrix<T>
    /// The effective rank: the number of singular values above `cutoff`.
    public var rank: Int
    /// The relative cut-off passed to ?gelsd: singular values s_i <= rcond * s_max are dropped.
    public var rcond: Double
    /// The absolute cut-off rcond * s_max.
    public var cutoff: Double
    /// The singular values of A, descending, min(m, n) of them.
    public var singularValues: [T]
    /// s_max / s_min over the singular values kept (the conditioning of the solve that was done).
    public var conditionOfKept: Double {
        guard rank > 0 else { return .nan }
        return Double(singularValues[0]) / Double(singularValues[rank - 1])
    }
}

/// The default relative cut-off for `minimumNormLeastSquares`: machine epsilon times max(m, n), the
/// convention of NumPy's `lstsq` and MATLAB's `pinv` (Float: 1.2e-7 * max(m, n); Double: 2.2e-16 *
/// max(m, n)). Singular values below it are at the level of the rounding error of the factorization.
public func defaultRcond<T: LapackScalar>(_: T.Type, rows m: Int, cols n: Int) -> Double {
    Double(T.ulpOfOne) * Double(max(m, n, 1))
}

/// Minimum-norm least squares through LAPACK's ?gelsd (SVD, divide and conquer).
///
/// Solves min ‖A X − B‖_F and, among the minimizers, returns the X of least ‖X‖_F, i.e.
/// X = A⁺ B with the pseudo-inverse computed from the singular values s_i > rcond * s_max. For
/// m < n (more features than examples) this is the interpolating solution of least norm, Aᵀ(AAᵀ)⁻¹B.
/// The cut-off regularizes: a larger rcond drops more directions (lower rank, smaller norm), which
/// damps the test-error peak at the interpolation threshold; the rank and cut-off used are returned.
///
/// - Parameters:
///   - a: A [m, n]; not modified (a copy is factored).
///   - b: B [m, k].
///   - rcond: relative cut-off; nil means `defaultRcond` (eps * max(m, n)). Must be >= 0.
/// - Throws: `LapackError` when the SVD does not converge (info > 0).
public func minimumNormLeastSquares<T: LapackScalar>(_ a: Matrix<T>, _ b: Matrix<T>, rcond: Double? = nil)
    throws -> LeastSquaresSolution<T>
{
    let m = a.rows, n = a.cols, k = b.cols
    precondition(b.rows == m, "minimumNormLeastSquares: A has \(m) rows, B has \(b.rows)")
    let rc = rcond ?? defaultRcond(T.self, rows: m, cols: n)
    precondition(rc >= 0, "minimumNormLeastSquares: rcond \(rc) must be >= 0")
    let mn = min(m, n)
    if m == 0 || n == 0 || k == 0 {
        return LeastSquaresSolution(coefficients: Matrix(rows: n, cols: k), rank: 0, rcond: rc, cutoff: 0,
                                    singularValues: [T](repeating: 0, count: mn))
    }
    var work = a.data                                            // [m, n], overwritten by LAPACK
    let ldb = k
    var rhs = [T](repeating: 0, count: max(m, n) * k)            // [max(m, n), k]
    rhs.withUnsafeMutableBufferPointer { r in
        b.data.withUnsafeBufferPointer { src in r.baseAddress!.update(from: src.baseAddress!, count: m * k) }
    }
    var s = [T](repeating: 0, count: mn)                         // [min(m, n)]
    var rank = 0
    let info = work.withUnsafeMutableBufferPointer { pa in
        rhs.withUnsafeMutableBufferPointer { pb in
            s.withUnsafeMutableBufferPointer { ps in
                T.gelsd(m: m, n: n, nrhs: k, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: ldb,
                        s: ps.baseAddress!, rcond: T(rc), rank: &rank)
            }
        }
    }
    if info != 0 {
        throw LapackError(routine: T.self == Float.self ? "sgelsd" : "dgelsd", info: info,
                          message: info > 0
                            ? "the SVD did not converge (\(info) off-diagonal elements did not reach zero); "
                              + "HINT: check the matrix for NaN or Inf, or solve in Double"
                            : "argument \(-info) was illegal (a bug in the Lapack bridge)")
    }
    let x = Matrix<T>(rows: n, cols: k, data: Array(rhs[0..<(n * k)]))
    return LeastSquaresSolution(coefficients: x, rank: rank, rcond: rc,
                                cutoff: rc * Double(s.first ?? 0), singularValues: s)
}

// MARK: - Ridge (Gram-matrix form)

/// The result of `ridgeLeastSquares`.
public struct RidgeSolution<T: LapackScalar>: Sendable {
    /// X [n, k] = argmin ‖A X − B‖²_F + lambda ‖X‖²_F.
    public var coefficients: Matrix<T>
    /// The penalty used (unnormalized: it multiplies ‖X‖²_F, not ‖X‖²_F / m).
    public var lambda: Double
    /// Which Gram matrix was factored: true for AAᵀ [m, m] (m < n, the dual form), false for AᵀA [n, n].
    public var usedDualForm: Bool
}

/// Ridge least squares in the Gram-matrix form: X = argmin ‖A X − B‖²_F + lambda ‖X‖²_F.
///
/// With m >= n it solves the primal (AᵀA + λI) X = AᵀB ([n, n] system); with m < n the dual
/// X = Aᵀ (AAᵀ + λI)⁻¹ B ([m, m] system). Both are the same X (push-through identity); the smaller
/// Gram matrix is formed with syrk, factored with potrf (Cholesky) and solved with potrs.
/// With lambda = 0 this is the least-squares solution (m >= n) or the minimum-norm interpolant
/// (m < n) when A has full rank; it squares the condition number of A, so near the interpolation
/// threshold use `minimumNormLeastSquares` instead.
///
/// Note the penalty is not divided by m: the normalized objective (1/m)‖AX − B‖² + λ'‖X‖² of
/// Hastie et al. (2019) corresponds to lambda = m * λ'.
///
/// - Throws: `LapackError` when the Gram matrix plus lambda I is not positive definite (rank-deficient
///   A with lambda = 0, or a negative lambda).
public func ridgeLeastSquares<T: LapackScalar>(_ a: Matrix<T>, _ b: Matrix<T>, lambda: Double) throws -> RidgeSolution<T> {
    let m = a.rows, n = a.cols, k = b.cols
    precondition(b.rows == m, "ridgeLeastSquares: A has \(m) rows, B has \(b.rows)")
    precondition(lambda >= 0, "ridgeLeastSquares: lambda \(lambda) must be >= 0")
    let dual = m < n
    let g = dual ? m : n                                          // the Gram matrix is [g, g]
    if g == 0 || k == 0 {
        return RidgeSolution(coefficients: Matrix(rows: n, cols: k), lambda: lambda, usedDualForm: dual)
    }
    var gram = [T](repeating: 0, count: g * g)                   // [g, g], upper triangle used
    a.data.withUnsafeBufferPointer { pa in
        gram.withUnsafeMutableBufferPointer { pg in
            // dual: A Aᵀ (A [m, n] as op(A) = A);  primal: AᵀA (op(A) = Aᵀ, A [m, n]).
            T.syrk(trans: !dual, n: g, k: dual ? n : m, alpha: 1, a: pa.baseAddress!, lda: n,
                   beta: 0, c: pg.baseAddress!, ldc: g)
        }
    }
    for i in 0..<g { gram[i * g + i] += T(lambda) }
    // Right-hand side: B [m, k] (dual) or AᵀB [n, k] (primal).
    var rhs = dual ? b : matmul(a, b, transA: true)
    let name = T.self == Float.self ? "s" : "d"
    let infoF = gram.withUnsafeMutableBufferPointer { T.potrf(n: g, a: $0.baseAddress!, lda: g) }
    if infoF != 0 {
        throw LapackError(routine: name + "potrf", info: infoF,
                          message: infoF > 0
                            ? "the \(dual ? "AAᵀ" : "AᵀA") + \(lambda) I Gram matrix [\(g) x \(g)] is not positive "
                              + "definite (leading minor \(infoF)); HINT: use lambda > 0 or minimumNormLeastSquares"
                            : "argument \(-infoF) was illegal (a bug in the Lapack bridge)")
    }
    let infoS = gram.withUnsafeBufferPointer { pg in
        rhs.data.withUnsafeMutableBufferPointer { pr in
            T.potrs(n: g, nrhs: k, a: pg.baseAddress!, lda: g, b: pr.baseAddress!, ldb: k)
        }
    }
    if infoS != 0 {
        throw LapackError(routine: name + "potrs", info: infoS, message: "argument \(-infoS) was illegal")
    }
    let x = dual ? matmul(a, rhs, transA: true) : rhs            // [n, k]
    return RidgeSolution(coefficients: x, lambda: lambda, usedDualForm: dual)
}

// MARK: - Symmetric eigen-solve

/// Eigen-decomposition of a symmetric matrix S [n, n] = V diag(values) Vᵀ through ?syevd.
/// Only the upper triangle of `s` is read. Returns the eigenvalues ascending and V [n, n] whose
/// column j is the unit eigenvector of values[j].
/// - Throws: `LapackError` when the algorithm does not converge.
public func symmetricEigen<T: LapackScalar>(_ s: Matrix<T>) throws -> (values: [T], vectors: Matrix<T>) {
    precondition(s.rows == s.cols, "symmetricEigen: matrix is \(s.rows)x\(s.cols), not square")
    let n = s.rows
    var v = s
    var w = [T](repeating: 0, count: n)
    if n == 0 { return (w, v) }
    let info = v.data.withUnsafeMutableBufferPointer { pa in
        w.withUnsafeMutableBufferPointer { T.syevd(n: n, a: pa.baseAddress!, lda: n, w: $0.baseAddress!) }
    }
    if info != 0 {
        throw LapackError(routine: T.self == Float.self ? "ssyevd" : "dsyevd", info: info,
                          message: info > 0 ? "the eigen-solver did not converge" : "argument \(-info) was illegal")
    }
    return (w, v)
}

// MARK: - Conversion

extension Matrix {
    /// The same matrix in another scalar type (for example Float data solved in Double).
    public init<U: Scalar>(converting other: Matrix<U>) {
        self.init(rows: other.rows, cols: other.cols, data: other.data.map { T(Double($0)) })
    }
}

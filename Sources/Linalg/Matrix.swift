// Matrix: Float32 (or Float64) row-major, contiguous storage; element (i, j) at data[i * cols + j].
public struct Matrix<T: Scalar>: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public var data: [T]  // [rows * cols], row-major

    public init(rows: Int, cols: Int, repeating value: T = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = [T](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, data: [T]) {
        precondition(data.count == rows * cols, "Matrix: \(data.count) values for shape \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    public subscript(i: Int, j: Int) -> T {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j] } }
        return t
    }

    /// Frobenius norm, accumulated in Double.
    public var norm: Double {
        var s = 0.0
        for v in data { s += Double(v) * Double(v) }
        return s.squareRoot()
    }

    public func row(_ i: Int) -> ArraySlice<T> { data[(i * cols)..<((i + 1) * cols)] }
}

/// op(A) * op(B) through BLAS, where op transposes when asked.
public func matmul<T: Scalar>(_ a: Matrix<T>, _ b: Matrix<T>, transA: Bool = false, transB: Bool = false) -> Matrix<T> {
    let m = transA ? a.cols : a.rows
    let k = transA ? a.rows : a.cols
    let kb = transB ? b.cols : b.rows
    let n = transB ? b.rows : b.cols
    precondition(k == kb, "matmul: inner dimensions \(k) and \(kb) differ")
    var c = Matrix<T>(rows: m, cols: n)
    a.data.withUnsafeBufferPointer { pa in
        b.data.withUnsafeBufferPointer { pb in
            c.data.withUnsafeMutableBufferPointer { pc in
                T.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                       a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                       beta: 0, c: pc.baseAddress!, ldc: n)
            }
        }
    }
    return c
}

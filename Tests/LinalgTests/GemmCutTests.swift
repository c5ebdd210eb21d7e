// productHalf: a product's output rows cut in two there and computed as two products give the whole
// product's bits, in each transposition the transformers' token tables use (OpenBLAS on one thread, the
// kernel the tests run with; OPENBLAS_CORETYPE=SkylakeX checks the AVX-512 kernel). A cut elsewhere
// (half the rows) is shown to differ on the AVX2 kernel, so the test can tell.
import XCTest
import Linalg

final class GemmCutTests: XCTestCase {
    var rng = RNG(seed: 11)

    func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.normal()) } }

    /// C[m, n] (beta 0, or beta 1 onto `initial`) as one product and as two over the output rows `cut` gives.
    func wholeAndParts(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float, cut: (Int) -> Range<Int>) -> (whole: [Float], parts: [Float]) {
        let a = values(m * k), b = values(k * n), initial = values(m * n)
        let lda = transA ? m : k, ldb = transB ? k : n
        var whole = initial, parts = initial
        withSingleThreadedBLAS {
            Float.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &whole, ldc: n)
            for part in 0..<2 {
                let rows = cut(part)
                if rows.isEmpty { continue }
                // Row r of op(A) starts at a + r·k (not transposed) or a + r (transposed: column r of A[k, m]).
                let offset = transA ? rows.lowerBound : rows.lowerBound * k
                a.withUnsafeBufferPointer { ap in
                    parts.withUnsafeMutableBufferPointer { cp in
                        Float.gemm(transA: transA, transB: transB, m: rows.count, n: n, k: k, alpha: 1, a: ap.baseAddress! + offset, lda: lda,
                                   b: b, ldb: ldb, beta: beta, c: cp.baseAddress! + rows.lowerBound * n, ldc: n)
                    }
                }
            }
        }
        return (whole, parts)
    }

    func testProductHalfGivesTheWholeProductsBits() {
        // The token tables' shapes (2p + 2 and 2p + 1 rows for p = 97, and a width of 128), and others.
        for m in [196, 195, 128, 100, 61, 23] {
            // The tables' projections (A Bᵀ), their input gradients (A B, assigned then added) and weight gradients (Aᵀ B, added).
            for (transA, transB, beta) in [(false, true, Float(0)), (false, false, Float(0)), (false, false, Float(1)), (true, false, Float(1))] {
                let r = wholeAndParts(transA: transA, transB: transB, m: m, n: 128, k: transA ? 196 : 128, beta: beta) { productHalf($0, of: m) }
                XCTAssertEqual(r.parts.map(\.bitPattern), r.whole.map(\.bitPattern), "m \(m) transA \(transA) transB \(transB) beta \(beta)")
            }
        }
        XCTAssertEqual(productHalf(0, of: 196), 0..<96)
        XCTAssertEqual(productHalf(1, of: 196), 96..<196)
        XCTAssertEqual(productHalf(0, of: 128), 0..<48)
        XCTAssertEqual(productHalf(0, of: 23), 0..<0)
    }

    func testACutAtHalfTheRowsChangesBitsOnTheAVX2Kernel() throws {
        guard BLAS.coreName.lowercased() == "haswell" else { throw XCTSkip("shown for OpenBLAS's Haswell kernel, the tests' kernel; this run has \(BLAS.coreName)") }
        let r = wholeAndParts(transA: false, transB: true, m: 196, n: 128, k: 128, beta: 0) { shardRows($0, of: 2, rows: 196) }
        XCTAssertNotEqual(r.parts.map(\.bitPattern), r.whole.map(\.bitPattern))
    }
}

import XCTest
import Linalg

final class GemmTests: XCTestCase {
    /// sgemm/dgemm through CBLAS against the naive reference, on odd shapes with every transpose.
    func check<T: Scalar>(_ type: T.Type, tolerance: Double) {
        var rng = RNG(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 33), (31, 29, 3), (64, 65, 66), (1, 97, 128)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { _ in T(rng.normal()) }
                    let b = (0..<(k * n)).map { _ in T(rng.normal()) }
                    let c0 = (0..<(m * n)).map { _ in T(rng.normal()) }
                    let lda = transA ? m : k, ldb = transB ? k : n
                    var fast = c0, slow = c0
                    T.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                           b: b, ldb: ldb, beta: 0.5, c: &fast, ldc: n)
                    gemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                                  b: b, ldb: ldb, beta: 0.5, c: &slow, ldc: n)
                    for i in 0..<(m * n) {
                        let scale = max(1, Double(k).squareRoot())
                        XCTAssertEqual(Double(fast[i]), Double(slow[i]), accuracy: tolerance * scale,
                                       "\(T.self) m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) at \(i)")
                    }
                }
            }
        }
    }

    func testSgemmMatchesReference() { check(Float.self, tolerance: 1e-5) }
    func testDgemmMatchesReference() { check(Double.self, tolerance: 1e-12) }

    func testMatmulShapes() {
        let a = Matrix<Float>(rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6])
        let b = Matrix<Float>(rows: 3, cols: 1, data: [1, 0, -1])
        XCTAssertEqual(matmul(a, b).data, [-2, -2])
        XCTAssertEqual(matmul(a, a, transB: true).data, [14, 32, 32, 77])
        XCTAssertEqual(matmul(a, a, transA: true).rows, 3)
    }
}

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

final class RNGTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = RNG(seed: 42), b = RNG(seed: 42)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testSplitIsIndependentOfParentDraws() {
        var parent = RNG(seed: 1)
        let before = parent.split("init")
        _ = parent.next(); _ = parent.next()
        XCTAssertEqual(before, parent.split("init"))
        XCTAssertNotEqual(parent.split("init"), parent.split("data"))
    }

    func testUniformAndNormalMoments() {
        var rng = RNG(seed: 3)
        let n = 200_000
        var s = 0.0, s2 = 0.0, u = 0.0
        for _ in 0..<n { let z = rng.normal(); s += z; s2 += z * z; u += rng.uniform() }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.01)          // 4.5 standard errors
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.015)
        XCTAssertEqual(u / Double(n), 0.5, accuracy: 0.003)
    }

    func testIntBelowIsUniform() {
        var rng = RNG(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.int(below: 7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 450) }
    }

    func testStableHashIsFixed() {
        // FNV-1a 64 of "a" is a published constant.
        XCTAssertEqual(stableHash("a"), 0xAF63_DC4C_8601_EC8C)
    }
}

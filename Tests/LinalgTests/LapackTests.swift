import XCTest
import Linalg

/// The LAPACK bridges against independent computations: a naive Gaussian elimination in Double
/// (`solveReference`) for the pseudo-inverse formulas A⁺ = (AᵀA)⁻¹Aᵀ (full column rank) and
/// Aᵀ(AAᵀ)⁻¹ (full row rank), the normal equations, and the row-space property of the minimum-norm
/// solution on a rank-deficient problem.
final class LapackTests: XCTestCase {
    // MARK: helpers (Double, naive, independent of LAPACK)

    func random<T: Scalar>(_ rows: Int, _ cols: Int, _ rng: inout RNG) -> Matrix<T> {
        Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in T(rng.normal()) })
    }

    func toDouble<T: Scalar>(_ a: Matrix<T>) -> [[Double]] {
        (0..<a.rows).map { i in (0..<a.cols).map { j in Double(a[i, j]) } }
    }

    func mul(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        let n = b.first?.count ?? 0
        return a.map { row in (0..<n).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    func transpose(_ a: [[Double]]) -> [[Double]] {
        guard let c = a.first?.count else { return [] }
        return (0..<c).map { j in a.map { $0[j] } }
    }

    /// Solves S X = R by Gaussian elimination with partial pivoting (S square, nonsingular).
    func solveReference(_ s: [[Double]], _ r: [[Double]]) -> [[Double]] {
        var a = s, b = r
        let n = a.count
        for c in 0..<n {
            let p = (c..<n).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, p); b.swapAt(c, p)
            for i in (c + 1)..<max(c + 1, n) {
                let f = a[i][c] / a[c][c]
                for j in c..<n { a[i][j] -= f * a[c][j] }
                for j in 0..<b[i].count { b[i][j] -= f * b[c][j] }
            }
        }
        for c in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<b[c].count {
                var v = b[c][j]
                for k in (c + 1)..<max(c + 1, n) { v -= a[c][k] * b[k][j] }
                b[c][j] = v / a[c][c]
            }
        }
        return b
    }

    func maxAbsDiff(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    func maxAbs(_ a: [[Double]]) -> Double { a.map { $0.map(abs).max() ?? 0 }.max() ?? 0 }

    // MARK: minimum-norm least squares

    func checkPseudoInverse<T: LapackScalar>(_: T.Type, tolerance: Double) throws {
        var rng = RNG(seed: 11)
        // Over-determined (m > n), square, and under-determined (m < n), with odd sizes.
        for (m, n, k) in [(37, 11, 3), (25, 25, 2), (13, 41, 4), (1, 7, 1), (60, 59, 10)] {
            let a: Matrix<T> = random(m, n, &rng), b: Matrix<T> = random(m, k, &rng)
            let sol = try minimumNormLeastSquares(a, b)
            XCTAssertEqual(sol.rank, min(m, n), "\(T.self) \(m)x\(n): full rank expected")
            XCTAssertEqual(sol.singularValues.count, min(m, n))
            XCTAssertEqual(sol.cutoff, sol.rcond * Double(sol.singularValues[0]), accuracy: 1e-12)
            let A = toDouble(a), B = toDouble(b), X = toDouble(sol.coefficients)
            let At = transpose(A)
            let expected = m >= n
                ? solveReference(mul(At, A), mul(At, B))                 // (AᵀA)⁻¹AᵀB
                : mul(At, solveReference(mul(A, At), B))                 // Aᵀ(AAᵀ)⁻¹B
            let scale = max(1, maxAbs(expected))
            XCTAssertLessThan(maxAbsDiff(X, expected) / scale, tolerance, "\(T.self) \(m)x\(n)x\(k) vs pseudo-inverse")
            // Normal equations: Aᵀ(AX − B) = 0, relative to ‖Aᵀ‖‖B‖.
            let residual = zip(mul(A, X), B).map { zip($0, $1).map { $0 - $1 } }
            let normal = mul(At, residual)
            XCTAssertLessThan(maxAbs(normal) / max(1, maxAbs(mul(At, B))), tolerance, "\(T.self) \(m)x\(n): normal equations")
        }
    }

    func testMinimumNormMatchesPseudoInverseDouble() throws { try checkPseudoInverse(Double.self, tolerance: 1e-10) }
    func testMinimumNormMatchesPseudoInverseFloat() throws { try checkPseudoInverse(Float.self, tolerance: 2e-3) }

    /// A = L R of rank r < min(m, n): the minimum-norm solution satisfies the normal equations and
    /// lies in the row space of A (= range of Rᵀ), which characterizes A⁺B among all solutions.
    func testRankDeficientSolutionIsInRowSpace() throws {
        var rng = RNG(seed: 12)
        for (m, n, r) in [(30, 20, 7), (15, 40, 9)] {
            let l: Matrix<Double> = random(m, r, &rng), rr: Matrix<Double> = random(r, n, &rng)
            let a = matmul(l, rr), b: Matrix<Double> = random(m, 2, &rng)
            let sol = try minimumNormLeastSquares(a, b)
            XCTAssertEqual(sol.rank, r, "\(m)x\(n) of rank \(r)")
            XCTAssertLessThan(Double(sol.singularValues[r]), sol.cutoff, "the dropped singular values are below the cut-off")
            let A = toDouble(a), X = toDouble(sol.coefficients), R = toDouble(rr)
            let normal = mul(transpose(A), zip(mul(A, X), toDouble(b)).map { zip($0, $1).map { $0 - $1 } })
            XCTAssertLessThan(maxAbs(normal), 1e-9)
            // Projection of X onto range(Rᵀ): Rᵀ (R Rᵀ)⁻¹ R X.
            let proj = mul(transpose(R), solveReference(mul(R, transpose(R)), mul(R, X)))
            XCTAssertLessThan(maxAbsDiff(proj, X), 1e-9, "X has a component in the null space of A")
        }
    }

    /// The rank reported is the number of singular values above rcond * s_max, and the singular
    /// values agree with the square roots of the eigenvalues of AᵀA.
    func testRcondCutoffSetsRank() throws {
        var rng = RNG(seed: 13)
        var a: Matrix<Double> = random(40, 12, &rng)
        for j in 0..<12 { for i in 0..<40 { a[i, j] *= Foundation.pow(10, -Double(j) / 2) } }  // spread the spectrum
        let eig = try symmetricEigen(matmul(a, a, transA: true))
        let s = eig.values.reversed().map { $0.squareRoot() }
        let svd = try minimumNormLeastSquares(a, Matrix(rows: 40, cols: 1, repeating: 1))
        for (x, y) in zip(s, svd.singularValues) { XCTAssertEqual(x, y, accuracy: 1e-9 * s[0]) }
        for rcond in [1e-1, 1e-2, 1e-3, 1e-4] {
            let sol = try minimumNormLeastSquares(a, Matrix(rows: 40, cols: 1, repeating: 1), rcond: rcond)
            XCTAssertEqual(sol.rank, s.filter { $0 > rcond * s[0] }.count, "rcond \(rcond)")
            XCTAssertLessThan(sol.rank, 12)
        }
    }

    // MARK: ridge

    func checkRidge<T: LapackScalar>(_: T.Type, tolerance: Double) throws {
        var rng = RNG(seed: 21)
        for (m, n, k, lambda) in [(50, 12, 3, 0.7), (12, 50, 3, 0.7), (30, 30, 2, 1e-2), (8, 200, 5, 3.0), (40, 9, 1, 0.0)] {
            let a: Matrix<T> = random(m, n, &rng), b: Matrix<T> = random(m, k, &rng)
            let sol = try ridgeLeastSquares(a, b, lambda: lambda)
            XCTAssertEqual(sol.usedDualForm, m < n)
            let A = toDouble(a), At = transpose(A)
            var gram = mul(At, A)
            for i in 0..<n { gram[i][i] += lambda }
            let expected = solveReference(gram, mul(At, toDouble(b)))    // (AᵀA + λI)⁻¹AᵀB, always primal
            let err = maxAbsDiff(toDouble(sol.coefficients), expected) / max(1, maxAbs(expected))
            XCTAssertLessThan(err, tolerance, "\(T.self) ridge \(m)x\(n) lambda \(lambda)")
        }
    }

    func testRidgeMatchesDirectSolveDouble() throws { try checkRidge(Double.self, tolerance: 1e-10) }
    func testRidgeMatchesDirectSolveFloat() throws { try checkRidge(Float.self, tolerance: 1e-3) }

    func testRidgeWithZeroLambdaEqualsMinimumNormOnFullRank() throws {
        var rng = RNG(seed: 22)
        let a: Matrix<Double> = random(20, 45, &rng), b: Matrix<Double> = random(20, 2, &rng)
        let r = try ridgeLeastSquares(a, b, lambda: 0), s = try minimumNormLeastSquares(a, b)
        XCTAssertLessThan(maxAbsDiff(toDouble(r.coefficients), toDouble(s.coefficients)), 1e-9)
    }

    func testRidgeOnSingularGramThrowsWithHint() {
        let a = Matrix<Double>(rows: 5, cols: 3, repeating: 1)               // rank 1
        XCTAssertThrowsError(try ridgeLeastSquares(a, Matrix(rows: 5, cols: 1, repeating: 1), lambda: 0)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("dpotrf") && text.contains("HINT"), text)
        }
    }

    // MARK: eigen

    func testSymmetricEigenReconstructs() throws {
        var rng = RNG(seed: 31)
        let x: Matrix<Double> = random(9, 7, &rng)
        let s = matmul(x, x, transA: true)                                  // [7, 7] symmetric
        let (w, v) = try symmetricEigen(s)
        XCTAssertEqual(w, w.sorted())
        var d = Matrix<Double>(rows: 7, cols: 7)
        for i in 0..<7 { d[i, i] = w[i] }
        let back = matmul(matmul(v, d), v, transB: true)
        XCTAssertLessThan(maxAbsDiff(toDouble(back), toDouble(s)), 1e-10)
        let vtv = matmul(v, v, transA: true)
        for i in 0..<7 { for j in 0..<7 { XCTAssertEqual(vtv[i, j], i == j ? 1 : 0, accuracy: 1e-12) } }
    }
}

import Foundation

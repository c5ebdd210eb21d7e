// GSL glue: start-up, errors, and copies between Swift arrays and GSL vectors and matrices.
//
// Only this module imports GSL. GSL's default error handler aborts the process, so every public entry
// point that calls GSL first calls `Analysis.setUp()`, which switches the handler off (once, thread
// safely); GSL then reports failures through status codes, which `check` turns into `AnalysisError`.

import CGSL
import Foundation

/// Namespace for module-wide set-up.
public enum Analysis {
    private static let once: Void = { _ = gsl_set_error_handler_off() }()

    /// Switches GSL's aborting error handler off. Idempotent and cheap (a lazy static runs it once);
    /// every public function of this module that reaches GSL calls it first, so clients need not.
    public static func setUp() { _ = once }
}

/// Errors raised by this module: a GSL status code with GSL's own message, or rejected input.
public enum AnalysisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A GSL routine returned `status` (a `GSL_E*` code); `message` is `gsl_strerror(status)`.
    case gsl(status: Int32, message: String, context: String)
    /// The input cannot be analysed as asked; the message says what and what to do instead.
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .gsl(status, message, context): return "\(context): GSL error \(status): \(message)"
        case let .invalidInput(message): return message
        }
    }

    /// The error for a GSL status code (callers check `status != GSL_SUCCESS` first).
    public static func from(status: Int32, context: String) -> AnalysisError {
        Analysis.setUp()
        let message = gsl_strerror(status).map { String(cString: $0) } ?? "unknown GSL status"
        return .gsl(status: status, message: message, context: context)
    }
}

/// Throws `AnalysisError.gsl` unless `status` is `GSL_SUCCESS`.
@inline(__always)
func check(_ status: Int32, _ context: @autoclosure () -> String) throws {
    if status != GSL_SUCCESS { throw AnalysisError.from(status: status, context: context()) }
}

/// `x` when finite, nil otherwise: nothing that gets encoded may hold NaN or infinity.
@inline(__always)
func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

// MARK: - Owned GSL vectors and matrices (freed on deinit)

final class GVector {
    let p: UnsafeMutablePointer<gsl_vector>
    let count: Int
    init(_ n: Int) {
        p = gsl_vector_calloc(n)
        count = n
    }
    convenience init(_ a: [Double]) {
        self.init(a.count)
        for i in 0..<a.count { gsl_vector_set(p, i, a[i]) }
    }
    deinit { gsl_vector_free(p) }
    var array: [Double] { GVector.array(p) }
    static func array(_ v: UnsafePointer<gsl_vector>) -> [Double] {
        (0..<v.pointee.size).map { gsl_vector_get(v, $0) }
    }
}

final class GMatrix {
    let p: UnsafeMutablePointer<gsl_matrix>
    let rows: Int, cols: Int
    init(_ rows: Int, _ cols: Int) {
        p = gsl_matrix_calloc(rows, cols)
        self.rows = rows
        self.cols = cols
    }
    /// From row-major nested arrays (every row `cols` long).
    convenience init(_ a: [[Double]], cols: Int) {
        self.init(a.count, cols)
        for i in 0..<a.count { for j in 0..<cols { gsl_matrix_set(p, i, j, a[i][j]) } }
    }
    deinit { gsl_matrix_free(p) }
    var array: [[Double]] { GMatrix.array(p) }
    static func array(_ m: UnsafePointer<gsl_matrix>) -> [[Double]] {
        (0..<m.pointee.size1).map { i in (0..<m.pointee.size2).map { j in gsl_matrix_get(m, i, j) } }
    }
}

// MARK: - Quantiles of the reference distributions

/// Two-sided quantile of Student's t with `dof` degrees of freedom: t such that P(|T| ≤ t) = level
/// (gsl_cdf_tdist_Pinv at (1 + level) / 2).
func tQuantile(level: Double, dof: Double) -> Double {
    Analysis.setUp()
    return gsl_cdf_tdist_Pinv(0.5 + level / 2, dof)
}

/// Two-sided standard normal quantile: z with P(|Z| ≤ z) = level (gsl_cdf_ugaussian_Pinv).
func zQuantile(level: Double) -> Double {
    Analysis.setUp()
    return gsl_cdf_ugaussian_Pinv(0.5 + level / 2)
}

func validateLevel(_ level: Double) throws {
    guard level > 0, level < 1 else {
        throw AnalysisError.invalidInput("confidence level \(level) is outside (0, 1); HINT: pass 0.95 for 95%")
    }
}

// Keys of the families fitted in closed form (random features, linear regression): the number of
// features (their size axis) and the least-squares solver.
import Models

enum ClosedFormKeys {
    static let features = KeySpec(path: "model.features", type: .int(min: 1, max: 1 << 20), defaultValue: .int(100), doc: "random_features: N, the random features; linear: p, the first p inputs used (the size axis)")
    static let method = KeySpec(path: "solver.method", type: .choice(["min_norm", "ridge", "gradient_descent"]), defaultValue: .string("min_norm"), doc: "minimum-norm least squares (SVD, LAPACK gelsd) or ridge; linear on the steps axis: gradient_descent (full batch, optimizer.lr, from zero)")
    static let lambda = KeySpec(path: "solver.lambda", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "ridge: λ in (1/n)‖Y − ΦW‖² + λ‖W‖² (must be > 0 for ridge)")
    static let rcond = KeySpec(path: "solver.rcond", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "min_norm: relative cut-off for small singular values; 0: eps · max(n, N) of the precision (it regularizes, so it is recorded)")
    static let precision = KeySpec(path: "solver.precision", type: .choice(["float32", "float64"]), defaultValue: .string("float64"), doc: "float64 resolves the near-singular design at the threshold (float32 halved the digits peak)")

    /// The solver's settings, owned by every closed-form fit.
    static let all = [lambda, rcond, precision]

    static func decode(_ v: KeyValues) -> SolverSpec {
        SolverSpec(method: v.string(method), lambda: v.double(lambda), rcond: v.double(rcond),
                   precision: SolvePrecision(rawValue: v.string(precision))!)
    }

    /// Checks shared by the closed-form families: ridge needs a positive λ, rcond is min-norm's.
    static func check(_ s: StudyDraft) throws {
        let v = s.keys
        if v.string(method) == "ridge" && v.double(lambda) <= 0 && !s.sweep.contains(where: { $0.path == lambda.path }) {
            throw StudyError(s.at(lambda, or: method), "solver.method 'ridge' needs solver.lambda > 0",
                             hint: "set solver.lambda (e.g. 1e-3), or use solver.method: min_norm for the ridgeless fit")
        }
        if v.double(rcond) > 0 && v.string(method) == "ridge", let loc = s.locations[rcond.path] {
            throw StudyError(loc, "solver.rcond is the minimum-norm cut-off; it does not apply to solver.method 'ridge'", hint: "remove solver.rcond or use solver.method: min_norm")
        }
    }
}

/// A closed-form least-squares fit's settings.
public struct SolverSpec: Sendable, Equatable {
    /// "min_norm" or "ridge".
    public let method: String
    public let lambda: Double
    public let rcond: Double
    public let precision: SolvePrecision

    var solver: LeastSquaresSolver {
        method == "ridge" ? .ridge(lambda: lambda) : .minimumNorm(rcond: rcond > 0 ? rcond : nil)
    }
}

// Finite-difference gradient checks, shared by the tests of every layer, loss and model family (test
// support only: no product module links it).
//
// Central differences (f(x + h e_i) − f(x − h e_i)) / 2h in Double, h = 1e-6 by default. A component
// passes when |analytic − numeric| ≤ absolute + relative · max(|analytic|, |numeric|); the truncation
// error of the central difference is O(h²) and the rounding error O(ε/h) ≈ 1e-10 relative, so the
// defaults (1e-7, 1e-5) leave a wide margin for smooth functions and still catch any wrong term.

public struct GradientCheckResult: CustomStringConvertible {
    public let name: String
    public let count: Int
    /// (index, analytic, numeric, |difference|) of every failing component, worst first.
    public let failures: [(Int, Double, Double, Double)]
    public var passed: Bool { failures.isEmpty }
    public var description: String {
        if passed { return "\(name): all \(count) components agree" }
        let rows = failures.prefix(6).map { "  [\($0.0)] analytic \($0.1)  numeric \($0.2)  |diff| \($0.3)" }
        return "\(name): \(failures.count) of \(count) components differ (worst first)\n" + rows.joined(separator: "\n")
    }
}

public func gradientCheck(_ name: String, at x: [Double], analytic: [Double], h: Double = 1e-6,
                          absolute: Double = 1e-7, relative: Double = 1e-5, _ f: ([Double]) -> Double) -> GradientCheckResult {
    precondition(x.count == analytic.count, "\(name): \(analytic.count) gradient components for \(x.count) inputs")
    var failures: [(Int, Double, Double, Double)] = []
    var p = x
    for i in 0..<x.count {
        p[i] = x[i] + h; let up = f(p)
        p[i] = x[i] - h; let down = f(p)
        p[i] = x[i]
        let numeric = (up - down) / (2 * h)
        let err = abs(analytic[i] - numeric)
        if !(err <= absolute + relative * max(abs(analytic[i]), abs(numeric))) { failures.append((i, analytic[i], numeric, err)) }
    }
    return GradientCheckResult(name: name, count: x.count, failures: failures.sorted { $0.3 > $1.3 })
}

// One change of regime in a curve: the continuous two-segment linear fit (a hinge) with the least
// residual sum of squares,
//   y ≈ α + β x + γ max(0, x − x_k),
// the knot x_k tried at every point that leaves at least `minimumSide` points on each side, each fit an
// ordinary least-squares solve of three coefficients. The knot of the best fit is where the slope changes
// most clearly; for a curve that is a hinge plus noise it is the hinge's knot. Each fit is GSL's
// (fitMultilinear).
import Foundation

public struct ChangePoint: Equatable, Sendable {
    /// The index of the knot in the points given.
    public var index: Int
    public var x: Double
    /// The slopes before and after the knot (β and β + γ).
    public var slopeBefore: Double
    public var slopeAfter: Double
    /// The best fit's residual sum of squares, and that of one straight line.
    public var rss: Double
    public var lineRSS: Double
}

/// The hinge fit's knot over the finite points of (x, y), x ascending; nil with fewer than 2 × `minimumSide` + 1 points,
/// or when y does not change at all (a constant has no change of regime; every knot would fit it exactly).
public func hingeChangePoint(x: [Double], y: [Double], minimumSide: Int = 3) -> ChangePoint? {
    let pts = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
    let n = pts.count, side = max(2, minimumSide)
    guard n >= 2 * side + 1 else { return nil }
    let xs = pts.map(\.0), ys = pts.map(\.1)
    guard let low = ys.min(), let high = ys.max(), high > low else { return nil }
    // Each fit by gsl_multifit_linear (SVD), so a knot whose columns are nearly collinear is still solved stably.
    guard let line = try? fitMultilinear(predictors: xs.map { [$0] }, y: ys) else { return nil }
    var best: (k: Int, fit: LinearFit)? = nil
    for k in side..<(n - side) {
        guard let f = try? fitMultilinear(predictors: xs.map { [$0, max(0, $0 - xs[k])] }, y: ys),
              f.residualSumOfSquares < (best?.fit.residualSumOfSquares ?? .infinity) else { continue }
        best = (k, f)
    }
    guard let best else { return nil }
    let beta = best.fit.parameters[1].estimate, gamma = best.fit.parameters[2].estimate
    return ChangePoint(index: best.k, x: xs[best.k], slopeBefore: beta, slopeAfter: beta + gamma,
                       rss: best.fit.residualSumOfSquares, lineRSS: line.residualSumOfSquares)
}

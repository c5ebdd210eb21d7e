// Epoch-wise double descent: does a curve (test error over training steps, the seed mean) fall, rise
// and fall again?
//
// Definition, on y[0..<n] (evaluation order):
//   for every interior index j, L = min y[0..<j] (at i, the first minimum) and R = min y[j+1..<n] (at k);
//   the rise is y[j] − L, the second fall y[j] − R, the first fall y[0] − L;
//   the shape's prominence at j is min(first fall, rise, second fall).
// The detected bump is the j with the largest prominence (the highest such j on ties); the curve shows the shape when that
// prominence is at least `minProminence` (in the curve's units, e.g. 0.01 = one point of test error).
// A minimum prominence keeps evaluation noise (a wiggle of a few examples) from counting as a bump.

/// A fall-rise-fall found in a curve: indices of the first minimum, the bump's top and the later minimum.
public struct FallRiseFall: Sendable, Equatable, Codable {
    public var firstMinimum: Int
    public var peak: Int
    public var secondMinimum: Int
    public var firstFall: Double
    public var rise: Double
    public var secondFall: Double
    /// min(firstFall, rise, secondFall)
    public var prominence: Double
}

/// The most prominent fall-rise-fall of `y` (nil when the curve has fewer than 3 points or a non-finite one), whether
/// or not it reaches a minimum prominence; compare `prominence` with the threshold you need.
public func mostProminentFallRiseFall(_ y: [Double]) -> FallRiseFall? {
    let v = y
    guard v.count >= 3, v.allSatisfy({ $0.isFinite }) else { return nil }
    let n = v.count
    var prefixMin = [Int](repeating: 0, count: n)          // index of min v[0...j]
    for j in 1..<n { prefixMin[j] = v[j] < v[prefixMin[j - 1]] ? j : prefixMin[j - 1] }
    var suffixMin = [Int](repeating: n - 1, count: n)      // index of min v[j..<n]
    for j in stride(from: n - 2, through: 0, by: -1) { suffixMin[j] = v[j] <= v[suffixMin[j + 1]] ? j : suffixMin[j + 1] }
    var best: FallRiseFall? = nil
    for j in 1..<(n - 1) {
        let i = prefixMin[j - 1], k = suffixMin[j + 1]
        let f1 = v[0] - v[i], r = v[j] - v[i], f2 = v[j] - v[k]
        let p = min(f1, r, f2)
        // Ties (the prominence capped by the first or second fall) go to the highest bump: the marked top is the curve's top.
        if best == nil || p > best!.prominence || (p == best!.prominence && v[j] > v[best!.peak]) {
            best = FallRiseFall(firstMinimum: i, peak: j, secondMinimum: k, firstFall: f1, rise: r, secondFall: f2, prominence: p)
        }
    }
    return best
}

// Sample-wise non-monotonicity (Nakkiran et al. 2019, §7): at a fixed model, more training data can
// raise the test error near the interpolation threshold. Measured on the seed-mean test error m(n)
// against the number of training examples n (ascending):
//
//   interpolation limit(ε): the largest n of the leading run of sizes whose mean train error is ≤ ε (the
//     most examples this model fits), with the first n after it (nil when every size or none fits)
//   stretch: the pair i < j maximizing the rise m(n_j) − m(n_i) (first pair on ties): where more data
//     hurts most, from n_i to n_j; none when no later size errs more than an earlier one
//   data ratio n_j / n_i; recovery: the smallest n after n_j with m ≤ m(n_i) (nil when none), and the
//     data it costs, n_recovery / n_i
// Bootstrap (B resamples, the seeds resampled as `resampleSeedMeans` does): each replicate re-locates the
// stretch on its own mean curve, so the rise's interval is the distribution of "the largest rise", not of
// the rise of the pair chosen on the data. Its lower end above 0 says some rise survives resampling the
// seeds; since the largest of several noisy differences is biased upwards, the gate that uses it also
// asks the rise to exceed the seeds' spread at both ends (Evaluation/SizeGates.swift).

import Foundation

public struct SampleWiseMeasures: Codable, Sendable {
    public var curve: [DoubleDescentMeasures.CurvePoint]
    public var epsilon: Double
    /// The largest n of the leading run with mean train error ≤ ε, and the next n (where fitting stops).
    public var lastInterpolated: Double?
    public var firstNotInterpolated: Double?
    /// For a squared-loss fit: the largest n of the leading run whose every seed fits its targets exactly (set
    /// by the caller, which knows the residuals; nil otherwise). The threshold theory speaks of (n = N).
    public var lastExactFit: Double?
    /// Where more data hurts most: from `stretchStart` to `stretchTop` the seed-mean test error rises by `rise`.
    public var stretchStart: Double?
    public var stretchTop: Double?
    public var rise: Double
    public var riseInterval: Interval?
    /// The replicates (of `resamples`) whose own largest rise is above 0.
    public var replicatesWithRise: Int
    public var stretchStartInterval: Interval?
    public var stretchTopInterval: Interval?
    public var dataRatio: Double?
    public var recoverySize: Double?
    public var recoveryRatio: Double?
    public var bootstrapSeed: UInt64
    public var resamples: Int
    public var resampling: SeedResampling
    public var notes: [String]
}

/// The largest rise of a curve over increasing size: (i, j, m[j] − m[i]) with i < j, the first pair on
/// ties; nil for fewer than 2 points or a curve that never rises.
public func largestRise(_ m: [Double]) -> (start: Int, top: Int, rise: Double)? {
    guard m.count >= 2 else { return nil }
    var best: (Int, Int, Double)? = nil
    var low = 0   // index of the lowest value so far
    for j in 1..<m.count {
        let r = m[j] - m[low]
        if r > 0 && r > (best?.2 ?? 0) { best = (low, j, r) }
        if m[j] < m[low] { low = j }
    }
    return best
}

/// The sample-wise measures (definitions and bootstrap in the file header). Throws when fewer than 2
/// sizes have test errors.
public func sampleWiseMeasures(_ data: [SizeErrors], epsilon: Double = 0, level: Double = 0.95, seed: UInt64 = 1,
                               resamples: Int = 2000, resampling: SeedResampling = .independentPerSize) throws -> SampleWiseMeasures {
    Analysis.setUp()
    try validateLevel(level)
    var notes = [String]()
    let sizes = try usableSizes(data, "sampleWiseMeasures", notes: &notes)
    let curve = seedMeanCurve(sizes)
    let m = curve.map(\.meanTest)
    let fits = curve.prefix { ($0.meanTrain ?? .infinity) <= epsilon }.count
    let lastInterpolated = fits > 0 ? curve[fits - 1].size : nil
    let firstNot = fits > 0 && fits < curve.count ? curve[fits].size : nil
    if fits == curve.count { notes.append("every size is fitted to mean train error ≤ \(epsilon): the sweep ends below the interpolation threshold") }
    if fits == 0 { notes.append("the smallest size is not fitted to mean train error ≤ \(epsilon): the sweep starts above the interpolation threshold") }

    var scheme = resampling
    if scheme == .paired, Set(sizes.map { $0.testErrors.count }).count != 1 {
        scheme = .independentPerSize
        notes.append("paired resampling needs the same number of seeds at every size; resampled independently per size")
    }
    var rises = [Double](), starts = [Double](), tops = [Double](), positive = 0
    resampleSeedMeans(sizes, scheme: scheme, seed: seed, resamples: resamples) { replicate, _ in
        if let s = largestRise(replicate) {
            positive += 1
            rises.append(s.rise)
            starts.append(sizes[s.start].size)
            tops.append(sizes[s.top].size)
        } else {
            rises.append(0)
        }
    }
    func percentile(_ v: [Double]) -> Interval? { percentileInterval(v, level: level) }
    func inverseCDF(_ v: [Double]) -> Interval? { inverseCDFInterval(v, level: level, method: "bootstrap-percentile (inverse CDF), over the replicates with a rise") }
    let stretch = largestRise(m)
    var out = SampleWiseMeasures(curve: curve, epsilon: epsilon, lastInterpolated: lastInterpolated, firstNotInterpolated: firstNot, lastExactFit: nil,
                                 stretchStart: stretch.map { curve[$0.start].size }, stretchTop: stretch.map { curve[$0.top].size },
                                 rise: stretch?.rise ?? 0, riseInterval: percentile(rises), replicatesWithRise: positive,
                                 stretchStartInterval: inverseCDF(starts), stretchTopInterval: inverseCDF(tops),
                                 dataRatio: nil, recoverySize: nil, recoveryRatio: nil,
                                 bootstrapSeed: seed, resamples: resamples, resampling: scheme, notes: notes)
    if let s = stretch {
        out.dataRatio = curve[s.top].size / curve[s.start].size
        if let k = (s.top + 1..<curve.count).first(where: { m[$0] <= m[s.start] }) {
            out.recoverySize = curve[k].size
            out.recoveryRatio = curve[k].size / curve[s.start].size
        } else {
            out.notes.append("the test error does not come back to its value at n = \(curve[s.start].size) within the sweep")
        }
    } else {
        out.notes.append("the seed-mean test error never rises with more data: no sample-wise non-monotonicity")
    }
    if let i = out.riseInterval, out.rise < i.lower {
        out.notes.append("the rise's interval lies above the rise measured: each replicate takes the largest of many noisy differences, which is biased upwards; a rise this small is within the seeds' noise")
    }
    if sizes.contains(where: { $0.testErrors.count < 3 }) { out.notes.append("some sizes have fewer than 3 seeds: bootstrap intervals are rough") }
    return out
}

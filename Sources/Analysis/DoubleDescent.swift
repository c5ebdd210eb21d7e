// Double-descent measures over seeds: interpolation threshold, test-error peak, classical minimum,
// far-right error, and the peak's ratios to both, with bootstrap intervals over seeds.
//
// Definitions, on the seed-mean curves m_test(size), m_train(size) (sizes ascending):
//   interpolation threshold(ε): the smallest size with m_train ≤ ε (nil when none reaches ε)
//   peak: the size maximizing m_test (first one on ties), its height m_test there; `peakIsInterior` is
//     false when the maximum sits at either end of the sweep (then it is not a double-descent peak)
//   classical minimum: the minimum of m_test strictly left of the peak (nil when the peak is first)
//   far right: m_test at the largest size
//   ratios: peak / classical minimum, peak / far right
// Bootstrap (B resamples, `BootstrapRNG` seeded): each replicate resamples the seeds within every size,
// independently per size (`.independentPerSize`) or the same seed indices at every size (`.paired`, for
// sweeps where seed i means the same data and initialization at every size; needs equal counts), then
// recomputes every measure on the replicate's mean curve (so the peak may move). Intervals:
//   peak size: type-1 (inverse-CDF) quantiles α/2, 1-α/2 of the replicate peak sizes, so both ends are
//     sizes of the sweep ("bootstrap-percentile (inverse CDF)")
//   heights and ratios: type-7 percentile intervals ("bootstrap-percentile"); replicates where a ratio
//     is undefined (peak first, zero denominator) are left out and counted in `undefinedReplicates`.

import Foundation

/// Test and train errors of every seed at one size (width, parameter count, sample count...).
public struct SizeErrors: Codable, Sendable {
    public var size: Double
    public var testErrors: [Double]
    public var trainErrors: [Double]
    public init(size: Double, testErrors: [Double], trainErrors: [Double]) {
        self.size = size
        self.testErrors = testErrors
        self.trainErrors = trainErrors
    }
}

/// How seeds are resampled in the double-descent bootstrap.
public enum SeedResampling: String, Codable, Sendable {
    case independentPerSize
    case paired
}

public struct DoubleDescentMeasures: Codable, Sendable {
    public struct CurvePoint: Codable, Sendable {
        public var size: Double
        public var meanTest: Double
        public var meanTrain: Double?
        public var seeds: Int
    }
    public struct Threshold: Codable, Sendable {
        public var epsilon: Double
        /// Smallest size with mean train error ≤ ε; nil when no size reaches it.
        public var size: Double?
    }

    /// The seed-mean curve the measures are read from.
    public var curve: [CurvePoint]
    public var thresholds: [Threshold]
    public var peakSize: Double
    public var peakHeight: Double
    public var peakIsInterior: Bool
    public var peakSizeInterval: Interval?
    public var peakHeightInterval: Interval?
    public var classicalMinimumSize: Double?
    public var classicalMinimum: Double?
    public var farRightSize: Double
    public var farRight: Double
    public var peakOverClassicalMinimum: Double?
    public var peakOverClassicalMinimumInterval: Interval?
    public var peakOverFarRight: Double?
    public var peakOverFarRightInterval: Interval?
    public var bootstrapSeed: UInt64
    public var resamples: Int
    public var resampling: SeedResampling
    /// Replicates in which a measure was undefined, by measure name.
    public var undefinedReplicates: [String: Int]
    public var notes: [String]
}

/// The shape of one seed-mean curve (definitions in the file header): the peak, the classical minimum
/// left of it, the far-right error and the interpolation threshold (mean train error ≤ ε).
public struct CurveShape: Sendable, Equatable {
    public var peakIndex: Int
    public var peakHeight: Double
    public var classicalMinimum: Double?
    public var classicalMinimumIndex: Int?
    public var farRight: Double
    /// Index of the first size whose mean train error is ≤ ε; nil when none is, or without train errors.
    public var thresholdIndex: Int?
    public var overClassical: Double? { classicalMinimum.flatMap { $0 > 0 ? finite(peakHeight / $0) : nil } }
    public var overFarRight: Double? { farRight > 0 ? finite(peakHeight / farRight) : nil }

    public init(meanTest m: [Double], meanTrain t: [Double]? = nil, epsilon: Double = 0) {
        var peak = 0
        for i in m.indices where m[i] > m[peak] { peak = i }
        peakIndex = peak
        peakHeight = m[peak]
        let left = m[0..<peak]
        classicalMinimum = left.min()
        classicalMinimumIndex = classicalMinimum.flatMap { c in left.firstIndex { $0 == c } }
        farRight = m[m.count - 1]
        thresholdIndex = t?.firstIndex { $0 <= epsilon }
    }
}

/// Calls `body` once per bootstrap replicate with the replicate's seed-mean test and train curves, the
/// seeds resampled as `scheme` says (`.paired` needs the same seed count at every size). Train errors are
/// resampled with the test errors' indices where a size has as many of each, else their mean is NaN there.
public func resampleSeedMeans(_ sizes: [SizeErrors], scheme: SeedResampling, seed: UInt64, resamples: Int,
                              _ body: (_ test: [Double], _ train: [Double]) -> Void) {
    var rng = BootstrapRNG(seed: seed)
    let nSeeds = sizes.first?.testErrors.count ?? 0
    var test = [Double](repeating: 0, count: sizes.count), train = test
    var idx = [Int](repeating: 0, count: nSeeds), drawn: [Int] = []
    for _ in 0..<max(0, resamples) {
        if scheme == .paired { for i in 0..<nSeeds { idx[i] = rng.index(below: nSeeds) } }
        for (j, s) in sizes.enumerated() {
            let v = s.testErrors
            if scheme == .paired { drawn = idx } else { drawn = (0..<v.count).map { _ in rng.index(below: v.count) } }
            test[j] = drawn.reduce(0) { $0 + v[$1] } / Double(v.count)
            train[j] = s.trainErrors.count == v.count ? drawn.reduce(0) { $0 + s.trainErrors[$1] } / Double(v.count) : .nan
        }
        body(test, train)
    }
}

private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

/// The sizes with finite test errors (non-finite errors dropped), ascending, with a note when whole sizes were
/// dropped; throws when fewer than 2 remain (`caller` names the measure in the error).
func usableSizes(_ data: [SizeErrors], _ caller: String, notes: inout [String]) throws -> [SizeErrors] {
    let sizes = data
        .map { SizeErrors(size: $0.size, testErrors: $0.testErrors.filter { $0.isFinite }, trainErrors: $0.trainErrors.filter { $0.isFinite }) }
        .filter { $0.size.isFinite && !$0.testErrors.isEmpty }
        .sorted { $0.size < $1.size }
    if sizes.count < data.count { notes.append("\(data.count - sizes.count) size(s) without finite test errors dropped") }
    guard sizes.count >= 2 else {
        throw AnalysisError.invalidInput("\(caller): \(sizes.count) size(s) with test errors; a curve needs at least 2")
    }
    return sizes
}

/// The seed-mean test (and train, where recorded) error at every size.
func seedMeanCurve(_ sizes: [SizeErrors]) -> [DoubleDescentMeasures.CurvePoint] {
    sizes.map {
        DoubleDescentMeasures.CurvePoint(size: $0.size, meanTest: mean($0.testErrors),
                                         meanTrain: $0.trainErrors.isEmpty ? nil : mean($0.trainErrors), seeds: $0.testErrors.count)
    }
}

/// The type-7 percentile interval (α/2, 1 − α/2) of bootstrap replicates; nil with fewer than 2.
func percentileInterval(_ v: [Double], level: Double) -> Interval? {
    guard v.count >= 2 else { return nil }
    let s = v.sorted(), alpha = 1 - level
    return Interval.make(quantileSorted(s, alpha / 2), quantileSorted(s, 1 - alpha / 2), level: level, method: "bootstrap-percentile")
}

/// The type-1 (inverse-CDF) quantiles α/2, 1 − α/2 of bootstrap replicates, so both ends are values taken
/// (sizes of the sweep); nil with fewer than 2.
func inverseCDFInterval(_ v: [Double], level: Double, method: String = "bootstrap-percentile (inverse CDF)") -> Interval? {
    guard v.count >= 2 else { return nil }
    let s = v.sorted(), alpha = 1 - level
    func q(_ p: Double) -> Double { s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))] }
    return Interval.make(q(alpha / 2), q(1 - alpha / 2), level: level, method: method)
}

/// Computes the double-descent measures (definitions and bootstrap in the file header).
/// Throws when fewer than 2 sizes have test errors.
public func doubleDescentMeasures(_ data: [SizeErrors], epsilons: [Double] = [0, 0.1], level: Double = 0.95,
                                  seed: UInt64 = 1, resamples: Int = 2000,
                                  resampling: SeedResampling = .independentPerSize) throws -> DoubleDescentMeasures {
    Analysis.setUp()
    try validateLevel(level)
    var notes = [String]()
    let sizes = try usableSizes(data, "doubleDescentMeasures", notes: &notes)
    let curve = seedMeanCurve(sizes)
    let thresholds = epsilons.map { eps in
        DoubleDescentMeasures.Threshold(epsilon: eps, size: curve.first { ($0.meanTrain ?? .infinity) <= eps }?.size)
    }
    let m = CurveShape(meanTest: curve.map { $0.meanTest })

    var scheme = resampling
    if scheme == .paired, Set(sizes.map { $0.testErrors.count }).count != 1 {
        scheme = .independentPerSize
        notes.append("paired resampling needs the same number of seeds at every size; resampled independently per size")
    }
    var peakSizes = [Double](), heights = [Double](), overC = [Double](), overR = [Double]()
    var undefined = ["peakOverClassicalMinimum": 0, "peakOverFarRight": 0]
    resampleSeedMeans(sizes, scheme: scheme, seed: seed, resamples: resamples) { replicate, _ in
        let r = CurveShape(meanTest: replicate)
        peakSizes.append(sizes[r.peakIndex].size)
        heights.append(r.peakHeight)
        if let c = r.overClassical { overC.append(c) } else { undefined["peakOverClassicalMinimum"]! += 1 }
        if let f = r.overFarRight { overR.append(f) } else { undefined["peakOverFarRight"]! += 1 }
    }
    func percentile(_ v: [Double]) -> Interval? { percentileInterval(v, level: level) }
    func inverseCDF(_ v: [Double]) -> Interval? { inverseCDFInterval(v, level: level) }
    let interior = m.peakIndex > 0 && m.peakIndex < curve.count - 1
    if !interior { notes.append("the test-error maximum is at an end of the sweep (size \(curve[m.peakIndex].size)): no interior peak") }
    if sizes.contains(where: { $0.testErrors.count < 3 }) {
        notes.append("some sizes have fewer than 3 seeds: bootstrap intervals are rough")
    }
    return DoubleDescentMeasures(
        curve: curve, thresholds: thresholds, peakSize: curve[m.peakIndex].size, peakHeight: m.peakHeight,
        peakIsInterior: interior, peakSizeInterval: inverseCDF(peakSizes), peakHeightInterval: percentile(heights),
        classicalMinimumSize: m.classicalMinimumIndex.map { curve[$0].size },
        classicalMinimum: m.classicalMinimum, farRightSize: curve[curve.count - 1].size, farRight: m.farRight,
        peakOverClassicalMinimum: m.overClassical, peakOverClassicalMinimumInterval: percentile(overC),
        peakOverFarRight: m.overFarRight, peakOverFarRightInterval: percentile(overR),
        bootstrapSeed: seed, resamples: resamples, resampling: scheme, undefinedReplicates: undefined, notes: notes)
}

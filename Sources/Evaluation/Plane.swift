// The size × steps plane of a size-axis study whose networks train by steps (Nakkiran et al. 2019, Fig. 2;
// Davies et al. 2023): from the same trials, the model-wise cut (test error at the end of training against
// size) and the step-wise cut of every size (test error against steps), each read for where it over-fits
// (the error rises) and recovers (falls again), and when each size generalizes.
import Analysis
import Foundation
import Studies

/// The step-wise cut at one size: the seed-mean test error over steps, its most prominent fall-rise-fall,
/// and when its seeds generalized.
public struct StepCut: Sendable, Codable, Equatable {
    public var size: Int
    public var parameters: Int
    /// The seed mean at the end of training (the model-wise cut's value at this size).
    public var finalError: Double
    /// The lowest seed-mean error over steps and its step.
    public var bestError: Double
    public var bestStep: Double
    /// The most prominent fall-rise-fall of the seed-mean curve: (step, error) of the first minimum, the top
    /// and the later minimum, and its prominence, min(first fall, rise, second fall); nil for fewer than 3 evaluations.
    public var firstMinimum: [Double]?
    public var top: [Double]?
    public var secondMinimum: [Double]?
    public var prominence: Double?
    /// Seeds that reached the generalization event, of those with results, and the median step among all of
    /// them (nil when half or more never reached it: the censored ones count as later than every observed step).
    public var generalized: Int
    public var seeds: Int
    public var medianGeneralizationStep: Double?
}

/// The plane of one configuration (the sweep point without the size key).
public struct Plane: Sendable, Codable, Equatable {
    public var configuration: String
    public var sizeKey: String
    public var cuts: [StepCut]
    /// The model-wise cut (final error against size, seed means): its most prominent rise and fall over sizes
    /// (sizes at the top and at the minimum after it, the rise from the lowest error before it, the fall after it).
    public var modelWiseTop: Int?
    public var modelWiseRise: Double?
    public var modelWiseFall: Double?
    /// Spearman's ρ of size against the generalization step (censored seeds ranked last), with its one-sided
    /// permutation p-value for "larger models generalize sooner" (nil with too few trials or sizes).
    public var generalizationTrend: RankTrend?
    /// The least prominence at which a cut counts as over-fitting and recovering.
    public static let minimumProminence = 0.02
    public static let method = "seed means of 1 − val_accuracy; a cut over-fits and recovers when its most prominent fall-rise-fall (step-wise) or rise-fall (model-wise) has prominence ≥ 0.02; generalization medians count censored seeds as later than every observed step"

    /// The sizes whose step-wise cut over-fits and recovers (prominence at least `minimumProminence`).
    public var stepWiseRecoveries: [StepCut] { cuts.filter { ($0.prominence ?? 0) >= Plane.minimumProminence } }
    /// Whether the model-wise cut rises and falls again by at least `minimumProminence`.
    public var modelWiseRecovers: Bool { min(modelWiseRise ?? 0, modelWiseFall ?? 0) >= Plane.minimumProminence }

    /// The planes of a size-axis study's configurations, when its trials kept curves over steps with at least 3
    /// evaluations (networks trained by steps); empty otherwise. `event` is the generalization event's name.
    public static func of(_ r: StudyResults, event: String = "generalization") -> [Plane] {
        guard r.study.axis == "size" else { return [] }
        let sizeKey = Schema.sizeKey(r.study)
        return SizeData.configurations(r).compactMap { c in
            var cuts: [StepCut] = []
            var xs: [Double] = [], ys: [Double?] = []
            for size in c.sizes {
                let samples = c.at(size)
                guard let curve = EpochWise.meanErrorCurves(r, trials: samples.map(\.trial)).first, curve.steps.count >= 3 else { continue }
                let best = curve.error.indices.min { curve.error[$0] < curve.error[$1] }!
                var cut = StepCut(size: size, parameters: c.parameters(size), finalError: c.mean(size), bestError: curve.error[best], bestStep: curve.steps[best],
                                  generalized: 0, seeds: samples.count)
                if let s = curve.shape {
                    cut.firstMinimum = [curve.steps[s.firstMinimum], curve.error[s.firstMinimum]]
                    cut.top = [curve.steps[s.peak], curve.error[s.peak]]
                    cut.secondMinimum = [curve.steps[s.secondMinimum], curve.error[s.secondMinimum]]
                    cut.prominence = s.prominence
                }
                let steps = samples.map { r.summaries[$0.trial.id]?.events[event]?.step }
                cut.generalized = steps.compactMap { $0 }.count
                cut.medianGeneralizationStep = censoredMedian(steps)
                for s in steps { xs.append(Double(size)); ys.append(s.map(Double.init)) }
                cuts.append(cut)
            }
            guard !cuts.isEmpty else { return nil }
            var plane = Plane(configuration: c.key, sizeKey: sizeKey, cuts: cuts)
            if let b = EpochWise.mostProminentBump(cuts.map(\.finalError)) {
                plane.modelWiseTop = cuts[b.peak].size; plane.modelWiseRise = b.rise; plane.modelWiseFall = b.fall
            }
            plane.generalizationTrend = RankTrend(x: sizeKey, y: event + "_step", xs: xs, ys: ys)
            return plane
        }
    }

    /// The median of event steps where nil (never reached) is later than every step: nil when half or more are nil.
    public static func censoredMedian(_ steps: [Int?]) -> Double? {
        let n = steps.count
        guard n > 0 else { return nil }
        let seen = steps.compactMap { $0 }.sorted()
        // The sorted list is the observed steps followed by the censored ones (at +∞).
        func at(_ i: Int) -> Double? { i < seen.count ? Double(seen[i]) : nil }
        if n % 2 == 1 { return at(n / 2) }
        guard let a = at(n / 2 - 1), let b = at(n / 2) else { return nil }
        return (a + b) / 2
    }
}

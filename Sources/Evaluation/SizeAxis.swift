// The size axis (model-wise double descent) of a results folder: each configuration's finished trials
// by size, the seed means and spreads, the double-descent measures with bootstrap intervals, and the
// exact theory curves where they exist (minimum-norm and ridge least squares), the test error against
// noisy test labels.
import Analysis
import Foundation
import Studies
import Training

/// One finished trial of the size axis.
public struct SizeSample: Sendable {
    public let trial: Trial
    public let size: Int
    public let parameters: Int
    public let testError: Double
    public let trainError: Double
    public let converged: Bool
    /// The mean squared training residual of a squared-loss fit (random features), else nil.
    public var trainSquaredError: Double? = nil
}

/// The trials of one configuration (the sweep point without the size key), by size.
public struct SizeConfiguration: Sendable {
    public let key: String
    public let point: [(String, Value)]
    public let trials: [Trial]
    public let samples: [SizeSample]

    public var sizes: [Int] { Array(Set(samples.map(\.size))).sorted() }
    public func at(_ size: Int) -> [SizeSample] { samples.filter { $0.size == size }.sorted { $0.trial.seedIndex < $1.trial.seedIndex } }
    public func mean(_ size: Int) -> Double { let v = at(size).map(\.testError); return v.reduce(0, +) / Double(max(v.count, 1)) }
    public func meanTrain(_ size: Int) -> Double { let v = at(size).map(\.trainError); return v.reduce(0, +) / Double(max(v.count, 1)) }
    /// Sample standard deviation of the seeds' test errors at a size (0 with one seed).
    public func sd(_ size: Int) -> Double {
        let v = at(size).map(\.testError)
        guard v.count > 1 else { return 0 }
        let m = v.reduce(0, +) / Double(v.count)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }
    public func parameters(_ size: Int) -> Int { at(size).first?.parameters ?? size }
    public var unconverged: [SizeSample] { samples.filter { !$0.converged } }
    public var nTrain: Int { trials.first?.spec.task.trainingExamples ?? 0 }

    /// The sizes the measures use: all of them from the classical minimum on, where the classical
    /// minimum is the lowest seed-mean test error among the sizes below the interpolation threshold
    /// (the smallest size whose mean train error is 0), or, when no size interpolates, the first local
    /// minimum. Tiny models underfit, and their high error on the far left (e.g. width 1-4) is the
    /// left arm of the classical U, not a double-descent peak; left in, it can be the curve's global
    /// maximum. The report says which sizes were left out.
    public var measuredSizes: [Int] {
        let s = sizes
        guard !s.isEmpty else { return s }
        var start = 0
        if let t = s.firstIndex(where: { meanTrain($0) <= 0 }), t > 0 {
            start = (0..<t).min { mean(s[$0]) < mean(s[$1]) }!
        } else if s.firstIndex(where: { meanTrain($0) <= 0 }) == nil {
            while start + 1 < s.count && mean(s[start + 1]) < mean(s[start]) { start += 1 }
        }
        return Array(s[start...])
    }

    /// `doubleDescentMeasures` over `measuredSizes` (paired bootstrap: seed i has the same data at every size).
    public func measures() throws -> DoubleDescentMeasures {
        let data = measuredSizes.map { s in SizeErrors(size: Double(s), testErrors: at(s).map(\.testError), trainErrors: at(s).map(\.trainError)) }
        return try doubleDescentMeasures(data, epsilons: [0, 0.1], level: 0.95, seed: 1, resamples: 2000, resampling: .paired)
    }

    /// `sampleWiseMeasures` over every size (a `size_by: samples` study: the sizes are training-set sizes). The
    /// seeds are resampled independently per size: seed i's smaller training sets are the first rows of its
    /// larger ones, but its test set and initialization may differ between sizes.
    public func sampleWise() throws -> SampleWiseMeasures {
        let data = sizes.map { s in SizeErrors(size: Double(s), testErrors: at(s).map(\.testError), trainErrors: at(s).map(\.trainError)) }
        var m = try sampleWiseMeasures(data, epsilon: 0, level: 0.95, seed: 1, resamples: 2000, resampling: .independentPerSize)
        let exact = sizes.prefix { n in at(n).allSatisfy { ($0.trainSquaredError ?? .infinity) <= 1e-8 } }
        m.lastExactFit = exact.last.map(Double.init)
        return m
    }

    /// The exact expected excess risk of minimum-norm least squares at p (linear family only), else nil.
    public func theory(_ p: Int) -> Double? {
        guard let spec = trials.first?.spec, spec.model.family == "linear", spec.solver?.method == "min_norm",
              let task = spec.task as? GaussianLinearTask.Config else { return nil }
        let n = task.nTrain, r2 = task.signal, s2 = task.noiseVariance, d = task.dimension
        if d == 0 { return LinearRegressionTheory.minimumNormRisk(n: n, p: p, betaNormSquared: r2, noiseVariance: s2).risk }
        return LinearRegressionTheory.minimumNormRisk(n: n, p: p, signalSeen: r2 * Double(p) / Double(d),
                                                      signalMissed: r2 * Double(d - p) / Double(d), noiseVariance: s2).risk
    }
}

public enum SizeData {
    /// The configurations of the given trials (all of the study's by default), in the study's order.
    public static func configurations(_ r: StudyResults, trials: [Trial]? = nil) -> [SizeConfiguration] {
        let sizeKey = Schema.sizeKey(r.study)
        var order: [String] = []
        var groups: [String: [Trial]] = [:]
        for t in trials ?? r.trials {
            let key = t.groupKey(without: sizeKey)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(t)
        }
        return order.map { key in
            let ts = groups[key]!
            let samples: [SizeSample] = ts.compactMap { t in
                guard let s = r.summaries[t.id], let size = s.raw["size"] as? [String: Any],
                      let test = (size["test_error"] as? NSNumber)?.doubleValue else { return nil }
                return SizeSample(trial: t, size: (size["size"] as? Int) ?? t.value(at: sizeKey)?.asInt ?? 0, parameters: s.parameterCount,
                                  testError: test, trainError: (size["train_error"] as? NSNumber)?.doubleValue ?? .nan,
                                  converged: (size["converged"] as? Bool) ?? false,
                                  trainSquaredError: (size["train_squared_error"] as? NSNumber)?.doubleValue)
            }
            return SizeConfiguration(key: key, point: ts[0].point.filter { $0.0 != sizeKey }, trials: ts, samples: samples)
        }
    }
}

extension SizeData {
    /// A trial's test error against noisy test labels (summary.json size.test_error_noisy_labels), if recorded.
    public static func noisyLabelError(_ s: SizeSample, _ r: StudyResults) -> Double? {
        ((r.summaries[s.trial.id]?.raw["size"] as? [String: Any])?["test_error_noisy_labels"] as? NSNumber)?.doubleValue
    }

    /// The seed means per size of the test error against clean and against noisy test labels, with what the clean
    /// error predicts for the noisy one: a test label flipped with probability q to one of the K − 1 others is
    /// missed unless the prediction was wrong and hit it, so E[noisy] = q + e (1 − qK/(K − 1)) for clean error e.
    /// Nil for a configuration without label noise or without the record.
    public static func noisyLabelRows(_ c: SizeConfiguration, _ r: StudyResults) -> [(size: Int, clean: Double, noisy: Double, predicted: Double?)]? {
        guard let q = c.trials.first?.spec.task.labelNoise, q > 0 else { return nil }
        let k = (c.samples.first.flatMap { r.summaries[$0.trial.id]?.raw["size"] as? [String: Any] }?["classes"] as? Int)
        let rows = c.sizes.compactMap { size -> (Int, Double, Double, Double?)? in
            let v = c.at(size).compactMap { s in noisyLabelError(s, r).map { (s.testError, $0) } }
            guard !v.isEmpty else { return nil }
            let clean = v.map(\.0).reduce(0, +) / Double(v.count), noisy = v.map(\.1).reduce(0, +) / Double(v.count)
            return (size, clean, noisy, k.map { q + clean * (1 - q * Double($0) / Double($0 - 1)) })
        }
        return rows.isEmpty ? nil : rows
    }

    /// The asymptotic ridge risk at p for a linear, well-specified (task.dimension 0) ridge configuration
    /// (Hastie et al. 2019, Theorem 5, with γ = p/n and the study's λ in (1/n)‖y − Xβ‖² + λ‖β‖²), else nil.
    public static func ridgeTheory(_ c: SizeConfiguration, _ p: Int) -> Double? {
        guard let t = c.trials.first(where: { $0.spec.model.size == p }) ?? c.trials.first else { return nil }
        guard t.spec.model.family == "linear", let solver = t.spec.solver, solver.method == "ridge", solver.lambda > 0,
              let task = t.spec.task as? GaussianLinearTask.Config, task.dimension == 0 else { return nil }
        let lambda = solver.lambda, n = task.nTrain, r2 = task.signal, s2 = task.noiseVariance
        return LinearRegressionTheory.ridgeAsymptoticRisk(gamma: Double(p) / Double(n), lambda: lambda, betaNormSquared: r2, noiseVariance: s2).risk
    }
}

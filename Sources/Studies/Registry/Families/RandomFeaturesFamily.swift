// model.family random_features: N random ReLU or Fourier features of the inputs, read out by one
// least-squares solve (minimum norm or ridge) against one-hot targets. Its size is N.
import Datasets
import Linalg
import Models

public enum RandomFeaturesFamily: ModelFamily {
    static let name = "random_features"
    static let summary = "N random ReLU or Fourier features, read out by min-norm least squares or ridge (fitted in closed form)"

    static let featureMap = KeySpec(path: "model.feature_map", type: .choice(["relu", "fourier"]), defaultValue: .string("relu"), doc: "random_features: max(⟨v,x⟩, 0) with v ~ N(0, I/d), or cos/sin⟨v,x⟩ with v ~ N(0, σ⁻²I)")
    static let bandwidth = KeySpec(path: "model.bandwidth", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "fourier features: σ, the Gaussian kernel's width; 0: √(2d), about the distance between standardized inputs")
    static let maxFeatures = 200_000

    static let keys = [ClosedFormKeys.features, featureMap, bandwidth, ClosedFormKeys.method]
    static var sizeKey: KeySpec { ClosedFormKeys.features }
    static func fit(_ v: KeyValues) -> Fit { .closedForm }

    static func check(_ s: StudyDraft) throws {
        let v = s.keys
        if let task = Registry.task(v.string(TaskKeys.kind)) {
            if task.inputs == .tokens {
                throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "model.family 'random_features' is fitted in closed form and needs a tabular or synthetic task, not task.kind '\(task.name)'",
                                 hint: "set task.kind to digits or mnist1d, or use model.family: mlp")
            }
            if task.inputs == .regression {
                throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "task.kind '\(task.name)' is a regression task; model.family 'random_features' classifies",
                                 hint: "use model.family: linear for \(task.name), or a classification task (digits, mnist1d)")
            }
        }
        if s.values(of: ClosedFormKeys.method).contains(.string("gradient_descent")) {
            throw StudyError(s.at(ClosedFormKeys.method, or: ModelKeys.family), "solver.method 'gradient_descent' is for model.family 'linear', not 'random_features'", hint: "use min_norm or ridge")
        }
        if v.string(StudyKeys.axis) == "steps" {
            throw StudyError(s.locations[StudyKeys.axis.path] ?? s.at(ModelKeys.family), "model.family 'random_features' with solver.method '\(v.string(ClosedFormKeys.method))' is one closed-form solve: it has no curve over steps",
                             hint: "set 'axis: size'")
        }
        try ClosedFormKeys.check(s)
    }

    static func validate(_ spec: TrialSpec) throws {
        let n = spec.model.size
        if n > maxFeatures {
            throw DatasetError(key: ClosedFormKeys.features.path, "N = \(n) random features would need \(n / 1000 * 8) kB per example; HINT: use N ≤ \(maxFeatures)")
        }
    }

    static func decode(_ v: KeyValues) -> any ModelConfiguration {
        Config(features: v.int(ClosedFormKeys.features), featureMap: v.string(featureMap), bandwidth: v.double(bandwidth))
    }

    public struct Config: ModelConfiguration {
        public var family: String { RandomFeaturesFamily.name }
        public let features: Int
        /// "relu" or "fourier".
        public let featureMap: String
        /// Fourier features' σ; 0: √(2d).
        public let bandwidth: Double
        public var size: Int { features }
    }

    static func run(_ trial: Trial, _ context: TrialContext) throws -> TrialResult {
        let m = trial.spec.model as! Config, solver = trial.spec.solver!
        let task = trial.spec.task as! any FeatureTask
        let (train, test) = try TrialRunner.featureData(trial, task)
        let kind: RandomFeatureKind = m.featureMap == "fourier" ? .fourier(bandwidth: m.bandwidth > 0 ? m.bandwidth : Double(2 * train.features).squareRoot()) : .relu
        let r = try Models.runRandomFeatures(kind: kind, features: m.features, classes: train.classes, trainX: train.x, trainLabels: train.labels,
                                             trainCleanLabels: train.cleanLabels, testX: test.x, testLabels: test.cleanLabels, testNoisyLabels: test.labels,
                                             solver: solver.solver, precision: solver.precision, rng: RNG(seed: TrialRunner.dataSeed(trial)).split("features"))
        let fields: [(String, JSON)] = [
            ("train_error_clean", .num(r.trainClean.zeroOneError)),
            ("test_squared_error", .num(r.test.squaredError)), ("train_squared_error", .num(r.train.squaredError)),
            ("interpolates", .bool(r.interpolates)), ("n_train", .int(train.count)), ("n_test", .int(test.count)),
            ("label_noise_realized", .num(train.corruptedFraction)), ("classes", .int(train.classes)),
            ("test_error_noisy_labels", .num(r.testNoisy?.zeroOneError)), ("label_noise_test_realized", .num(test.corruptedFraction)),
            ("solve", r.solve.json),
        ]
        let outcome = TrialRunner.oneRecord(trainLoss: r.train.squaredError, trainAccuracy: 1 - r.train.zeroOneError,
                                            valLoss: r.test.squaredError, valAccuracy: 1 - r.test.zeroOneError, seconds: r.seconds)
        var result = TrialResult(trial: trial, outcome: outcome, events: TrialRunner.eventTimes(trial, outcome),
                                 parameterCount: r.parameterCount, trainSize: train.count, validationSize: test.count,
                                 metricColumns: [], threads: BLAS.threads)
        result.size = SizeOutcome(size: trial.spec.size ?? m.features, converged: true, criterion: "closed form: one \(r.solve.solver) solve",
                                  testError: r.test.zeroOneError, trainError: r.train.zeroOneError, fields: fields)
        return result
    }
}

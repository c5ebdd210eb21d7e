// Trials of the size axis: tabular (digits, MNIST-1D) and synthetic (Gaussian linear) tasks, fitted
// in closed form (random features, linear regression: one solve per trial) or by training an MLP on
// dense inputs to a stated convergence criterion.
//
// Randomness: the data split, the label noise and the random-feature directions come from a seed that
// hashes the trial's configuration WITHOUT its size key (model.features or model.width). So every size
// of one seed sees the same training set, the same corrupted labels and nested feature maps (the map
// with N features is the first N features of any larger one): the sweep changes one thing at a time,
// and seed i means the same data at every size (paired bootstrap).
//
// What a trial records (summary.json "size", see `SizeOutcome.json`):
//   test_error        classification (digits, MNIST-1D, teacher): 0-1 error against the CLEAN test labels; linear: the exact excess
//                     risk ‖β̂ − β_{≤p}‖² + ‖β_{>p}‖² (the quantity the finite-sample formula gives)
//   train_error       0-1 error against the labels fitted (noisy under label noise); linear: 0 when the
//                     fit interpolates, else the training mean squared error
//   train_error_clean 0-1 error of the training predictions against the clean labels
//   test_error_noisy_labels  classification: 0-1 error against test labels corrupted by the same noise
//                     process as the training labels (drawn once per seed); equals test_error without noise
//   converged         closed form: true (one exact solve); MLP: whether the criterion held
import Datasets
import Foundation
import Linalg
import Models
import Training

/// The size-axis record of one trial, written under "size" in summary.json.
public struct SizeOutcome: Sendable {
    public var size: Int
    public var converged: Bool
    public var criterion: String
    public var testError: Double
    public var trainError: Double
    public var fields: [(String, JSON)] = []

    var json: JSON {
        .object([("size", .int(size)), ("converged", .bool(converged)), ("criterion", .string(criterion)),
                 ("test_error", .num(testError)), ("train_error", .num(trainError))] + fields)
    }
}

extension SolveRecord {
    var json: JSON {
        .object([("solver", .string(solver)), ("precision", .string(precision.rawValue)), ("rcond", .num(rcond)),
                 ("cutoff", .num(cutoff)), ("rank", rank.map { .int($0) } ?? .null),
                 ("largest_singular_value", .num(largestSingularValue)), ("smallest_kept_singular_value", .num(smallestKeptSingularValue)),
                 ("lambda", .num(lambda)), ("seconds", .num(seconds))])
    }
}

extension TrialRunner {
    static func isSizeTask(_ c: [String: Value]) -> Bool { (c["task.kind"]?.asString ?? "algorithmic") != "algorithmic" }

    /// The seed shared by every size of one seed and configuration (see the file header).
    static func dataSeed(_ t: Trial) -> UInt64 {
        var c = t.config
        c["model.features"] = nil
        c["model.width"] = nil
        return stableHash("size-axis|" + nestedJSON(c).render(indent: nil))
    }

    /// Checks what can be checked without loading data: sizes the shipped files can serve, and sizes
    /// the synthetic model has.
    static func validateSize(_ c: [String: Value]) throws {
        // task.n_test is not a key of gradient-descent trials (their risk is exact): 0 there.
        let kind = c["task.kind"]!.asString!, nTrain = c["task.n_train"]!.asInt!, nTest = c["task.n_test"]?.asInt ?? 0
        switch kind {
        case "digits":
            if nTrain + nTest > 1797 || nTrain >= 1797 {
                throw DatasetError(key: nTrain >= 1797 ? "task.n_train" : "task.n_test", "digits has 1797 examples; n_train \(nTrain) + n_test \(nTest) leaves no test set; HINT: use n_train ≤ 1500 and n_test 0 (the rest)")
            }
        case "mnist1d":
            if nTrain > 4000 { throw DatasetError(key: "task.n_train", "the MNIST-1D training file has 4000 examples, not \(nTrain); HINT: use n_train ≤ 4000") }
            if nTest > 1000 { throw DatasetError(key: "task.n_test", "the MNIST-1D test file has 1000 examples, not \(nTest); HINT: use n_test ≤ 1000 or 0 for all") }
        case "gaussian_linear":
            let d = c["task.dimension"]?.asInt ?? 0, p = c["model.features"]!.asInt!
            if d > 0 && p > d { throw DatasetError(key: "model.features", "p = \(p) exceeds task.dimension \(d): the fit uses the first p of d inputs; HINT: raise task.dimension or set it to 0 (d = p, well-specified)") }
        default: break
        }
        if c["model.family"]?.asString == "random_features", let n = c["model.features"]?.asInt, n > 200_000 {
            throw DatasetError(key: "model.features", "N = \(n) random features would need \(n / 1000 * 8) kB per example; HINT: use N ≤ 200000")
        }
    }

    /// A classification task's training and test sets: loaded, split, standardized (on the training
    /// set), with label noise on the training labels. The test set's `labels` carry the same noise process
    /// (its own draw, once per seed) for the noisy-label error; its `cleanLabels` are what test error means.
    static func classificationData(_ c: [String: Value], rng: RNG) throws -> (train: ClassificationData, test: ClassificationData) {
        let kind = c["task.kind"]!.asString!, nTrain = c["task.n_train"]!.asInt!, nTest = c["task.n_test"]!.asInt!
        let folder = c["task.data"]?.asString ?? ""
        func file(_ name: String) throws -> String { folder.isEmpty ? try DataFiles.path(name) : (folder as NSString).appendingPathComponent(name) }
        var split = rng.split("split")
        var train: ClassificationData, test: ClassificationData
        do {
            if kind == "teacher" {
                // One teacher for the study (its seed and the teacher's shape), fresh samples per seed.
                let d = c["task.input_dimension"]!.asInt!, h = c["task.teacher_width"]!.asInt!, k = c["task.classes"]!.asInt!
                var tr = RNG(seed: stableHash("teacher|\(c["seed"]!.asInt!)|\(d)|\(h)|\(k)"))
                let teacher = TeacherNetwork(inputs: d, hidden: h, outputs: k, rng: &tr)
                train = teacher.classification(nTrain, rng: &split)
                test = teacher.classification(nTest == 0 ? 1000 : nTest, rng: &split)
            } else if kind == "digits" {
                (train, test) = try ClassificationData.digits(path: try file("digits.csv.gz")).split(train: nTrain, test: nTest == 0 ? nil : nTest, rng: &split)
            } else {
                train = try ClassificationData.mnist1d(train: true, path: try file("mnist1d_train.csv.gz")).sample(nTrain, rng: &split)
                let all = try ClassificationData.mnist1d(train: false, path: try file("mnist1d_test.csv.gz"))
                test = nTest == 0 ? all : try all.sample(nTest, rng: &split)
            }
        } catch let e as DataError {
            throw DatasetError(key: "task.data", "\(e.description); HINT: set task.data to the folder holding the \(kind) files, or \(DataFiles.environmentVariable)")
        }
        if c["task.standardize"]!.asBool! {
            let s = Standardizer(fitting: train.x)
            train = train.mapFeatures { s.apply($0) }
            test = test.mapFeatures { s.apply($0) }
        }
        var noise = rng.split("label-noise")
        let q = c["task.label_noise"]!.asDouble!
        train = train.withLabelNoise(rate: q, rng: &noise)
        var testNoise = rng.split("label-noise-test")
        test = test.withLabelNoise(rate: q, rng: &testNoise)
        return (train, test)
    }

    static func solver(_ c: [String: Value]) -> LeastSquaresSolver {
        if c["solver.method"]!.asString == "ridge" { return .ridge(lambda: c["solver.lambda"]!.asDouble!) }
        let r = c["solver.rcond"]!.asDouble!
        return .minimumNorm(rcond: r > 0 ? r : nil)
    }

    /// One record (step 0) standing for a closed-form fit in curve.csv.
    static func oneRecord(trainLoss: Double, trainAccuracy: Double, valLoss: Double, valAccuracy: Double, seconds: Double) -> TrainingOutcome {
        TrainingOutcome(single: EvalRecord(step: 0, trainLoss: trainLoss, trainAccuracy: trainAccuracy, valLoss: valLoss, valAccuracy: valAccuracy,
                                           weightNorm: .nan, tensorNorms: [], learningRate: .nan), seconds: seconds)
    }

    static func runSize(_ trial: Trial, progress: ((TrainingProgress) -> Void)?, shouldStop: (() -> Bool)?) throws -> TrialResult {
        let c = trial.config
        try validateSize(c)
        let rng = RNG(seed: dataSeed(trial))
        switch c["model.family"]!.asString! {
        case "linear":
            if c["solver.method"]!.asString == "gradient_descent" { return try runLinearGD(trial, progress: progress, shouldStop: shouldStop) }
            return try runLinear(trial, rng: rng)
        case "random_features": return try runRandomFeatures(trial, rng: rng)
        default:
            if c["training.precision"]!.asString == "float64" { return try runDenseMLP(Double.self, trial, rng: rng, progress: progress, shouldStop: shouldStop) }
            return try runDenseMLP(Float.self, trial, rng: rng, progress: progress, shouldStop: shouldStop)
        }
    }

    static func runRandomFeatures(_ trial: Trial, rng: RNG) throws -> TrialResult {
        let c = trial.config
        let (train, test) = try classificationData(c, rng: rng)
        let n = c["model.features"]!.asInt!
        let bw = c["model.bandwidth"]!.asDouble!
        let kind: RandomFeatureKind = c["model.feature_map"]!.asString == "fourier" ? .fourier(bandwidth: bw > 0 ? bw : Double(2 * train.features).squareRoot()) : .relu
        let precision = SolvePrecision(rawValue: c["solver.precision"]!.asString!)!
        let r = try Models.runRandomFeatures(kind: kind, features: n, classes: train.classes, trainX: train.x, trainLabels: train.labels,
                                             trainCleanLabels: train.cleanLabels, testX: test.x, testLabels: test.cleanLabels, testNoisyLabels: test.labels,
                                             solver: solver(c), precision: precision, rng: rng.split("features"))
        let fields: [(String, JSON)] = [
            ("train_error_clean", .num(r.trainClean.zeroOneError)),
            ("test_squared_error", .num(r.test.squaredError)), ("train_squared_error", .num(r.train.squaredError)),
            ("interpolates", .bool(r.interpolates)), ("n_train", .int(train.count)), ("n_test", .int(test.count)),
            ("label_noise_realized", .num(train.corruptedFraction)), ("classes", .int(train.classes)),
            ("test_error_noisy_labels", .num(r.testNoisy?.zeroOneError)), ("label_noise_test_realized", .num(test.corruptedFraction)),
            ("solve", r.solve.json),
        ]
        let outcome = oneRecord(trainLoss: r.train.squaredError, trainAccuracy: 1 - r.train.zeroOneError,
                                valLoss: r.test.squaredError, valAccuracy: 1 - r.test.zeroOneError, seconds: r.seconds)
        var result = TrialResult(trial: trial, outcome: outcome, events: eventRules(c).map { eventTime($0.0, $0.1, outcome) },
                                 parameterCount: r.parameterCount, trainSize: train.count, validationSize: test.count,
                                 metricColumns: [], threads: BLAS.threads)
        result.size = SizeOutcome(size: n, converged: true, criterion: "closed form: one \(r.solve.solver) solve",
                                  testError: r.test.zeroOneError, trainError: r.train.zeroOneError, fields: fields)
        return result
    }

    static func runLinear(_ trial: Trial, rng: RNG) throws -> TrialResult {
        let c = trial.config
        let p = c["model.features"]!.asInt!, n = c["task.n_train"]!.asInt!
        let nTest = c["task.n_test"]!.asInt! == 0 ? 1000 : c["task.n_test"]!.asInt!
        let d = c["task.dimension"]!.asInt!
        let r = c["task.signal"]!.asDouble!.squareRoot(), sigma = c["task.noise_variance"]!.asDouble!.squareRoot()
        // Well-specified (d = 0): a fresh p-dimensional model per trial, β uniform on the sphere of radius r.
        // Misspecified: one d-dimensional model with evenly spread β, the fit sees the first p inputs.
        var mr = RNG(seed: trial.seed).split("model")
        let model = d == 0 ? GaussianLinearModel.randomDirection(dimension: p, signal: r, noise: sigma, rng: &mr)
                           : GaussianLinearModel.evenlySpread(dimension: d, signal: r, noise: sigma)
        var dr = d == 0 ? RNG(seed: trial.seed).split("data") : rng.split("data")
        let train = model.sample(n, as: Double.self, rng: &dr)
        let test = model.sample(nTest, as: Double.self, rng: &dr)
        let res = try runLinearRegression(features: p, trainX: train.x, trainY: train.y, testX: test.x, testY: test.y,
                                          trueCoefficients: model.beta, solver: solver(c))
        let risk = res.excessRisk ?? .nan
        let trainErr = res.interpolates ? 0 : res.trainMSE
        let fields: [(String, JSON)] = [
            ("excess_risk", .num(risk)), ("train_mse", .num(res.trainMSE)), ("test_mse", .num(res.testMSE)),
            ("interpolates", .bool(res.interpolates)), ("n_train", .int(n)), ("n_test", .int(nTest)),
            ("dimension", .int(model.dimension)), ("signal_seen", .num(model.signalSeen(firstFeatures: p))),
            ("signal_missed", .num(model.signalMissed(firstFeatures: p))), ("noise_variance", .num(sigma * sigma)),
            ("solve", res.solve.json),
        ]
        let outcome = oneRecord(trainLoss: res.trainMSE, trainAccuracy: .nan, valLoss: res.testMSE ?? .nan, valAccuracy: .nan, seconds: res.solve.seconds)
        var result = TrialResult(trial: trial, outcome: outcome, events: eventRules(c).map { eventTime($0.0, $0.1, outcome) },
                                 parameterCount: res.parameterCount, trainSize: n, validationSize: nTest, metricColumns: [], threads: BLAS.threads)
        result.size = SizeOutcome(size: p, converged: true, criterion: "closed form: one \(res.solve.solver) solve",
                                  testError: risk, trainError: trainErr, fields: fields)
        return result
    }

    /// A dense-input MLP trained by the step loop. Converged means the study's stop event held (e.g.
    /// train_accuracy ≥ 1: train error zero, or train_loss ≤ ε); with stop_after 'never' the criterion
    /// is the budget and every finished run counts as converged.
    static func runDenseMLP<T: Scalar>(_: T.Type, _ trial: Trial, rng: RNG, progress: ((TrainingProgress) -> Void)?,
                                       shouldStop: (() -> Bool)?) throws -> TrialResult {
        let c = trial.config
        let (train, test) = try classificationData(c, rng: rng)
        func split(_ d: ClassificationData, clean: Bool) -> ClassificationSplit<T> {
            ClassificationSplit(features: d.x.data.map { T(Double($0)) }, width: d.features, labels: (clean ? d.cleanLabels : d.labels).map { Int32($0) })
        }
        let data = TrainingData<T>(train: split(train, clean: false), validation: split(test, clean: true), classes: train.classes)
        let depth = c["model.depth"]!.asInt!, width = c["model.width"]!.asInt!
        let mcfg = MLPConfig(input: .dense(features: train.features), hidden: [Int](repeating: width, count: depth),
                             activation: Activation(rawValue: c["model.activation"]!.asString!)!, classes: train.classes,
                             initScale: c["model.init_scale"]!.asDouble!, dropout: c["model.dropout"]?.asDouble ?? 0)
        let (tc, oc, rules) = loopSettings(c)
        let stop = c["training.stop_after"]!.asString!

        let capacity = min(tc.batchSize ?? data.train.count, data.train.count)
        // Initialization and batches are per trial (they depend on the width anyway).
        let trialRNG = RNG(seed: trial.seed)
        let model = MLP<T>(config: mcfg, capacity: capacity, rng: trialRNG.split("init"))
        let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: trialRNG)
        let outcome = trainer.run(progress: progress, shouldStop: shouldStop)
        let events = rules.map { eventTime($0.0, $0.1, outcome) }
        let last = outcome.records.last
        let cleanTrain = trainer.evaluate(split(train, clean: true))
        let noisyTest = trainer.evaluate(split(test, clean: false))
        let stopEvent = events.first { $0.name == stop }
        // The plateau rule: the train loss at the end against the one at 3/4 of the budget.
        let tol = c["training.converge_tolerance"]!.asDouble!
        let lossThen = outcome.records.last { $0.step <= outcome.stepsRun * 3 / 4 }?.trainLoss
        let plateau = tol > 0 && outcome.stepsRun >= tc.maxSteps && lossThen.map { then in
            guard let now = last?.trainLoss, now.isFinite, then.isFinite else { return false }
            return abs(then - now) <= tol * max(now, 1e-12)
        } ?? false
        let converged = stop == "never" ? outcome.status == .done : (stopEvent?.step != nil || plateau)
        let rule = rules.first { $0.0 == stop }?.1
        var criterion = stop == "never" ? "budget: \(tc.maxSteps) steps"
            : "event \(stop): \(rule.map { "\($0.metric.rawValue) " + ($0.atLeast.map { "≥ \($0)" } ?? "") + ($0.atMost.map { "≤ \($0)" } ?? "") } ?? "") within \(tc.maxSteps) steps"
        if tol > 0 && stop != "never" { criterion += ", or a train-loss plateau (change ≤ \(tol) × the loss over the last quarter of the budget)" }
        let fields: [(String, JSON)] = [
            ("train_error_clean", .num(1 - cleanTrain.accuracy)), ("train_loss", .num(last?.trainLoss)), ("test_loss", .num(last?.valLoss)),
            ("converged_at_step", stopEvent?.step.map { .int($0) } ?? .null), ("plateau", .bool(plateau)), ("n_train", .int(train.count)), ("n_test", .int(test.count)),
            ("label_noise_realized", .num(train.corruptedFraction)), ("classes", .int(train.classes)),
            ("test_error_noisy_labels", .num(1 - noisyTest.accuracy)), ("label_noise_test_realized", .num(test.corruptedFraction)),
        ]
        var result = TrialResult(trial: trial, outcome: outcome, events: events, parameterCount: model.parameterCount,
                                 trainSize: data.train.count, validationSize: data.validation.count,
                                 metricColumns: model.store.layout.views.map(\.name), threads: BLAS.threads)
        result.size = SizeOutcome(size: width, converged: converged && outcome.status == .done, criterion: criterion,
                                  testError: 1 - (last?.valAccuracy ?? .nan), trainError: 1 - (last?.trainAccuracy ?? .nan), fields: fields)
        return result
    }
}

// model.family linear: least squares on the first p inputs of the Gaussian linear task, fitted in
// closed form (minimum norm or ridge: model-wise double descent with the exact finite-sample risk
// beside it), or, on the steps axis, by plain full-batch gradient descent from zero (epoch-wise double
// descent where the mechanism is known; see Training/LinearGD.swift). Its size is p.
//
// Gradient descent draws its design x [n, d] with two feature scales and its noise from the trial's
// seed, and records at every evaluation:
//   val_loss        the measured excess risk (β_t − β*)ᵀ D (β_t − β*) of the iterate (exact given β_t;
//                   the test error of this task, against the noise-free target)
//   train_loss      the training mean squared error (noisy targets)
//   expected_risk   the exact expected excess risk of step t over the noise, for this trial's design
import Datasets
import Linalg
import Models
import Training

public enum LinearFamily: ModelFamily {
    static let name = "linear"
    static let summary = "least squares on the first p inputs (task.kind gaussian_linear), in closed form or by gradient descent; exact theory beside it"

    static let keys = [ClosedFormKeys.features, ClosedFormKeys.method]
    static var sizeKey: KeySpec { ClosedFormKeys.features }
    static func fit(_ v: KeyValues) -> Fit { v.string(ClosedFormKeys.method) == "gradient_descent" ? .gradientDescent : .closedForm }

    static func check(_ s: StudyDraft) throws {
        let v = s.keys
        if let task = Registry.task(v.string(TaskKeys.kind)), task.inputs != .regression {
            if task.inputs == .tokens {
                throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "model.family 'linear' is fitted in closed form and needs a tabular or synthetic task, not task.kind '\(task.name)'",
                                 hint: "set task.kind to gaussian_linear, or use model.family: mlp")
            }
            throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "model.family 'linear' is least-squares regression and needs task.kind 'gaussian_linear', not '\(task.name)'",
                             hint: "use model.family: random_features for digits or mnist1d")
        }
        let axis = v.string(StudyKeys.axis), method = v.string(ClosedFormKeys.method)
        if method == "gradient_descent" && axis != "steps" {
            throw StudyError(s.at(ClosedFormKeys.method, or: ModelKeys.family), "solver.method 'gradient_descent' trains over steps; this study has axis '\(axis)'",
                             hint: "set 'axis: steps' (epoch-wise curves), or use solver.method min_norm or ridge for the size axis")
        }
        if method != "gradient_descent" && axis == "steps" {
            throw StudyError(s.locations[StudyKeys.axis.path] ?? s.at(ModelKeys.family), "model.family 'linear' with solver.method '\(method)' is one closed-form solve: it has no curve over steps",
                             hint: "set 'axis: size', or solver.method: gradient_descent for curves over steps")
        }
        if method == "gradient_descent" { try checkGradientDescent(s) } else { try ClosedFormKeys.check(s) }
    }

    /// Plain full-batch gradient descent (the exact expected curve is for that), and two feature groups that fit in the model.
    static func checkGradientDescent(_ s: StudyDraft) throws {
        let v = s.keys
        let why = "the exact expected risk is that of plain full-batch gradient descent"
        if v.string(OptimizerKeys.name) != "sgd" {
            throw StudyError(s.at(OptimizerKeys.name), "gradient descent on the linear model uses optimizer.name 'sgd', not '\(v.string(OptimizerKeys.name))'",
                             hint: "set optimizer: { name: sgd, momentum: 0, weight_decay: 0 } (\(why))")
        }
        for key in [OptimizerKeys.momentum, OptimizerKeys.weightDecay] where v.double(key) != 0 {
            throw StudyError(s.at(key), "\(key.path) is \(v.double(key)); gradient descent on the linear model needs 0", hint: "set \(key.path): 0 (\(why))")
        }
        if v.int(OptimizerKeys.warmupSteps) != 0 {
            throw StudyError(s.at(OptimizerKeys.warmupSteps), "optimizer.warmup_steps must be 0 for gradient descent on the linear model", hint: "remove it (\(why))")
        }
        if v.value(TrainingKeys.batch)?.asString != "full" {
            throw StudyError(s.at(TrainingKeys.batch), "training.batch must be 'full' for gradient descent on the linear model", hint: "remove it (\(why))")
        }
        let k = v.int(GaussianLinearTask.slowFeatures), share = v.double(GaussianLinearTask.slowSignal)
        let sizes = s.values(of: ClosedFormKeys.features).compactMap(\.asInt)
        if let p = sizes.first(where: { $0 < k }) {
            throw StudyError(s.at(GaussianLinearTask.slowFeatures), "task.slow_features \(k) exceeds model.features \(p) (the model's d features, the last k of them slow)",
                             hint: "use task.slow_features ≤ model.features")
        }
        if k == 0 && share > 0 {
            throw StudyError(s.at(GaussianLinearTask.slowSignal), "task.slow_signal \(share) puts signal in the slow features, but task.slow_features is 0", hint: "set task.slow_features, or task.slow_signal: 0")
        }
        if share < 1, let p = sizes.first(where: { $0 == k }) {
            throw StudyError(s.at(GaussianLinearTask.slowSignal), "every one of the \(p) features is slow, so task.slow_signal must be 1, not \(share)", hint: "use task.slow_features < model.features")
        }
    }

    static func validate(_ spec: TrialSpec) throws {
        let task = spec.task as! GaussianLinearTask.Config, p = spec.model.size
        if task.dimension > 0 && p > task.dimension {
            throw DatasetError(key: ClosedFormKeys.features.path, "p = \(p) exceeds task.dimension \(task.dimension): the fit uses the first p of d inputs; HINT: raise task.dimension or set it to 0 (d = p, well-specified)")
        }
    }

    static func decode(_ v: KeyValues) -> any ModelConfiguration {
        Config(features: v.int(ClosedFormKeys.features), gradientDescent: fit(v) == .gradientDescent)
    }

    public struct Config: ModelConfiguration {
        public var family: String { LinearFamily.name }
        /// p, the inputs used (d for gradient descent).
        public let features: Int
        /// Trained by full-batch gradient descent over steps rather than solved.
        public let gradientDescent: Bool
        public var size: Int { features }
    }

    static func run(_ trial: Trial, _ context: TrialContext) throws -> TrialResult {
        trial.spec.fit == .gradientDescent ? try runGradientDescent(trial, context) : try runClosedForm(trial)
    }

    static func runClosedForm(_ trial: Trial) throws -> TrialResult {
        let task = trial.spec.task as! GaussianLinearTask.Config
        let p = trial.spec.model.size, n = task.nTrain
        let nTest = task.nTest == 0 ? 1000 : task.nTest
        let d = task.dimension
        let r = task.signal.squareRoot(), sigma = task.noiseVariance.squareRoot()
        // Well-specified (d = 0): a fresh p-dimensional model per trial, β uniform on the sphere of radius r.
        // Misspecified: one d-dimensional model with evenly spread β, the fit sees the first p inputs.
        var mr = RNG(seed: trial.seed).split("model")
        let model = d == 0 ? GaussianLinearModel.randomDirection(dimension: p, signal: r, noise: sigma, rng: &mr)
                           : GaussianLinearModel.evenlySpread(dimension: d, signal: r, noise: sigma)
        var dr = d == 0 ? RNG(seed: trial.seed).split("data") : RNG(seed: TrialRunner.dataSeed(trial)).split("data")
        let train = model.sample(n, as: Double.self, rng: &dr)
        let test = model.sample(nTest, as: Double.self, rng: &dr)
        let res = try runLinearRegression(features: p, trainX: train.x, trainY: train.y, testX: test.x, testY: test.y,
                                          trueCoefficients: model.beta, solver: trial.spec.solver!.solver)
        let risk = res.excessRisk ?? .nan
        let trainErr = res.interpolates ? 0 : res.trainMSE
        let fields: [(String, JSON)] = [
            ("excess_risk", .num(risk)), ("train_mse", .num(res.trainMSE)), ("test_mse", .num(res.testMSE)),
            ("interpolates", .bool(res.interpolates)), ("n_train", .int(n)), ("n_test", .int(nTest)),
            ("dimension", .int(model.dimension)), ("signal_seen", .num(model.signalSeen(firstFeatures: p))),
            ("signal_missed", .num(model.signalMissed(firstFeatures: p))), ("noise_variance", .num(sigma * sigma)),
            ("solve", res.solve.json),
        ]
        let outcome = TrialRunner.oneRecord(trainLoss: res.trainMSE, trainAccuracy: .nan, valLoss: res.testMSE ?? .nan, valAccuracy: .nan, seconds: res.solve.seconds)
        var result = TrialResult(trial: trial, outcome: outcome, events: TrialRunner.eventTimes(trial, outcome),
                                 parameterCount: res.parameterCount, trainSize: n, validationSize: nTest, metricColumns: [], threads: BLAS.threads)
        result.size = SizeOutcome(size: trial.spec.size ?? p, converged: true, criterion: "closed form: one \(res.solve.solver) solve",
                                  testError: risk, trainError: trainErr, fields: fields)
        return result
    }

    /// The two-scale Gaussian linear model of a trial (d = model.features, the last task.slow_features slow).
    static func twoScaleModel(_ trial: Trial) -> GaussianLinearModel {
        let task = trial.spec.task as! GaussianLinearTask.Config
        return GaussianLinearModel.twoScale(dimension: trial.spec.model.size, slowFeatures: task.slowFeatures, slowScale: task.slowScale,
                                            signal: task.signal, slowShare: task.slowSignal, noise: task.noiseVariance.squareRoot())
    }

    static func runGradientDescent(_ trial: Trial, _ context: TrialContext) throws -> TrialResult {
        let task = trial.spec.task as! GaussianLinearTask.Config
        let model = twoScaleModel(trial)
        let n = task.nTrain
        var dr = RNG(seed: trial.seed).split("data")
        let train = model.sample(n, as: Double.self, rng: &dr)
        let tc = trial.spec.training.loopConfig(events: trial.spec.eventRules), lr = trial.spec.optimizer!.learningRate
        let gd = LinearGradientDescent(x: train.x, y: train.y, learningRate: lr)
        let theory = try GradientDescentRisk(x: train.x, scales: model.scales, beta: model.beta,
                                             noiseVariance: model.noise * model.noise, learningRate: lr)
        let outcome = trainLinearGD(gd, config: tc, testRisk: { model.excessRisk($0) }, probe: { [theory.expected(step: $0)] },
                                    progress: context.progress, shouldStop: context.shouldStop)
        var result = TrialResult(trial: trial, outcome: outcome, events: TrialRunner.eventTimes(trial, outcome), parameterCount: model.dimension,
                                 trainSize: n, validationSize: 0, metricColumns: ["beta"], threads: BLAS.threads)
        result.probeColumns = ["expected_risk"]
        return result
    }
}

// Trials of the linear family on the steps axis (solver.method gradient_descent): epoch-wise double
// descent where the mechanism is known (see Training/LinearGD.swift). Each trial draws its design x [n, d]
// with two feature scales and its noise from the trial's seed, runs full-batch gradient descent from zero,
// and records at every evaluation:
//   val_loss        the measured excess risk (β_t − β*)ᵀ D (β_t − β*) of the iterate (exact given β_t;
//                   the test error of this task, against the noise-free target)
//   train_loss      the training mean squared error (noisy targets)
//   expected_risk   the exact expected excess risk of step t over the noise, for this trial's design
import Datasets
import Foundation
import Linalg
import Models
import Training

extension TrialRunner {
    /// The two-scale Gaussian linear model of a trial (d = model.features, the last task.slow_features slow).
    static func twoScaleModel(_ c: [String: Value]) -> GaussianLinearModel {
        let d = c["model.features"]!.asInt!, k = c["task.slow_features"]!.asInt!
        return GaussianLinearModel.twoScale(dimension: d, slowFeatures: k, slowScale: c["task.slow_scale"]!.asDouble!,
                                            signal: c["task.signal"]!.asDouble!, slowShare: c["task.slow_signal"]!.asDouble!,
                                            noise: c["task.noise_variance"]!.asDouble!.squareRoot())
    }

    static func runLinearGD(_ trial: Trial, progress: ((TrainingProgress) -> Void)?, shouldStop: (() -> Bool)?) throws -> TrialResult {
        let c = trial.config
        let model = twoScaleModel(c)
        let n = c["task.n_train"]!.asInt!
        var dr = RNG(seed: trial.seed).split("data")
        let train = model.sample(n, as: Double.self, rng: &dr)
        let (tc, oc, rules) = loopSettings(c)
        let gd = LinearGradientDescent(x: train.x, y: train.y, learningRate: oc.learningRate)
        let theory = try GradientDescentRisk(x: train.x, scales: model.scales, beta: model.beta,
                                             noiseVariance: model.noise * model.noise, learningRate: oc.learningRate)
        let outcome = trainLinearGD(gd, config: tc, testRisk: { model.excessRisk($0) }, probe: { [theory.expected(step: $0)] },
                                    progress: progress, shouldStop: shouldStop)
        var result = TrialResult(trial: trial, outcome: outcome, events: rules.map { eventTime($0.0, $0.1, outcome) }, parameterCount: model.dimension,
                                 trainSize: n, validationSize: 0, metricColumns: ["beta"], threads: BLAS.threads)
        result.probeColumns = ["expected_risk"]
        return result
    }
}

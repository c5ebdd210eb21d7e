// The record of a size-axis trial: tabular (digits, MNIST-1D) and synthetic (Gaussian linear, teacher)
// tasks, fitted in closed form (random features, linear regression: one solve per trial) or by training
// an MLP on feature vectors to a stated convergence criterion (Registry/Families/*.swift).
//
// Randomness: the data split, the label noise and the random-feature directions come from a seed that
// hashes the trial's configuration WITHOUT its family's size key (`TrialRunner.dataSeed`). So every size
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
    /// One record (step 0) standing for a closed-form fit in curve.csv.
    static func oneRecord(trainLoss: Double, trainAccuracy: Double, valLoss: Double, valAccuracy: Double, seconds: Double) -> TrainingOutcome {
        TrainingOutcome(single: EvalRecord(step: 0, trainLoss: trainLoss, trainAccuracy: trainAccuracy, valLoss: valLoss, valAccuracy: valAccuracy,
                                           weightNorm: .nan, tensorNorms: [], learningRate: .nan), seconds: seconds)
    }
}

// What the classification tasks on feature vectors (digits, MNIST-1D, the teacher network) share:
// their sampled sizes, standardization and label noise, applied in one order for every kind.
import Datasets
import Foundation
import Linalg

/// A classification task on feature vectors: the training and test sets of one seed.
protocol FeatureTask: TaskConfiguration {
    var sample: FeatureSample { get }
    /// The raw training and test sets of one seed, drawn from `split`.
    func load(split: inout RNG) throws -> (train: ClassificationData, test: ClassificationData)
}

/// The sampled part of a feature task's configuration.
public struct FeatureSample: Sendable, Equatable {
    public let nTrain: Int
    /// 0: the kind's default test set.
    public let nTest: Int
    public let labelNoise: Double
    public let standardize: Bool

    static func decode(_ v: KeyValues) -> FeatureSample {
        FeatureSample(nTrain: v.int(TaskKeys.nTrain), nTest: v.int(TaskKeys.nTest), labelNoise: v.double(TaskKeys.labelNoise), standardize: v.bool(TaskKeys.standardize))
    }
}

extension FeatureTask {
    public var trainingExamples: Int? { sample.nTrain }
    public var labelNoise: Double { sample.labelNoise }

    /// The training and test sets: loaded, split, standardized (on the training set), with label noise
    /// on the training labels. The test set's `labels` carry the same noise process (its own draw, once
    /// per seed) for the noisy-label error; its `cleanLabels` are what test error means.
    func classificationData(rng: RNG) throws -> (train: ClassificationData, test: ClassificationData) {
        var split = rng.split("split")
        var (train, test) = try load(split: &split)
        if sample.standardize {
            let s = Standardizer(fitting: train.x)
            train = train.mapFeatures { s.apply($0) }
            test = test.mapFeatures { s.apply($0) }
        }
        var noise = rng.split("label-noise")
        train = train.withLabelNoise(rate: sample.labelNoise, rng: &noise)
        var testNoise = rng.split("label-noise-test")
        test = test.withLabelNoise(rate: sample.labelNoise, rng: &testNoise)
        return (train, test)
    }
}

/// A task read from data files: the folder that holds them (`task.data`, else studies/data or $DESCENT_DATA).
enum DataFolder {
    static let key = KeySpec(path: "task.data", type: .text, defaultValue: .string(""), doc: "a folder holding the data files instead of studies/data (or $DESCENT_DATA); part of the trial's identity")

    static func file(_ name: String, folder: String) throws -> String {
        folder.isEmpty ? try DataFiles.path(name) : (folder as NSString).appendingPathComponent(name)
    }

    /// Runs a loader, naming the folder key in its errors.
    static func loading<R>(kind: String, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as DataError {
            throw DatasetError(key: key.path, "\(e.description); HINT: set task.data to the folder holding the \(kind) files, or \(DataFiles.environmentVariable)")
        }
    }
}

// task.kind digits: the 1797 8x8 handwritten digits (UCI), n_train drawn per seed, the rest (or n_test) for testing.
import Datasets
import Linalg

public enum DigitsTask: TaskKind {
    static let name = "digits"
    static let summary = "8x8 handwritten digits (UCI, 1797 examples): tabular classification"
    static let inputs = TaskInputs.features
    static let examples = 1797
    static let keys = [TaskKeys.nTrain, TaskKeys.nTest, TaskKeys.labelNoise, TaskKeys.standardize, DataFolder.key]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(sample: FeatureSample.decode(v), folder: v.string(DataFolder.key))
    }

    struct Config: FeatureTask {
        var kind: String { DigitsTask.name }
        let sample: FeatureSample
        let folder: String

        public func validate() throws {
            let nTrain = sample.nTrain, nTest = sample.nTest
            if nTrain + nTest > examples || nTrain >= examples {
                throw DatasetError(key: nTrain >= examples ? TaskKeys.nTrain.path : TaskKeys.nTest.path,
                                   "digits has \(examples) examples; n_train \(nTrain) + n_test \(nTest) leaves no test set; HINT: use n_train ≤ 1500 and n_test 0 (the rest)")
            }
        }

        func load(split: inout RNG) throws -> (train: ClassificationData, test: ClassificationData) {
            try DataFolder.loading(kind: DigitsTask.name) {
                try ClassificationData.digits(path: try DataFolder.file("digits.csv.gz", folder: folder))
                    .split(train: sample.nTrain, test: sample.nTest == 0 ? nil : sample.nTest, rng: &split)
            }
        }
    }
}

// task.kind mnist1d: MNIST-1D (Greydanus 2020), 40-sample signals of 10 classes; n_train drawn per seed
// from the 4000 training examples, tested on the 1000 test examples (or n_test of them).
import Datasets
import Linalg

public enum MNIST1DTask: TaskKind {
    static let name = "mnist1d"
    static let summary = "MNIST-1D (Greydanus 2020, 4000 + 1000 signals): tabular classification"
    static let inputs = TaskInputs.features
    static let keys = [TaskKeys.nTrain, TaskKeys.nTest, TaskKeys.labelNoise, TaskKeys.standardize, DataFolder.key]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(sample: FeatureSample.decode(v), folder: v.string(DataFolder.key))
    }

    struct Config: FeatureTask {
        var kind: String { MNIST1DTask.name }
        let sample: FeatureSample
        let folder: String

        public func validate() throws {
            if sample.nTrain > 4000 { throw DatasetError(key: TaskKeys.nTrain.path, "the MNIST-1D training file has 4000 examples, not \(sample.nTrain); HINT: use n_train ≤ 4000") }
            if sample.nTest > 1000 { throw DatasetError(key: TaskKeys.nTest.path, "the MNIST-1D test file has 1000 examples, not \(sample.nTest); HINT: use n_test ≤ 1000 or 0 for all") }
        }

        func load(split: inout RNG) throws -> (train: ClassificationData, test: ClassificationData) {
            try DataFolder.loading(kind: MNIST1DTask.name) {
                let train = try ClassificationData.mnist1d(train: true, path: try DataFolder.file("mnist1d_train.csv.gz", folder: folder)).sample(sample.nTrain, rng: &split)
                let all = try ClassificationData.mnist1d(train: false, path: try DataFolder.file("mnist1d_test.csv.gz", folder: folder))
                return (train, sample.nTest == 0 ? all : try all.sample(sample.nTest, rng: &split))
            }
        }
    }
}

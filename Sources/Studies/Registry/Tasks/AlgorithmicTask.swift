// task.kind algorithmic: every pair (x, y) of an operation table with its result x ∘ y (Power et al.
// 2022), split once per seed into training and validation pairs.
import Datasets
import Linalg
import Training

public enum AlgorithmicTask: TaskKind {
    static let name = "algorithmic"
    static let summary = "every pair (x, y) with x ∘ y (Power et al. 2022)"
    static let inputs = TaskInputs.tokens

    static let operation = KeySpec(path: "task.operation", type: .choice(BinaryOperation.allCases.map(\.rawValue)), defaultValue: .string("x+y"), doc: "the binary operation; x.y, x.y.x^-1, x.y.x act on the permutation group S_n")
    static let modulus = KeySpec(path: "task.modulus", type: .int(min: 2, max: 2048), defaultValue: .int(97), doc: "p for the modular operations (prime for division); the degree n of S_n for permutations")
    static let trainFraction = KeySpec(path: "task.train_fraction", type: .double(min: 0, minOpen: true, max: 1, maxOpen: true), defaultValue: .double(0.5), doc: "share of all pairs used for training; the rest is the validation set")

    static let keys = [operation, modulus, trainFraction]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(operationName: v.string(operation), modulus: v.int(modulus), trainFraction: v.double(trainFraction))
    }

    /// An operation table's configuration.
    public struct Config: TaskConfiguration, TokenTask {
        public var kind: String { AlgorithmicTask.name }
        public let operationName: String
        public let modulus: Int
        public let trainFraction: Double
        public var operation: BinaryOperation? { BinaryOperation(spelling: operationName) }

        /// The table, checked: a known operation, a modulus it accepts, and a split that leaves both sides non-empty.
        public func table() throws -> OperationTable {
            guard let op = operation else { throw DatasetError(key: AlgorithmicTask.operation.path, "unknown operation '\(operationName)'") }
            let table = try OperationTable(operation: op, modulus: modulus)
            let nTrain = Int((trainFraction * Double(table.examples.count)).rounded())
            if nTrain < 1 || nTrain >= table.examples.count {
                throw DatasetError(key: AlgorithmicTask.trainFraction.path, "\(trainFraction) of \(table.examples.count) pairs leaves an empty training or validation set; HINT: use a larger modulus or a fraction nearer 0.5")
            }
            return table
        }

        public func validate() throws { _ = try table() }

        func tokenData<T: Scalar>(_: T.Type, rng: RNG) throws -> TokenData<T> {
            let table = try table()
            let (train, val) = try table.split(trainFraction: trainFraction, rng: rng.split("split"))
            return TokenData(data: TrainingData<T>(train: ClassificationSplit(examples: train), validation: ClassificationSplit(examples: val), classes: table.classes),
                             vocabulary: table.vocabulary, operation: table.operation, modulus: modulus)
        }
    }
}

/// A task whose inputs are pairs of tokens (an operation table).
protocol TokenTask: TaskConfiguration {
    func tokenData<T: Scalar>(_: T.Type, rng: RNG) throws -> TokenData<T>
}

/// Token classification data: the splits, the operand vocabulary, and the operation (for the probes' Fourier basis).
struct TokenData<T: Scalar> {
    let data: TrainingData<T>
    let vocabulary: Int
    let operation: BinaryOperation
    let modulus: Int
}

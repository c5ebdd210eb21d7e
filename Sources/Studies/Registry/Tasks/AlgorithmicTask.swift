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

    static let keys = [operation, modulus, trainFraction, TaskKeys.labelNoise]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(operationName: v.string(operation), modulus: v.int(modulus), trainFraction: v.double(trainFraction),
               labelNoise: v.double(TaskKeys.labelNoise, orWhenAbsent: 0))
    }

    /// Without label noise the key is left out of the trial's encoding (tables had none before it existed).
    static func omitWhenOff(_ c: inout [String: Value]) {
        if c[TaskKeys.kind.path] == .string(name), c[TaskKeys.labelNoise.path]?.asDouble == 0 { c[TaskKeys.labelNoise.path] = nil }
    }

    /// An operation table's configuration.
    public struct Config: TaskConfiguration, TokenTask {
        public var kind: String { AlgorithmicTask.name }
        public let operationName: String
        public let modulus: Int
        public let trainFraction: Double
        /// Share of the training pairs whose result is replaced by a wrong one (exactly round(q·n) of n, fixed per seed).
        public let labelNoise: Double
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
        /// The number of training pairs (nil when the table is not valid).
        public var trainingExamples: Int? {
            (try? table()).map { Int((trainFraction * Double($0.examples.count)).rounded()) }
        }

        /// One seed's pairs: the training pairs (with label noise, when asked), the validation pairs (always clean),
        /// and which training rows were corrupted with their true results. `rng` is the trial's stream.
        public func split(rng: RNG) throws -> TableSplit {
            let table = try table()
            var (train, val) = try table.split(trainFraction: trainFraction, rng: rng.split("split"))
            var rows: [Int] = [], truth: [Int32] = []
            if labelNoise > 0 {
                var noise = rng.split("label-noise")
                let (labels, corrupted) = corruptExactly(train.map { Int($0.label) }, classes: table.classes, fraction: labelNoise, rng: &noise)
                rows = corrupted
                truth = rows.map { train[$0].label }
                train = zip(train, labels).map { Example(x: $0.x, y: $0.y, label: Int32($1)) }
            }
            return TableSplit(train: train, validation: val, corrupted: rows, trueLabels: truth, table: table)
        }

        func tokenData<T: Scalar>(_: T.Type, rng: RNG) throws -> TokenData<T> {
            let s = try split(rng: rng), table = s.table
            let corrupted = s.corrupted.isEmpty ? nil : CorruptedRows<T>(rows: ClassificationSplit(examples: s.corrupted.map { s.train[$0] }), trueLabels: s.trueLabels)
            return TokenData(data: TrainingData<T>(train: ClassificationSplit(examples: s.train), validation: ClassificationSplit(examples: s.validation),
                                                   classes: table.classes, corrupted: corrupted),
                             vocabulary: table.vocabulary, operation: table.operation, modulus: modulus)
        }
    }
}

/// An operation table's pairs for one seed.
public struct TableSplit: Sendable {
    /// The training pairs, with their training labels (wrong at the corrupted rows).
    public let train: [Example]
    /// The validation pairs, always with their true results.
    public let validation: [Example]
    /// The training rows whose label was corrupted (ascending), and their true results in the same order.
    public let corrupted: [Int]
    public let trueLabels: [Int32]
    public let table: OperationTable
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

// Classification data in the layout the models read: tokens [N, L] (Int32) or features [N, F],
// labels [N] (Int32). Copied once into owned buffers so the training loop holds stable pointers.
import Datasets
import Linalg
import Models

public final class ClassificationSplit<T: Scalar> {
    public let count: Int       // N
    public let positions: Int   // L (token inputs), 0 for feature inputs
    public let features: Int    // F (feature inputs), 0 for token inputs
    public let tokens: UnsafeMutablePointer<Int32>   // [N, L]
    public let values: UnsafeMutablePointer<T>      // [N, F]
    public let labels: UnsafeMutablePointer<Int32>   // [N]

    public init(tokens: [Int32], positions: Int, labels: [Int32]) {
        precondition(positions > 0 && tokens.count == labels.count * positions, "token split: \(tokens.count) tokens for \(labels.count) rows of \(positions)")
        count = labels.count; self.positions = positions; features = 0
        self.tokens = .allocate(capacity: max(1, tokens.count)); self.tokens.initialize(from: tokens, count: tokens.count)
        values = .allocate(capacity: 1)
        self.labels = .allocate(capacity: max(1, count)); self.labels.initialize(from: labels, count: count)
    }

    public init(features: [T], width: Int, labels: [Int32]) {
        precondition(width > 0 && features.count == labels.count * width, "feature split: \(features.count) values for \(labels.count) rows of \(width)")
        count = labels.count; positions = 0; self.features = width
        tokens = .allocate(capacity: 1)
        values = .allocate(capacity: max(1, features.count)); values.initialize(from: features, count: features.count)
        self.labels = .allocate(capacity: max(1, count)); self.labels.initialize(from: labels, count: count)
    }

    public convenience init(examples: [Example]) {
        var toks = [Int32](); toks.reserveCapacity(examples.count * 2)
        for e in examples { toks.append(e.x); toks.append(e.y) }
        self.init(tokens: toks, positions: 2, labels: examples.map(\.label))
    }

    deinit { tokens.deallocate(); values.deallocate(); labels.deallocate() }

    public var isTokens: Bool { positions > 0 }

    /// The rows start..<start+n as a model input (no copy).
    public func batch(from start: Int, count n: Int) -> InputBatch<T> {
        isTokens ? InputBatch(count: n, tokens: tokens + start * positions) : InputBatch(count: n, features: values + start * features)
    }
}

public struct TrainingData<T: Scalar> {
    public let train: ClassificationSplit<T>
    public let validation: ClassificationSplit<T>
    public let classes: Int
    /// The training rows whose labels were corrupted (nil without label noise on a fixed set).
    public let corrupted: CorruptedRows<T>?
    public init(train: ClassificationSplit<T>, validation: ClassificationSplit<T>, classes: Int, corrupted: CorruptedRows<T>? = nil) {
        precondition(corrupted.map { $0.rows.count <= train.count } ?? true, "more corrupted rows than training rows")
        self.train = train; self.validation = validation; self.classes = classes; self.corrupted = corrupted
    }
}

/// The corrupted rows of a training split (label noise on an operation table): their inputs with the wrong
/// labels the model is trained on, and the true labels of the same rows. Evaluating them apart tells
/// memorized noise (accuracy against the wrong labels) from the clean rows' accuracy.
public final class CorruptedRows<T: Scalar> {
    /// The corrupted rows with their training (wrong) labels, [k].
    public let rows: ClassificationSplit<T>
    /// Their true labels, [k].
    public let trueLabels: UnsafeMutablePointer<Int32>

    public init(rows: ClassificationSplit<T>, trueLabels: [Int32]) {
        precondition(trueLabels.count == rows.count, "corrupted rows: \(trueLabels.count) true labels for \(rows.count) rows")
        self.rows = rows
        self.trueLabels = .allocate(capacity: max(1, rows.count)); self.trueLabels.initialize(from: trueLabels, count: trueLabels.count)
    }

    deinit { trueLabels.deallocate() }
}

// model.family mlp: a multilayer perceptron. On an operation table it reads the two operands as learned
// embeddings (concatenated) or one-hot codes; on feature vectors (the size axis: digits, MNIST-1D, the
// teacher) it reads the features, and is trained to a stated convergence criterion. Its size is its width.
import Datasets
import Foundation
import Linalg
import Models
import Training

public enum MLPFamily: ModelFamily {
    static let name = "mlp"
    static let summary = "token embeddings, one-hot or feature inputs, \(Activation.allCases.map(\.rawValue).joined(separator: "/")) hidden layers"

    static let input = KeySpec(path: "model.input", type: .choice(["embedding", "onehot"]), defaultValue: .string("embedding"), doc: "learned token embeddings (concatenated) or one-hot codes",
                               when: { $0.tokens })
    static let embedding = KeySpec(path: "model.embedding", type: .int(min: 1, max: 65536), defaultValue: .int(128), doc: "embedding dimension per token",
                                   when: { $0.tokens })
    static let width = KeySpec(path: "model.width", type: .int(min: 1, max: 1 << 20), defaultValue: .int(512), doc: "hidden units per layer")
    static let depth = KeySpec(path: "model.depth", type: .int(min: 1, max: 16), defaultValue: .int(1), doc: "hidden layers")
    static let dropout = KeySpec(path: "model.dropout", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "MLP: probability q of dropping each hidden activation in a training step (inverted dropout, as torch.nn.Dropout)")
    static let convergeTolerance = KeySpec(path: "training.converge_tolerance", type: .double(min: 0, minOpen: false, max: 1, maxOpen: false), defaultValue: .double(0),
                                           doc: "size axis, MLP: a run that misses the stop event still counts as converged when its train loss changed by at most this fraction over the last quarter of the budget (a plateau); 0: only the stop event counts",
                                           when: { !$0.tokens })

    static let keys = [input, embedding, width, depth, dropout, convergeTolerance]
    static var sizeKey: KeySpec { width }
    static func fit(_ v: KeyValues) -> Fit { .optimizer }

    static func check(_ s: StudyDraft) throws {
        if let task = Registry.task(s.keys.string(TaskKeys.kind)), task.inputs == .regression {
            throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "task.kind '\(task.name)' is a regression task; model.family 'mlp' classifies",
                             hint: "use model.family: linear for \(task.name), or a classification task (digits, mnist1d)")
        }
    }

    static func decode(_ v: KeyValues) -> any ModelConfiguration {
        Config(input: v.value(input).map { $0.asString == "onehot" ? .oneHot : .embedding(v.int(embedding)) } ?? .features,
               width: v.int(width), depth: v.int(depth), activation: Activation(rawValue: v.string(NetworkKeys.activation))!,
               initScale: v.double(NetworkKeys.initScale), dropout: v.double(dropout, orWhenAbsent: 0),
               convergeTolerance: v.value(convergeTolerance)?.asDouble ?? 0)
    }

    /// An MLP's configuration.
    public struct Config: ModelConfiguration {
        public enum Input: Sendable, Equatable { case embedding(Int), oneHot, features }
        public var family: String { MLPFamily.name }
        public let input: Input
        public let width: Int
        public let depth: Int
        public let activation: Activation
        public let initScale: Double
        public let dropout: Double
        /// Feature inputs: the train-loss plateau that also counts as converged (0: only the stop event).
        public let convergeTolerance: Double
        public var size: Int { width }
    }

    static func run(_ trial: Trial, _ context: TrialContext) throws -> TrialResult {
        let float64 = trial.spec.training.precision == "float64"
        if let task = trial.spec.task as? any TokenTask {
            return float64 ? try runTokens(Double.self, trial, task, context) : try runTokens(Float.self, trial, task, context)
        }
        let task = trial.spec.task as! any FeatureTask
        return float64 ? try runFeatures(Double.self, trial, task, context) : try runFeatures(Float.self, trial, task, context)
    }

    static func runTokens<T: Scalar>(_: T.Type, _ trial: Trial, _ task: any TokenTask, _ context: TrialContext) throws -> TrialResult {
        let m = trial.spec.model as! Config
        let rng = RNG(seed: trial.seed)
        let tokens = try TrialRunner.tokenData(T.self, task, trial)
        let capacity = min(trial.spec.training.batchSize ?? tokens.data.train.count, tokens.data.train.count)
        let input: MLPInput = m.input == .oneHot ? .oneHot : .embedding(dimension: { if case .embedding(let d) = m.input { return d }; return 0 }())
        let config = MLPConfig(input: input, vocabulary: tokens.vocabulary, positions: 2, hidden: [Int](repeating: m.width, count: m.depth),
                               activation: m.activation, classes: tokens.data.classes, initScale: m.initScale, dropout: m.dropout)
        let model = MLP<T>(config: config, capacity: capacity, rng: rng.split("init"))
        return TrialRunner.trainModel(model, trial, tokens, rng, context)
    }

    /// Feature inputs, trained by the step loop. Converged means the study's stop event held (e.g.
    /// train_accuracy ≥ 1: train error zero, or train_loss ≤ ε); with stop_after 'never' the criterion
    /// is the budget and every finished run counts as converged.
    static func runFeatures<T: Scalar>(_: T.Type, _ trial: Trial, _ task: any FeatureTask, _ context: TrialContext) throws -> TrialResult {
        let m = trial.spec.model as! Config, training = trial.spec.training
        let (train, test) = try TrialRunner.featureData(trial, task)
        func split(_ d: ClassificationData, clean: Bool) -> ClassificationSplit<T> {
            ClassificationSplit(features: d.x.data.map { T(Double($0)) }, width: d.features, labels: (clean ? d.cleanLabels : d.labels).map { Int32($0) })
        }
        let data = TrainingData<T>(train: split(train, clean: false), validation: split(test, clean: true), classes: train.classes)
        let mcfg = MLPConfig(input: .dense(features: train.features), hidden: [Int](repeating: m.width, count: m.depth),
                             activation: m.activation, classes: train.classes, initScale: m.initScale, dropout: m.dropout)
        let rules = trial.spec.eventRules
        let tc = training.loopConfig(events: rules)

        let capacity = min(tc.batchSize ?? data.train.count, data.train.count)
        // Initialization and batches are per trial (they depend on the width anyway).
        let trialRNG = RNG(seed: trial.seed)
        let model = MLP<T>(config: mcfg, capacity: capacity, rng: trialRNG.split("init"))
        let trainer = Trainer(model: model, optimizer: trial.spec.optimizer!, config: tc, data: data, rng: trialRNG)
        let outcome = trainer.run(progress: context.progress, shouldStop: context.shouldStop)
        let events = TrialRunner.eventTimes(trial, outcome)
        let cleanTrain = trainer.evaluate(split(train, clean: true))
        let noisyTest = trainer.evaluate(split(test, clean: false))
        let fields: [(String, JSON)] = [
            ("train_error_clean", .num(1 - cleanTrain.accuracy)), ("n_train", .int(train.count)), ("n_test", .int(test.count)),
            ("label_noise_realized", .num(train.corruptedFraction)), ("classes", .int(train.classes)),
            ("test_error_noisy_labels", .num(1 - noisyTest.accuracy)), ("label_noise_test_realized", .num(test.corruptedFraction)),
        ]
        var result = TrialResult(trial: trial, outcome: outcome, events: events, parameterCount: model.parameterCount,
                                 trainSize: data.train.count, validationSize: data.validation.count,
                                 metricColumns: model.store.layout.views.map(\.name), threads: BLAS.threads)
        result.size = TrialRunner.sizeOutcome(trial, outcome, events, tolerance: m.convergeTolerance, fields: fields)
        return result
    }
}

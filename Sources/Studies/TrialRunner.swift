// Runs one trial from its resolved configuration: data set, model, trainer; then the event steps.
import Datasets
import Foundation
import Linalg
import Models
import Training

/// When an event first held: the first evaluation step at which it held, and the evaluation before it
/// (the event happened in (previous, step]); nil when the budget ran out first (right-censored).
public struct EventTime: Sendable, Equatable {
    public let name: String
    public let step: Int?
    public let previousEvalStep: Int?
    public let censoredAt: Int?       // the last step trained, when not reached
}

public struct TrialResult: Sendable {
    public let trial: Trial
    public let outcome: TrainingOutcome
    public let events: [EventTime]
    public let parameterCount: Int
    public let trainSize: Int
    public let validationSize: Int
    public let metricColumns: [String]   // per-tensor norm names
    public let threads: Int
    /// Size-axis trials: errors, convergence and the solve record (summary.json "size").
    public var size: SizeOutcome? = nil
}

public enum TrialRunner {
    /// Builds everything a trial needs, checking the configuration (data-set errors name the key).
    public static func validate(_ trial: Trial) throws {
        if isSizeTask(trial.config) { return try validateSize(trial.config) }
        _ = try makeTable(trial.config)
    }

    static func makeTable(_ c: [String: Value]) throws -> OperationTable {
        let opText = c["task.operation"]!.asString!
        guard let op = BinaryOperation(spelling: opText) else {
            throw DatasetError(key: "task.operation", "unknown operation '\(opText)'")
        }
        let table = try OperationTable(operation: op, modulus: c["task.modulus"]!.asInt!)
        let frac = c["task.train_fraction"]!.asDouble!
        let nTrain = Int((frac * Double(table.examples.count)).rounded())
        if nTrain < 1 || nTrain >= table.examples.count {
            throw DatasetError(key: "task.train_fraction", "\(frac) of \(table.examples.count) pairs leaves an empty training or validation set; HINT: use a larger modulus or a fraction nearer 0.5")
        }
        return table
    }

    public static func run(_ trial: Trial, progress: ((TrainingProgress) -> Void)? = nil, shouldStop: (() -> Bool)? = nil) throws -> TrialResult {
        if isSizeTask(trial.config) { return try runSize(trial, progress: progress, shouldStop: shouldStop) }
        if trial.config["training.precision"]!.asString == "float64" {
            return try run(Double.self, trial, progress: progress, shouldStop: shouldStop)
        }
        return try run(Float.self, trial, progress: progress, shouldStop: shouldStop)
    }

    static func run<T: Scalar>(_: T.Type, _ trial: Trial, progress: ((TrainingProgress) -> Void)?, shouldStop: (() -> Bool)?) throws -> TrialResult {
        let c = trial.config
        let rng = RNG(seed: trial.seed)
        let table = try makeTable(c)
        let (train, val) = try table.split(trainFraction: c["task.train_fraction"]!.asDouble!, rng: rng.split("split"))
        let data = TrainingData<T>(train: ClassificationSplit(examples: train), validation: ClassificationSplit(examples: val), classes: table.classes)

        let input: MLPInput = c["model.input"]!.asString == "onehot" ? .oneHot : .embedding(dimension: c["model.embedding"]!.asInt!)
        let depth = c["model.depth"]!.asInt!, width = c["model.width"]!.asInt!
        let mcfg = MLPConfig(input: input, vocabulary: table.vocabulary, positions: 2, hidden: [Int](repeating: width, count: depth),
                             activation: Activation(rawValue: c["model.activation"]!.asString!)!, classes: table.classes,
                             initScale: c["model.init_scale"]!.asDouble!)

        var tc = TrainingConfig()
        tc.maxSteps = c["training.max_steps"]!.asInt!
        if let b = c["training.batch"]!.asInt { tc.batchSize = b }
        tc.loss = LossKind(rawValue: c["training.loss"]!.asString!)!
        tc.schedule = EvalScheduleKind(rawValue: c["training.eval.schedule"]!.asString!)!
        tc.evalPoints = c["training.eval.points"]!.asInt!
        let rules = eventRules(c)
        let stop = c["training.stop_after"]!.asString!
        if stop != "never" { tc.stopEvent = rules.first { $0.0 == stop }?.1 }
        tc.patience = c["training.patience"]!.asInt!

        var oc = OptimizerConfig()
        oc.kind = OptimizerKind(rawValue: c["optimizer.name"]!.asString!)!
        oc.learningRate = c["optimizer.lr"]!.asDouble!
        oc.weightDecay = c["optimizer.weight_decay"]!.asDouble!
        let betas = c["optimizer.betas"]!.asList!.map { $0.asDouble! }
        oc.beta1 = betas[0]; oc.beta2 = betas[1]
        oc.epsilon = c["optimizer.eps"]!.asDouble!
        oc.momentum = c["optimizer.momentum"]!.asDouble!
        oc.warmupSteps = c["optimizer.warmup_steps"]!.asInt!

        let capacity = min(tc.batchSize ?? data.train.count, data.train.count)
        let model = MLP<T>(config: mcfg, capacity: capacity, rng: rng.split("init"))
        let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: rng)
        let outcome = trainer.run(progress: progress, shouldStop: shouldStop)
        let events = rules.map { eventTime($0.0, $0.1, outcome) }
        return TrialResult(trial: trial, outcome: outcome, events: events, parameterCount: model.parameterCount,
                           trainSize: data.train.count, validationSize: data.validation.count,
                           metricColumns: model.store.layout.views.map(\.name), threads: BLAS.threads)
    }

    /// The study's events as read back from a trial configuration, in a stable order.
    public static func eventRules(_ c: [String: Value]) -> [(String, EventRule)] {
        let names = Set(c.keys.filter { $0.hasPrefix("events.") }.map { $0.split(separator: ".")[1] })
        return names.sorted().map { n in
            (String(n), EventRule(metric: Metric(rawValue: c["events.\(n).metric"]!.asString!)!,
                                  atLeast: c["events.\(n).at_least"]?.asDouble, atMost: c["events.\(n).at_most"]?.asDouble))
        }
    }

    static func eventTime(_ name: String, _ rule: EventRule, _ o: TrainingOutcome) -> EventTime {
        for (i, r) in o.records.enumerated() where rule.holds(r) {
            return EventTime(name: name, step: r.step, previousEvalStep: i > 0 ? o.records[i - 1].step : nil, censoredAt: nil)
        }
        return EventTime(name: name, step: nil, previousEvalStep: nil, censoredAt: o.stepsRun)
    }
}

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
    /// Names of the probe columns in the curve (empty without probes), and the snapshots at events.
    public var probeColumns: [String] = []
    public var probeSnapshots: JSON? = nil
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

    /// Where and how often a trial checkpoints: `<directory>/<trial id>.ckpt` every `every` steps.
    public struct Checkpointing: Sendable {
        public let directory: URL
        public let every: Int
        public init(directory: URL, every: Int) { self.directory = directory; self.every = every }
        public func file(_ id: String) -> URL { directory.appendingPathComponent(id + ".ckpt") }
        /// The probe snapshots taken up to the checkpoint (trials with probes).
        public func probesFile(_ id: String) -> URL { directory.appendingPathComponent(id + ".ckpt.probes.json") }
    }

    public static func run(_ trial: Trial, checkpointing: Checkpointing? = nil, progress: ((TrainingProgress) -> Void)? = nil,
                           shouldStop: (() -> Bool)? = nil) throws -> TrialResult {
        if isSizeTask(trial.config) { return try runSize(trial, progress: progress, shouldStop: shouldStop) }
        if trial.config["training.precision"]!.asString == "float64" {
            return try run(Double.self, trial, checkpointing, progress: progress, shouldStop: shouldStop)
        }
        return try run(Float.self, trial, checkpointing, progress: progress, shouldStop: shouldStop)
    }

    static func run<T: Scalar>(_: T.Type, _ trial: Trial, _ checkpointing: Checkpointing?, progress: ((TrainingProgress) -> Void)?,
                               shouldStop: (() -> Bool)?) throws -> TrialResult {
        let c = trial.config
        let rng = RNG(seed: trial.seed)
        let table = try makeTable(c)
        let (train, val) = try table.split(trainFraction: c["task.train_fraction"]!.asDouble!, rng: rng.split("split"))
        let data = TrainingData<T>(train: ClassificationSplit(examples: train), validation: ClassificationSplit(examples: val), classes: table.classes)

        let (tc, oc, rules) = loopSettings(c)

        let capacity = min(tc.batchSize ?? data.train.count, data.train.count)
        let activation = Activation(rawValue: c["model.activation"]!.asString!)!
        if c["model.family"]!.asString == "transformer" {
            let heads = c["model.heads"]!.asInt!, dModel = c["model.d_model"]!.asInt!, dHead = c["model.d_head"]!.asInt!
            let cfg = TransformerConfig(operands: table.vocabulary, classes: table.classes, opToken: c["model.op_token"]!.asBool!,
                                        layers: c["model.layers"]!.asInt!, dModel: dModel, heads: heads, dHead: dHead == 0 ? dModel / heads : dHead,
                                        dMLP: c["model.d_mlp"]!.asInt!, activation: activation,
                                        layerNorm: LayerNormPlacement(rawValue: c["model.layer_norm"]!.asString!)!,
                                        positions: PositionKind(rawValue: c["model.positions"]!.asString!)!, initScale: c["model.init_scale"]!.asDouble!)
            let model = Transformer<T>(config: cfg, capacity: capacity, rng: rng.split("init"))
            return trainModel(model, trial, data, oc, tc, rules, rng, checkpointing, progress, shouldStop)
        }
        let input: MLPInput = c["model.input"]!.asString == "onehot" ? .oneHot : .embedding(dimension: c["model.embedding"]!.asInt!)
        let depth = c["model.depth"]!.asInt!, width = c["model.width"]!.asInt!
        let mcfg = MLPConfig(input: input, vocabulary: table.vocabulary, positions: 2, hidden: [Int](repeating: width, count: depth),
                             activation: activation, classes: table.classes, initScale: c["model.init_scale"]!.asDouble!,
                             dropout: c["model.dropout"]?.asDouble ?? 0)
        let model = MLP<T>(config: mcfg, capacity: capacity, rng: rng.split("init"))
        return trainModel(model, trial, data, oc, tc, rules, rng, checkpointing, progress, shouldStop)
    }

    /// Trains one model on the trial's data, resuming from and writing checkpoints, and reads off the events.
    static func trainModel<M: Classifier & OperandEmbedding>(_ model: M, _ trial: Trial, _ data: TrainingData<M.T>, _ oc: OptimizerConfig, _ tc0: TrainingConfig,
                                     _ rules: [(String, EventRule)], _ rng: RNG, _ checkpointing: Checkpointing?,
                                     _ progress: ((TrainingProgress) -> Void)?, _ shouldStop: (() -> Bool)?) -> TrialResult {
        var tc = tc0
        let operation = trial.config["task.operation"]?.asString.flatMap(BinaryOperation.init(spelling:))
        let probes = trial.config["training.probes"] == .bool(true)
            ? Probes<M>(model: model, rules: rules, rng: rng.split("probes"), operation: operation, modulus: trial.config["task.modulus"]?.asInt ?? 0) : nil
        if let probes { tc.probe = { probes.measure($0) } }
        let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: rng)
        probes?.trainer = trainer
        var resume: Trainer<M>.State? = nil
        if let ck = checkpointing, let state = CheckpointFile.load(ck.file(trial.id), trialID: trial.id, as: M.self),
           state.parameters.count == model.store.count, state.order.count == data.train.count, state.step <= tc.maxSteps {
            resume = state
        }
        // Events (and initialization) already behind a resumed run keep the snapshots they had, or none:
        // they must not be snapshotted again, under their names, at a later step.
        if let probes, let resume, let ck = checkpointing {
            if let data = try? Data(contentsOf: ck.probesFile(trial.id)) { probes.restore(sidecar: data, upTo: resume.step) }
            let behind = ["init"] + rules.filter { r in resume.records.contains(where: r.1.holds) }.map(\.0)
            probes.lost = behind.filter { !probes.seen.contains($0) }
            probes.seen.formUnion(behind)
        }
        let outcome = trainer.run(progress: progress, shouldStop: shouldStop, resume: resume, checkpointEvery: checkpointing?.every ?? 0,
                                  checkpoint: checkpointing.map { ck in { state in
                                      CheckpointFile.save(state, trialID: trial.id, sidecar: probes.map { p in { p.sidecar().render(indent: nil) } }, to: ck)
                                  } })
        let events = rules.map { eventTime($0.0, $0.1, outcome) }
        var result = TrialResult(trial: trial, outcome: outcome, events: events, parameterCount: model.store.count,
                                 trainSize: data.train.count, validationSize: data.validation.count,
                                 metricColumns: model.store.layout.views.map(\.name), threads: BLAS.threads)
        if let probes {
            probes.snapshot("final", step: outcome.stepsRun)
            result.probeColumns = Probes<M>.columns
            result.probeSnapshots = probes.json(resumedAt: resume?.step)
        }
        return result
    }

    /// The training loop's settings, the optimizer's and the study's events, as a trial's configuration gives them.
    static func loopSettings(_ c: [String: Value]) -> (TrainingConfig, OptimizerConfig, [(String, EventRule)]) {
        var tc = TrainingConfig()
        tc.maxSteps = c["training.max_steps"]!.asInt!
        if let b = c["training.batch"]!.asInt { tc.batchSize = b }
        tc.loss = c["training.loss"].flatMap { LossKind(rawValue: $0.asString!) } ?? .mse   // absent: the linear family's squared error
        tc.schedule = EvalScheduleKind(rawValue: c["training.eval.schedule"]!.asString!)!
        tc.evalPoints = c["training.eval.points"]!.asInt!
        let rules = eventRules(c)
        let stop = c["training.stop_after"]!.asString!
        if stop != "never" { tc.stopEvent = rules.first { $0.0 == stop }?.1 }
        tc.patience = c["training.patience"]!.asInt!
        tc.gradientNoise = c["training.gradient_noise"]?.asDouble ?? 0

        var oc = OptimizerConfig()
        oc.kind = OptimizerKind(rawValue: c["optimizer.name"]!.asString!)!
        oc.learningRate = c["optimizer.lr"]!.asDouble!
        oc.weightDecay = c["optimizer.weight_decay"]!.asDouble!
        let betas = c["optimizer.betas"]!.asList!.map { $0.asDouble! }
        oc.beta1 = betas[0]; oc.beta2 = betas[1]
        oc.epsilon = c["optimizer.eps"]!.asDouble!
        oc.momentum = c["optimizer.momentum"]!.asDouble!
        oc.warmupSteps = c["optimizer.warmup_steps"]!.asInt!
        return (tc, oc, rules)
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

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
    /// The wall-clock seconds this run spent in the probes (columns and snapshots), part of the trial's time.
    public var probeSeconds: Double? = nil
    /// Size-axis trials: errors, convergence and the solve record (summary.json "size").
    public var size: SizeOutcome? = nil
    /// The step of the checkpoint the trial resumed from (nil: it ran from step 0).
    public var resumedAt: Int? = nil
    /// Training rows whose label was corrupted (label noise on an operation table; nil without).
    public var corruptedRows: Int? = nil
}

/// What a family's `run` is handed besides the trial: where to checkpoint, whom to tell, when to stop.
struct TrialContext {
    let checkpointing: TrialRunner.Checkpointing?
    let progress: ((TrainingProgress) -> Void)?
    let shouldStop: (() -> Bool)?
}

public enum TrialRunner {
    /// Checks what can be checked without loading data or training (data-set errors name the key).
    public static func validate(_ trial: Trial) throws {
        try trial.spec.task.validate()
        try trial.spec.family.validate(trial.spec)
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

    /// Trains or fits one trial with its family.
    public static func run(_ trial: Trial, checkpointing: Checkpointing? = nil, progress: ((TrainingProgress) -> Void)? = nil,
                           shouldStop: (() -> Bool)? = nil) throws -> TrialResult {
        try validate(trial)
        return try trial.spec.family.run(trial, TrialContext(checkpointing: checkpointing, progress: progress, shouldStop: shouldStop))
    }

    /// The seed shared by every size of one seed and configuration: the trial's encoding without its
    /// size key. So every size of one seed sees the same training set, the same corrupted labels and
    /// nested feature maps: the size sweep changes one thing at a time. Sample-wise (`size_by: samples`),
    /// every n of one seed draws from the same stream, so the smaller training sets are the first rows
    /// of the larger ones.
    public static func dataSeed(_ t: Trial) -> UInt64 {
        var c = t.config
        c[t.spec.sizeKey ?? t.spec.family.sizeKey.path] = nil
        return stableHash("size-axis|" + nestedJSON(c).render(indent: nil))
    }

    /// A feature task's training and test sets for a size-axis trial, from `dataSeed` (nil for a task of
    /// another kind): loaded or drawn, standardized, with label noise.
    public static func featureData(_ trial: Trial) throws -> (train: ClassificationData, test: ClassificationData)? {
        guard let task = trial.spec.task as? any FeatureTask else { return nil }
        return try featureData(trial, task)
    }

    /// The same for a trial whose task the caller has already taken as a feature task (the families that train
    /// or fit on feature vectors read their data here).
    static func featureData(_ trial: Trial, _ task: any FeatureTask) throws -> (train: ClassificationData, test: ClassificationData) {
        try task.classificationData(rng: RNG(seed: dataSeed(trial)))
    }

    /// A token task's data for a trial: on the size axis every size of one seed sees the same split and the same
    /// corrupted pairs (`dataSeed`); otherwise the trial's own stream.
    static func tokenData<T: Scalar>(_: T.Type, _ task: any TokenTask, _ trial: Trial) throws -> TokenData<T> {
        try task.tokenData(T.self, rng: trial.spec.sizeAxis ? RNG(seed: dataSeed(trial)) : RNG(seed: trial.seed))
    }

    /// A size-axis trial's outcome: converged when the study's stop event held (or, with a tolerance, the training
    /// loss reached a plateau over the last quarter of the budget; with stop_after 'never', when the budget was run),
    /// its errors at the end, and `fields` (the first, then the losses and the convergence record, then the rest).
    static func sizeOutcome(_ trial: Trial, _ outcome: TrainingOutcome, _ events: [EventTime], tolerance tol: Double, fields: [(String, JSON)]) -> SizeOutcome {
        let rules = trial.spec.eventRules
        let tc = trial.spec.training.loopConfig(events: rules), stop = trial.spec.training.stopAfter
        let last = outcome.records.last
        let stopEvent = events.first { $0.name == stop }
        // The plateau rule: the train loss at the end against the one at 3/4 of the budget.
        let lossThen = outcome.records.last { $0.step <= outcome.stepsRun * 3 / 4 }?.trainLoss
        let plateau = tol > 0 && outcome.stepsRun >= tc.maxSteps && lossThen.map { then in
            guard let now = last?.trainLoss, now.isFinite, then.isFinite else { return false }
            return abs(then - now) <= tol * max(now, 1e-12)
        } ?? false
        let converged = stop == "never" ? outcome.status == .done : (stopEvent?.step != nil || plateau)
        let rule = rules.first { $0.0 == stop }?.1
        var criterion = stop == "never" ? "budget: \(tc.maxSteps) steps"
            : "event \(stop): \(rule.map { "\($0.metric.rawValue) " + ($0.atLeast.map { "≥ \($0)" } ?? "") + ($0.atMost.map { "≤ \($0)" } ?? "") } ?? "") within \(tc.maxSteps) steps"
        if tol > 0 && stop != "never" { criterion += ", or a train-loss plateau (change ≤ \(tol) × the loss over the last quarter of the budget)" }
        let record: [(String, JSON)] = [("train_loss", .num(last?.trainLoss)), ("test_loss", .num(last?.valLoss)),
                                        ("converged_at_step", stopEvent?.step.map { .int($0) } ?? .null), ("plateau", .bool(plateau))]
        return SizeOutcome(size: trial.spec.size ?? trial.spec.model.size, converged: converged && outcome.status == .done, criterion: criterion,
                           testError: 1 - (last?.valAccuracy ?? .nan), trainError: 1 - (last?.trainAccuracy ?? .nan), fields: fields.prefix(1) + record + fields.dropFirst())
    }

    /// Trains one model on the trial's data, resuming from and writing checkpoints, and reads off the events.
    static func trainModel<M: Classifier & OperandEmbedding>(_ model: M, _ trial: Trial, _ tokens: TokenData<M.T>, _ rng: RNG, _ context: TrialContext) -> TrialResult {
        let data = tokens.data, rules = trial.spec.eventRules, checkpointing = context.checkpointing
        let oc = trial.spec.optimizer!
        var tc = trial.spec.training.loopConfig(events: rules)
        let probes = trial.spec.training.probing
            ? ProbeRecorder<M>(model: model, probes: trial.spec.training.probes, rules: rules, rng: rng.split("probes"), operation: tokens.operation, modulus: tokens.modulus) : nil
        if let probes { tc.probe = { probes.measure($0) } }
        let trainer = Trainer(model: model, optimizer: oc, config: tc, data: data, rng: rng)
        probes?.trainer = trainer
        var resume: Trainer<M>.State? = nil
        if let ck = checkpointing, let state = CheckpointFile.load(ck.file(trial.id), trialID: trial.id, as: M.self),
           state.parameters.count == model.store.count, state.order.count == data.train.count, state.step <= tc.maxSteps, trainer.accepts(state) {
            resume = state
        }
        // Events (and initialization) already behind a resumed run keep the snapshots they had, or none:
        // they must not be snapshotted again, under their names, at a later step.
        if let probes, let resume { probes.replay(resume.records) }
        if let probes, let resume, let ck = checkpointing {
            if let data = try? Data(contentsOf: ck.probesFile(trial.id)) { probes.restore(sidecar: data, upTo: resume.step) }
            // Initialization is behind unless the run was stopped during its first evaluation's probes (then
            // the checkpoint holds no record, and that evaluation, with its snapshot, is taken again).
            let behind = (resume.records.isEmpty ? [] : ["init"]) + rules.filter { $0.1.first(in: resume.records) != nil }.map(\.0)
            probes.lost = behind.filter { !probes.seen.contains($0) }
            probes.seen.formUnion(behind)
        }
        let outcome = trainer.run(progress: context.progress, shouldStop: context.shouldStop, resume: resume, checkpointEvery: checkpointing?.every ?? 0,
                                  checkpoint: checkpointing.map { ck in { state in
                                      CheckpointFile.save(state, trialID: trial.id, sidecar: probes.map { p in { p.sidecar().render(indent: nil) } }, to: ck)
                                  } })
        let events = rules.map { eventTime($0.0, $0.1, outcome) }
        var result = TrialResult(trial: trial, outcome: outcome, events: events, parameterCount: model.store.count,
                                 trainSize: data.train.count, validationSize: data.validation.count,
                                 metricColumns: model.store.layout.views.map(\.name), threads: BLAS.threads)
        result.resumedAt = resume?.step
        result.corruptedRows = data.corrupted?.rows.count
        if trial.spec.sizeAxis {
            // The training pairs against their true results: the clean pairs' accuracy and the corrupted pairs' true-result accuracy.
            let last = outcome.records.last
            let k = Double(data.corrupted?.rows.count ?? 0), n = Double(data.train.count)
            let trueTrain = last.map { r in r.noise.map { ($0.clean * (n - k) + $0.corruptedTrue * k) / n } ?? r.trainAccuracy }
            result.size = sizeOutcome(trial, outcome, events, tolerance: 0, fields: [
                ("train_error_clean", .num(trueTrain.map { 1 - $0 })), ("n_train", .int(data.train.count)), ("n_test", .int(data.validation.count)),
                ("label_noise_realized", .num(k / n)), ("classes", .int(data.classes)), ("corrupted_memorized", .num(last?.noise?.corrupted)),
            ])
        }
        if let probes {
            // An interrupted trial is not finished: its end is not a snapshot (and would not stop for the signal).
            if outcome.status != .interrupted { probes.snapshot("final", step: outcome.stepsRun) }
            result.probeColumns = probes.columns
            result.probeSnapshots = probes.json(resumedAt: resume?.step)
            result.probeSeconds = probes.seconds
        }
        return result
    }

    /// When each of the trial's events first held in a run.
    static func eventTimes(_ trial: Trial, _ o: TrainingOutcome) -> [EventTime] {
        trial.spec.events.map { eventTime($0.name, $0.rule, o) }
    }

    static func eventTime(_ name: String, _ rule: EventRule, _ o: TrainingOutcome) -> EventTime {
        if let i = rule.first(in: o.records) {
            return EventTime(name: name, step: o.records[i].step, previousEvalStep: i > 0 ? o.records[i - 1].step : nil, censoredAt: nil)
        }
        return EventTime(name: name, step: nil, previousEvalStep: nil, censoredAt: o.stepsRun)
    }
}

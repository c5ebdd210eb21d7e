// The training loop, top to bottom: draw a batch, forward, loss, backward, update; evaluate on the
// schedule; stop at the budget, after the stop event plus its patience, on divergence, or when asked.
import Foundation
import Linalg
import Models

public enum Metric: String, CaseIterable, Sendable, Codable {
    case trainLoss = "train_loss", trainAccuracy = "train_accuracy"
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    /// With label noise on an operation table: the corrupted training rows predicted as their wrong label
    /// (memorized noise), the same rows predicted as their true result, and the clean training rows' accuracy.
    case trainAccuracyCorrupted = "train_accuracy_corrupted", trainAccuracyCorruptedTrue = "train_accuracy_corrupted_true"
    case trainAccuracyClean = "train_accuracy_clean"

    /// Whether the metric exists only with label noise on an operation table.
    public var needsCorruptedRows: Bool { self == .trainAccuracyCorrupted || self == .trainAccuracyCorruptedTrue || self == .trainAccuracyClean }
}

/// The training accuracy split by label noise (EvalRecord.noise).
public struct NoiseAccuracy: Sendable, Equatable {
    /// The share of the corrupted training rows predicted as their (wrong) training label: memorized noise.
    public var corrupted: Double
    /// The share of the corrupted training rows predicted as their true result.
    public var corruptedTrue: Double
    /// The share of the clean training rows predicted correctly.
    public var clean: Double
    public init(corrupted: Double, corruptedTrue: Double, clean: Double) { self.corrupted = corrupted; self.corruptedTrue = corruptedTrue; self.clean = clean }
    /// The curve.csv columns, in the order of `values`.
    public static let columns = [Metric.trainAccuracyCorrupted, .trainAccuracyCorruptedTrue, .trainAccuracyClean].map(\.rawValue)
    public var values: [Double] { [corrupted, corruptedTrue, clean] }
    public init(values v: [Double]) { self.init(corrupted: v[0], corruptedTrue: v[1], clean: v[2]) }
}

/// A threshold event on a metric: the first evaluation at which the metric is ≥ atLeast
/// (or ≤ atMost, for losses and errors), at or after the first evaluation at which `after` held (when given:
/// "the noise is forgotten" is corrupted-row accuracy falling back below a threshold after memorization).
public struct EventRule: Sendable, Equatable, Codable {
    public var metric: Metric
    public var atLeast: Double?
    public var atMost: Double?
    /// Another event's condition that must have held first (at this evaluation or an earlier one).
    public var after: Condition?
    public init(metric: Metric, atLeast: Double? = nil, atMost: Double? = nil, after: Condition? = nil) {
        self.metric = metric; self.atLeast = atLeast; self.atMost = atMost; self.after = after
    }
    /// Whether the event reads the corrupted or clean training rows (in its rule or its `after`), which only
    /// label noise on an operation table gives.
    public var needsCorruptedRows: Bool { metric.needsCorruptedRows || after?.metric.needsCorruptedRows == true }
    /// The threshold alone (whether `after` held before is the caller's: EventWatch).
    public func holds(_ r: EvalRecord) -> Bool { condition.holds(r) }
    public var condition: Condition { Condition(metric: metric, atLeast: atLeast, atMost: atMost) }

    /// A threshold on a metric.
    public struct Condition: Sendable, Equatable, Codable {
        public var metric: Metric
        public var atLeast: Double?
        public var atMost: Double?
        public init(metric: Metric, atLeast: Double? = nil, atMost: Double? = nil) { self.metric = metric; self.atLeast = atLeast; self.atMost = atMost }
        public func holds(_ r: EvalRecord) -> Bool {
            let v = r.value(metric)
            if let a = atLeast, !(v >= a) { return false }
            if let b = atMost, !(v <= b) { return false }
            return true
        }
    }

    /// The index of the first record at which the event happened (nil: not in these records).
    public func first(in records: [EvalRecord]) -> Int? {
        var w = EventWatch(self)
        return records.firstIndex { w.see($0) }
    }
}

/// Follows one event through a run's evaluations in order: whether it has happened yet.
public struct EventWatch: Sendable {
    public let rule: EventRule
    var armed: Bool
    public private(set) var happened = false
    /// A watch that has seen `records` (a resumed run's curve so far).
    public init(_ rule: EventRule, replaying records: [EvalRecord] = []) {
        self.rule = rule; armed = rule.after == nil
        for r in records { _ = see(r) }
    }
    /// Whether the event first happens at this evaluation.
    public mutating func see(_ r: EvalRecord) -> Bool {
        guard !happened else { return false }
        if !armed, let a = rule.after, a.holds(r) { armed = true }
        if armed && rule.holds(r) { happened = true }
        return happened
    }
}

public struct TrainingConfig: Equatable {
    public var maxSteps = 10_000
    public var batchSize: Int? = nil           // nil: full batch
    public var loss: LossKind = .crossEntropy
    public var schedule: EvalScheduleKind = .log
    public var evalPoints = 200
    /// Stop `patience` steps after this event first holds (nil: run the whole budget).
    public var stopEvent: EventRule? = nil
    public var patience = 0
    /// Gradient transforms and constraints (Transforms/), applied in this order at every step.
    public var transforms: [any GradientTransformation] = []
    /// Extra measurements at every evaluation (e.g. the embeddings' Fourier spectrum), filled into
    /// EvalRecord.probes; they read the model and must not change it.
    public var probe: ((EvalRecord) -> [Double])? = nil
    public init() {}
    public static func == (a: TrainingConfig, b: TrainingConfig) -> Bool {
        a.maxSteps == b.maxSteps && a.batchSize == b.batchSize && a.loss == b.loss && a.schedule == b.schedule
            && a.evalPoints == b.evalPoints && a.stopEvent == b.stopEvent && a.patience == b.patience && a.transforms.map(\.description) == b.transforms.map(\.description)
            && (a.probe == nil) == (b.probe == nil)
    }
}

public struct EvalRecord: Sendable, Equatable {
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double
    public var valAccuracy: Double
    public var weightNorm: Double
    public var tensorNorms: [Double]    // in the order of the model's parameter layout
    public var learningRate: Double
    /// Softmax collapse: the share of training rows whose softmax saturated in the loss's precision (see
    /// LossSums.saturated), the curve's `softmax_collapse` column.
    public var softmaxCollapse: Double
    /// Values of the probes (TrainingConfig.probe), in the order of their names; empty without probes.
    public var probes: [Double] = []
    /// The training accuracy on the corrupted and the clean rows (nil without label noise on a fixed set).
    public var noise: NoiseAccuracy? = nil

    public init(step: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double, valAccuracy: Double,
                weightNorm: Double, tensorNorms: [Double], learningRate: Double, softmaxCollapse: Double = 0) {
        self.step = step; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy; self.valLoss = valLoss
        self.valAccuracy = valAccuracy; self.weightNorm = weightNorm; self.tensorNorms = tensorNorms; self.learningRate = learningRate
        self.softmaxCollapse = softmaxCollapse
    }

    public func value(_ m: Metric) -> Double {
        switch m {
        case .trainLoss: return trainLoss
        case .trainAccuracy: return trainAccuracy
        case .valLoss: return valLoss
        case .valAccuracy: return valAccuracy
        case .trainAccuracyCorrupted: return noise?.corrupted ?? .nan
        case .trainAccuracyCorruptedTrue: return noise?.corruptedTrue ?? .nan
        case .trainAccuracyClean: return noise?.clean ?? .nan
        }
    }
}

public enum TrialStatus: String, Sendable, Codable {
    case done, diverged, failed, interrupted
}

public struct TrainingOutcome: Sendable {
    public var records: [EvalRecord] = []
    public var wallSeconds: [Double] = []     // since the start, per record
    public var status: TrialStatus = .done
    public var stepsRun = 0
    public var message: String? = nil
    public var stoppedByEvent = false
    public var totalSeconds = 0.0
}

public struct TrainingProgress: Sendable {
    public var step: Int
    public var maxSteps: Int
    public var last: EvalRecord?
    public init(step: Int, maxSteps: Int, last: EvalRecord?) { self.step = step; self.maxSteps = maxSteps; self.last = last }
}

public final class Trainer<M: Classifier> {
    public typealias T = M.T
    public let model: M
    public let optimizer: Optimizer<T>
    public let config: TrainingConfig
    public let data: TrainingData<T>
    public private(set) var rng: RNG

    /// While `run` runs: whether a stop was asked for (long probes check it and give up).
    public private(set) var stopRequested: (() -> Bool)? = nil

    // Minibatch workspaces (unused in full batch).
    let batchTokens: UnsafeMutablePointer<Int32>
    let batchValues: UnsafeMutablePointer<T>
    let batchLabels: UnsafeMutablePointer<Int32>
    let dlogits: UnsafeMutablePointer<T>
    var order: [Int]
    var cursor = 0
    /// Runs the model's row shards, and the loss over them, side by side (one member: in order).
    public let team: WorkerTeam
    /// Whether the model cuts a batch of the trainer's size into shards (see `onTeam`).
    let shardsBatches: Bool
    /// Each shard's loss sums, added in shard order.
    let shardSums: UnsafeMutablePointer<LossSums>
    /// The configuration's transforms, made for this model: those on the gradients, then those on the parameters.
    let gradientStages: [TransformStage<T>]
    let parameterStages: [TransformStage<T>]
    /// All stages in the configuration's order (their states in checkpoints).
    let stages: [TransformStage<T>]

    /// `threads`: how many threads one step may use (default: OpenBLAS's thread count, which the runner
    /// sets to the cores when trials run one at a time and to one when they run side by side). A model
    /// that cuts its batches into shards gets a team of that many threads (at most one per shard) and
    /// runs them with single-threaded products; other models leave the threads to OpenBLAS.
    public init(model: M, optimizer: OptimizerConfig, config: TrainingConfig, data: TrainingData<T>, rng: RNG, threads: Int? = nil) {
        self.model = model
        self.optimizer = Optimizer(config: optimizer, layout: model.store.layout)
        self.config = config
        self.data = data
        self.rng = rng.split("batches")
        let B = model.capacity
        batchTokens = .allocate(capacity: B * max(1, data.train.positions))
        batchValues = .allocate(capacity: B * max(1, data.train.features))
        batchLabels = .allocate(capacity: B)
        dlogits = .allocate(capacity: B * model.classes)
        order = Array(0..<data.train.count)
        cursor = order.count
        let shards = model.shardCount(rows: B)
        shardsBatches = shards > 1
        team = WorkerTeam(size: shards > 1 ? max(1, min(threads ?? BLAS.threads, shards)) : 1)
        model.attach(team: team)
        shardSums = .allocate(capacity: max(1, shards))
        shardSums.initialize(repeating: LossSums(), count: max(1, shards))
        stages = config.transforms.map { $0.stage(for: model.store) }
        gradientStages = stages.filter { $0.phase == .gradients }
        parameterStages = stages.filter { $0.phase == .parameters }
    }

    deinit {
        batchTokens.deallocate(); batchValues.deallocate(); batchLabels.deallocate(); dlogits.deallocate()
        shardSums.deallocate()
    }

    /// The loss over logits[B, C] (and, with dlogits, its gradient scaled by 1/B), shard by shard as the
    /// model cuts the batch, the shards' sums added in order.
    func loss(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, dlogits: UnsafeMutablePointer<T>?) -> LossSums {
        let shards = model.shardCount(rows: B)
        lossRegion = LossRegion(logits: logits, labels: labels, B: B, shards: shards, dlogits: dlogits)
        team.run(tasks: shards, lossTask)
        var total = LossSums()
        for s in 0..<shards { total.add(shardSums[s]) }
        return total
    }

    /// The inputs of the loss's parallel region, read by `lossTask` (built once, so the region allocates nothing).
    struct LossRegion { var logits: UnsafePointer<T>; var labels: UnsafePointer<Int32>; var B: Int; var shards: Int; var dlogits: UnsafeMutablePointer<T>? }
    var lossRegion: LossRegion? = nil
    lazy var lossTask: (Int) -> Void = { [unowned self] s in
        let g = self.lossRegion!, C = self.model.classes
        let r = shardRows(s, of: g.shards, rows: g.B)
        self.shardSums[s] = lossForwardBackward(self.config.loss, logits: g.logits + r.lowerBound * C, labels: g.labels + r.lowerBound,
                                                B: r.count, C: C, dlogits: g.dlogits.map { $0 + r.lowerBound * C },
                                                scale: g.dlogits == nil ? T(1) : T(1) / T(g.B))
    }

    /// Zeroes half of the gradients (the two halves side by side on the team; built once, so no allocation).
    lazy var zeroTask: (Int) -> Void = { [unowned self] h in self.model.store.zeroGrads(half: h) }

    public var batchSize: Int { min(config.batchSize ?? data.train.count, data.train.count) }

    /// The next minibatch: rows drawn without replacement, reshuffled each epoch.
    func nextBatch() -> (InputBatch<T>, UnsafePointer<Int32>) {
        let B = batchSize
        if B == data.train.count { return (data.train.batch(from: 0, count: B), UnsafePointer(data.train.labels)) }
        let split = data.train
        for i in 0..<B {
            if cursor == order.count { rng.shuffle(&order); cursor = 0 }
            let r = order[cursor]; cursor += 1
            batchLabels[i] = split.labels[r]
            if split.isTokens {
                for l in 0..<split.positions { batchTokens[i * split.positions + l] = split.tokens[r * split.positions + l] }
            } else {
                (batchValues + i * split.features).update(from: split.values + r * split.features, count: split.features)
            }
        }
        let input = split.isTokens ? InputBatch<T>(count: B, tokens: batchTokens) : InputBatch<T>(count: B, features: batchValues)
        return (input, UnsafePointer(batchLabels))
    }

    /// Runs body (steps, evaluations) as `run` runs them. A model that cuts its batches into shards runs
    /// them with OpenBLAS on one thread, on a team of one thread or several: OpenBLAS's products do not
    /// give the same bits on one thread and on two, so this keeps the run's numbers independent of the
    /// threads. Holding the setting around many steps saves switching it at every one.
    public func onTeam<R>(_ body: () throws -> R) rethrows -> R {
        shardsBatches ? try withSingleThreadedBLAS(body) : try body()
    }

    /// One update; returns the batch's loss sums (before the update). Dropout masks and gradient noise
    /// come from the trainer's random stream, which checkpoints carry.
    public func step() -> LossSums { onTeam { update() } }

    func update() -> LossSums {
        let (input, labels) = nextBatch()
        model.prepareTrainingStep(rows: input.count, rng: &rng)
        let logits = model.forward(input)
        let sums = loss(logits: logits, labels: labels, B: input.count, dlogits: dlogits)
        if shardsBatches { team.run(tasks: 2, zeroTask) } else { model.store.zeroGrads() }
        model.backward(input, dlogits: dlogits)
        model.endTrainingStep()
        for s in gradientStages { s.apply(model.store, &rng) }
        optimizer.step(model.store, team: team)
        for s in parameterStages { s.apply(model.store, &rng) }
        return sums
    }

    /// Loss and accuracy over a whole split, in chunks of the workspace capacity.
    public func evaluate(_ split: ClassificationSplit<T>) -> LossSums { onTeam { evaluateSplit(split) } }

    func evaluateSplit(_ split: ClassificationSplit<T>) -> LossSums { evaluateSplit(split, alsoAgainst: nil).labels }

    /// Loss and accuracy over a split against its labels and, from the same logits, against `other` labels of the same rows.
    func evaluateSplit(_ split: ClassificationSplit<T>, alsoAgainst other: UnsafePointer<Int32>?) -> (labels: LossSums, other: LossSums) {
        var total = LossSums(), second = LossSums()
        var start = 0
        while start < split.count {
            let n = min(model.capacity, split.count - start)
            let logits = model.forward(split.batch(from: start, count: n))
            total.add(loss(logits: logits, labels: split.labels + start, B: n, dlogits: nil))
            if let other { second.add(loss(logits: logits, labels: other + start, B: n, dlogits: nil)) }
            start += n
        }
        return (total, second)
    }

    /// The training accuracy on the corrupted rows (against their wrong and their true labels) and on the clean
    /// rows, given the whole training split's sums (nil without corrupted rows).
    func noiseAccuracy(train: LossSums) -> NoiseAccuracy? {
        guard let c = data.corrupted else { return nil }
        let (wrong, truth) = onTeam { evaluateSplit(c.rows, alsoAgainst: c.trueLabels) }
        let cleanRows = train.rows - wrong.rows
        return NoiseAccuracy(corrupted: wrong.rows == 0 ? .nan : wrong.accuracy, corruptedTrue: truth.rows == 0 ? .nan : truth.accuracy,
                             clean: cleanRows == 0 ? .nan : Double(train.correct - wrong.correct) / Double(cleanRows))
    }

    public func record(step: Int) -> EvalRecord {
        let tr = evaluate(data.train), va = evaluate(data.validation)
        let store = model.store
        var r = EvalRecord(step: step, trainLoss: tr.meanLoss, trainAccuracy: tr.accuracy, valLoss: va.meanLoss,
                           valAccuracy: va.accuracy, weightNorm: store.totalNorm,
                           tensorNorms: store.layout.views.map { store.norm($0) },
                           learningRate: optimizer.config.learningRate(atStep: max(1, step)), softmaxCollapse: tr.saturatedFraction)
        r.noise = noiseAccuracy(train: tr)
        return r
    }

    /// Everything a run needs to continue exactly where it stopped: the step, the curve so far, the
    /// stop-event bookkeeping, the batch order and RNG, the optimizer moments and the parameters.
    public struct State {
        public var step: Int
        public var records: [EvalRecord]
        public var wallSeconds: [Double]
        public var eventStep: Int?
        public var rng: RNG
        public var order: [Int]
        public var cursor: Int
        public var optimizerStep: Int
        public var parameters: [T]
        public var firstMoment: [T]
        public var secondMoment: [T]
        /// The state of each gradient transform, in the configuration's order (empty for stateless ones).
        public var transformStates: [[T]]

        public init(step: Int, records: [EvalRecord], wallSeconds: [Double], eventStep: Int?, rng: RNG, order: [Int], cursor: Int,
                    optimizerStep: Int, parameters: [T], firstMoment: [T], secondMoment: [T], transformStates: [[T]] = []) {
            self.step = step; self.records = records; self.wallSeconds = wallSeconds; self.eventStep = eventStep; self.rng = rng
            self.order = order; self.cursor = cursor; self.optimizerStep = optimizerStep; self.parameters = parameters
            self.firstMoment = firstMoment; self.secondMoment = secondMoment; self.transformStates = transformStates
        }
    }

    /// Whether a saved state fits this trainer's transforms: one state per transform of the right size,
    /// or none at all when every transform is stateless (a checkpoint from before transforms had states).
    public func accepts(_ s: State) -> Bool {
        if s.transformStates.isEmpty { return stages.allSatisfy { $0.stateCount == 0 } }
        return s.transformStates.count == stages.count && zip(stages, s.transformStates).allSatisfy { $0.stateCount == $1.count }
    }

    /// The run's state now (between steps).
    func capture(step: Int, records: [EvalRecord], wallSeconds: [Double], eventStep: Int?) -> State {
        State(step: step, records: records, wallSeconds: wallSeconds, eventStep: eventStep, rng: rng, order: order, cursor: cursor,
              optimizerStep: optimizer.t, parameters: model.store.valueArray,
              firstMoment: Array(UnsafeBufferPointer(start: optimizer.m, count: optimizer.count)),
              secondMoment: Array(UnsafeBufferPointer(start: optimizer.v, count: optimizer.count)),
              transformStates: stages.map { $0.state() })
    }

    func restore(_ s: State) {
        model.store.load(s.parameters)
        optimizer.restore(step: s.optimizerStep, m: s.firstMoment, v: s.secondMoment)
        rng = s.rng
        order = s.order
        cursor = s.cursor
        precondition(accepts(s), "a checkpoint's transform states do not match the transforms")
        for (stage, state) in zip(stages, s.transformStates) { stage.restore(state) }
    }

    /// Runs from step 0 (or from `resume`) to the budget or an earlier stop. `shouldStop` is polled
    /// between steps. With `checkpointEvery` > 0, `checkpoint` receives the state every that many steps;
    /// a run resumed from such a state continues to the same curve as an uninterrupted one.
    public func run(progress: ((TrainingProgress) -> Void)? = nil, shouldStop: (() -> Bool)? = nil,
                    resume: State? = nil, checkpointEvery: Int = 0, checkpoint: ((State) -> Void)? = nil) -> TrainingOutcome {
        onTeam { runSteps(progress: progress, shouldStop: shouldStop, resume: resume, checkpointEvery: checkpointEvery, checkpoint: checkpoint) }
    }

    func runSteps(progress: ((TrainingProgress) -> Void)?, shouldStop: (() -> Bool)?, resume: State?, checkpointEvery: Int,
                  checkpoint: ((State) -> Void)?) -> TrainingOutcome {
        stopRequested = shouldStop
        defer { stopRequested = nil }
        var out = TrainingOutcome()
        let start = DispatchTime.now().uptimeNanoseconds
        let offset = resume?.wallSeconds.last ?? 0
        func elapsed() -> Double { offset + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let evalAt = evaluationSteps(config.schedule, maxSteps: config.maxSteps, points: config.evalPoints)
        var nextEval = 0
        var eventStep: Int? = nil
        var stopWatch = config.stopEvent.map { EventWatch($0) }
        var step = 0
        if let resume {
            restore(resume)
            step = resume.step
            out.records = resume.records
            out.wallSeconds = resume.wallSeconds
            eventStep = resume.eventStep
            stopWatch = config.stopEvent.map { EventWatch($0, replaying: resume.records) }
            nextEval = evalAt.firstIndex { $0 >= step } ?? evalAt.count
            if let last = resume.records.last, last.step == step { nextEval = evalAt.firstIndex { $0 > step } ?? evalAt.count }
        }
        while true {
            if nextEval < evalAt.count && evalAt[nextEval] == step {
                nextEval += 1
                var r = record(step: step)
                if let probe = config.probe {
                    r.probes = probe(r)
                    // Stopped during the probes (long snapshots give up when asked): this evaluation is not
                    // kept, and the checkpoint at this step makes a resumed run take it again, whole.
                    if let shouldStop, shouldStop() {
                        out.status = .interrupted
                        out.message = "interrupted at step \(step), during its evaluation's probes"
                        if checkpointEvery > 0, let checkpoint, step != resume?.step {
                            checkpoint(capture(step: step, records: out.records, wallSeconds: out.wallSeconds, eventStep: eventStep))
                        }
                        break
                    }
                }
                out.records.append(r)
                out.wallSeconds.append(elapsed())
                progress?(TrainingProgress(step: step, maxSteps: config.maxSteps, last: r))
                if !(r.trainLoss.isFinite && r.valLoss.isFinite && r.weightNorm.isFinite) {
                    out.status = .diverged
                    out.message = "loss or weights not finite at step \(step) (train loss \(r.trainLoss), weight norm \(r.weightNorm))"
                    break
                }
                if stopWatch != nil {
                    if stopWatch!.see(r) && eventStep == nil { eventStep = step }
                    if let e = eventStep, step >= e + config.patience {
                        out.stoppedByEvent = true
                        break
                    }
                }
            }
            if step >= config.maxSteps { break }
            if let shouldStop, shouldStop() {
                out.status = .interrupted
                out.message = "interrupted at step \(step)"
                if checkpointEvery > 0, let checkpoint, step != resume?.step {
                    checkpoint(capture(step: step, records: out.records, wallSeconds: out.wallSeconds, eventStep: eventStep))
                }
                break
            }
            if checkpointEvery > 0, step > 0, step % checkpointEvery == 0, step != resume?.step, let checkpoint {
                checkpoint(capture(step: step, records: out.records, wallSeconds: out.wallSeconds, eventStep: eventStep))
            }
            let sums = step_()
            step += 1
            if !sums.loss.isFinite {
                out.status = .diverged
                out.message = "training loss not finite at step \(step)"
                out.records.append(record(step: step))
                out.wallSeconds.append(elapsed())
                break
            }
            if step % 64 == 0 { progress?(TrainingProgress(step: step, maxSteps: config.maxSteps, last: out.records.last)) }
        }
        out.stepsRun = step
        out.totalSeconds = elapsed()
        return out
    }

    @inline(__always) private func step_() -> LossSums { step() }
}

// The probe recorder: the measurements a trial takes during training (Registry/Probes/*.swift, one file
// each), run at every evaluation (curve.csv columns) and at initialization, at the first evaluation of
// each event and at the end (snapshots in probes.json), kept across checkpoints by a sidecar file.
import Datasets
import Foundation
import Linalg
import Models
import Training

/// What a probe may read: the operand embeddings, the training loss's sharpness, Hessian and local
/// learning coefficient, the logits over the whole table, the operation's Fourier basis, and a random stream of its own.
struct ProbeContext {
    /// The operand embeddings as rows (values [count, width]), or nil when the model has none.
    let embeddings: () -> (values: [Double], count: Int, width: Int)?
    /// The sharpness of the training loss (Trainer.sharpness), or nil before training starts.
    let sharpness: (_ relative: Double, _ samples: Int, _ rng: RNG) -> Double?
    /// The training loss's Hessian top eigenvalue (Trainer.hessianTopEigenvalue), or nil before training starts.
    var hessian: (_ iterations: Int, _ relativeStep: Double, _ rng: RNG) -> PowerIterationResult? = { _, _, _ in nil }
    /// The local learning coefficient (Trainer.localLearningCoefficient), or nil before training starts.
    var llc: (_ settings: LLCSettings, _ rng: RNG) -> LocalLearningCoefficient? = { _, _ in nil }
    /// The logits over the whole operation table (Trainer.tableLogits), or nil before training starts or for other inputs.
    var table: () -> TableLogits? = { nil }
    let basis: FourierBasis
    /// The task's operation (nil for other tasks) and modulus.
    var operation: BinaryOperation? = nil
    var modulus = 0
    /// The step being measured, the run's evaluation steps and its budget (a probe with a sparser schedule reads them).
    var step = 0
    var evaluationSteps: [Int] = []
    var maxSteps = 0

    /// Whether a probe with its own log schedule of `points` steps (Training/Schedule.swift, over the budget) measures
    /// at this evaluation: one of its steps falls after the previous evaluation and at or before this one.
    func due(points: Int) -> Bool {
        guard maxSteps >= 1, points >= 2 else { return false }
        let previous = evaluationSteps.last { $0 < step } ?? -1
        return Training.evaluationSteps(.log, maxSteps: maxSteps, points: points).contains { $0 > previous && $0 <= step }
    }
    let rng: RNG
}

/// A measurement taken during training.
protocol TrainingProbe: Sendable {
    /// Columns it adds to curve.csv at every evaluation (none: snapshots only).
    var columns: [String] { get }
    /// Its values for those columns.
    func measure(_ c: ProbeContext) -> [Double]
    /// Its fields of the snapshot called `name`, in order (flat numbers and lists only: the sidecar reads them back exactly).
    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)]
    /// How it is computed, for probes.json.
    var method: String { get }
}

extension TrainingProbe {
    var columns: [String] { [] }
    func measure(_ c: ProbeContext) -> [Double] { [] }
}

/// A probe as the registry lists it: its keys, and the probe a trial's keys ask for (nil when off).
protocol ProbeKind {
    static var keys: [KeySpec] { get }
    static func make(_ v: KeyValues) -> (any TrainingProbe)?
    /// Whether the probe is off with these values; then its keys leave no trace in the trials' ids.
    static func isOff(_ values: [String: Value]) -> Bool
    /// Combinations of its keys that make no sense, reported at the key that makes them so.
    static func check(_ s: StudyDraft) throws
}

extension ProbeKind {
    static func isOff(_ values: [String: Value]) -> Bool { false }
    static func check(_ s: StudyDraft) throws {}
}

/// The probes that `training.probes: true` turns on (the embeddings' spectrum and geometry, sharpness).
protocol EmbeddingProbe: ProbeKind, TrainingProbe {
    init()
}

extension EmbeddingProbe {
    static var keys: [KeySpec] { [TrainingKeys.probes] }
    static func make(_ v: KeyValues) -> (any TrainingProbe)? { v.value(TrainingKeys.probes) == .bool(true) ? Self() : nil }
}

final class ProbeRecorder<M: Classifier & OperandEmbedding> {
    let probes: [any TrainingProbe]
    let rules: [(String, EventRule)]
    let context: ProbeContext
    weak var trainer: Trainer<M>?
    var seen: Set<String> = []
    /// Each event's progress through the run's evaluations (an event `after` another needs the other first).
    var watches: [(name: String, watch: EventWatch)]
    var snapshots: [(String, JSON)] = []
    /// Snapshots a resume could not take back (a checkpoint without its sidecar).
    var lost: [String] = []
    /// Wall-clock seconds spent measuring in this run (columns and snapshots): summary.json's probe_seconds.
    var seconds = 0.0

    init(model: M, probes: [any TrainingProbe], rules: [(String, EventRule)], rng: RNG, operation: BinaryOperation?, modulus: Int) {
        self.probes = probes; self.rules = rules
        watches = rules.map { ($0.0, EventWatch($0.1)) }
        var c = ProbeContext(embeddings: { model.operandEmbeddingRows() }, sharpness: { _, _, _ in nil },
                             basis: FourierBasis(operation: operation, modulus: modulus), rng: rng)
        c.operation = operation; c.modulus = modulus
        context = c
    }

    /// The context with the trainer's sharpness (the trainer is made after the recorder).
    var live: ProbeContext {
        var c = ProbeContext(embeddings: context.embeddings,
                             sharpness: { [weak self] rel, n, rng in self?.trainer?.sharpness(relative: rel, samples: n, rng: rng) },
                             basis: context.basis, rng: context.rng)
        c.hessian = { [weak self] k, h, rng in self?.trainer?.hessianTopEigenvalue(iterations: k, relativeStep: h, rng: rng) }
        c.operation = context.operation; c.modulus = context.modulus
        let p = context.modulus
        c.table = { [weak self] in self?.trainer?.tableLogits(modulus: p) }
        c.llc = { [weak self] s, rng in
            self?.trainer?.localLearningCoefficient(gamma: s.gamma, epsilon: s.epsilon, chains: s.chains, steps: s.steps, burnIn: s.burnIn, rng: rng) ?? nil
        }
        return c
    }

    /// Whether the run was asked to stop (the trainer then drops this evaluation, and a resume takes it again).
    var stopping: Bool { trainer?.stopRequested?() ?? false }

    var columns: [String] { probes.flatMap(\.columns) }

    /// The run's evaluation steps, computed once.
    lazy var schedule: [Int] = trainer.map { evaluationSteps($0.config.schedule, maxSteps: $0.config.maxSteps, points: $0.config.evalPoints) } ?? []

    func measure(_ r: EvalRecord) -> [Double] {
        guard context.embeddings() != nil else { return [] }
        let started = DispatchTime.now().uptimeNanoseconds
        var c = live
        c.step = r.step; c.evaluationSteps = schedule; c.maxSteps = trainer?.config.maxSteps ?? 0
        let values = probes.flatMap { $0.measure(c) }
        seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9     // the snapshots time themselves
        if r.step == 0 && !seen.contains("init") { seen.insert("init"); snapshot("init", step: 0) }
        for i in watches.indices where watches[i].watch.see(r) && !seen.contains(watches[i].name) {
            seen.insert(watches[i].name)
            snapshot(watches[i].name, step: r.step)
        }
        return values
    }

    func snapshot(_ name: String, step: Int) {
        guard context.embeddings() != nil else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let c = live
        let fields = probes.flatMap { $0.snapshot(c, name: name) }
        // Asked to stop meanwhile: the long probes may have given up, so nothing of this snapshot is kept and
        // the evaluation that takes it is taken again on resume.
        if stopping { seen.remove(name); return }
        snapshots.append((name, .object([("step", .int(step))] + fields)))
    }

    /// The snapshots so far, for the sidecar of a checkpoint (`<id>.ckpt.probes.json`), fields in order:
    /// [[name, [[field, value], …]], …].
    /// Numbers are written as "#" and Swift's shortest round-trip text: Foundation's JSON parser on Linux
    /// does not read doubles back exactly, and a resumed probes.json must match an uninterrupted one.
    func sidecar() -> JSON {
        func exact(_ v: JSON) -> JSON {
            switch v {
            case .number(let d): return .string("#" + d.description)
            case .int(let i): return .string("#" + String(i))
            case .array(let a): return .array(a.map(exact))
            default: return v
            }
        }
        return .array(snapshots.map { name, snap in
            guard case .object(let fields) = snap else { return .null }
            return .array([.string(name), .array(fields.map { .array([.string($0.0), exact($0.1)]) })])
        })
    }

    /// Takes up the events where a resumed run's curve leaves them.
    func replay(_ records: [EvalRecord]) { watches = rules.map { ($0.0, EventWatch($0.1, replaying: records)) } }

    /// Takes back the snapshots of a sidecar taken at or before `step` (the checkpoint's): a resumed
    /// run then writes the same probes.json as an uninterrupted one. Returns their names.
    @discardableResult
    func restore(sidecar data: Data, upTo step: Int) -> [String] {
        func value(_ v: Any) -> JSON? {
            if let s = v as? String, s.hasPrefix("#") { return Double(s.dropFirst()).map { .number($0) } }   // renders as the original did
            if let a = v as? [Any] { let m = a.compactMap(value); return m.count == a.count ? .array(m) : nil }
            if let b = v as? Bool { return .bool(b) }     // numbers are "#" strings, so only true and false come here
            if v is NSNull { return .null }              // an estimate that could not be made
            return nil
        }
        guard let list = JSON.parse(data) as? [[Any]] else { return [] }
        var names: [String] = []
        for entry in list {
            guard entry.count == 2, let name = entry[0] as? String, let pairs = entry[1] as? [[Any]] else { continue }
            var fields: [(String, JSON)] = []
            for pair in pairs {
                guard pair.count == 2, let key = pair[0] as? String, let v = value(pair[1]) else { fields = []; break }
                fields.append((key, v))
            }
            guard let stepField = fields.first(where: { $0.0 == "step" }), case .number(let at) = stepField.1, Int(at) <= step,
                  !seen.contains(name) else { continue }
            snapshots.append((name, .object(fields)))
            seen.insert(name)
            names.append(name)
        }
        return names
    }

    func json(resumedAt: Int?) -> JSON {
        .object([
            ("method", .string(probes.map(\.method).joined(separator: "; "))),
            ("fourier_basis", .string(context.basis.name)),
            ("resumed_at", resumedAt.map { .int($0) } ?? .null),
            ("note", lost.isEmpty ? .null : .string("resumed from a checkpoint without the probes of \(lost.sorted().joined(separator: ", ")) (taken before the interruption and not kept): they have no snapshot")),
            ("snapshots", .object(snapshots)),
        ])
    }
}

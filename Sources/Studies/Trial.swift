// Trials: the study's sweep grid crossed with its seeds. A trial is typed (`TrialSpec`), decoded once
// from its canonical encoding: the keys that configure it (those the registry says apply to its task
// kind, family and fit; keys that are off left out), its events and its seed index. Its identity is
// the hash of that encoding, so re-runs, shards and Slurm array tasks all agree on which trial is which.
import Foundation
import Linalg
import Training

public struct Trial: Sendable {
    public let id: String
    public let index: Int
    public let seedIndex: Int
    /// The swept keys and their values for this trial, in the study's sweep order.
    public let point: [(String, Value)]
    /// The canonical encoding: every key that configures the trial, flat and dotted (seed_index
    /// included). It is the trial's identity and what config.json holds; code reads `spec`.
    public let config: [String: Value]
    public let canonical: String
    /// The typed trial.
    public let spec: TrialSpec

    /// The value of a key in the trial's encoding, or its swept value when the encoding leaves it out as off
    /// (label noise 0 on a table); nil when the key does not configure the trial. For conditions and sweep axes.
    public func value(at path: String) -> Value? { config[path] ?? point.first { $0.0 == path }?.1 }
    /// The configuration without the seed: trials that differ only by seed share it.
    public var groupKey: String { groupKey(without: nil) }
    /// The same without one key of the point (the size key, the arm): the trials that key tells apart share it.
    public func groupKey(without key: String?) -> String { point.filter { $0.0 != key }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") }
    /// The seed of the trial's random streams, derived from its canonical configuration (which holds the study seed).
    public var seed: UInt64 { stableHash(canonical) }
}

/// A trial, typed: its task, model, training loop, optimizer or solver, and events.
public struct TrialSpec: Sendable {
    /// The study seed (`seed`).
    public let studySeed: Int
    public let task: any TaskConfiguration
    public let model: any ModelConfiguration
    public let training: TrainingSpec
    /// The optimizer of a family trained by steps (nil for a closed-form fit).
    public let optimizer: OptimizerConfig?
    /// The least-squares solver of a closed-form fit (nil otherwise).
    public let solver: SolverSpec?
    /// The study's events, by name.
    public let events: [(name: String, rule: EventRule)]
    public let fit: Fit
    /// The key whose value is the trial's size on the size axis (the family's size, or task.n_train with
    /// `size_by: samples`); nil on the steps axis.
    public let sizeKey: String?
    /// The trial's size on the size axis (the value at `sizeKey`), else nil.
    public let size: Int?
    /// Whether the trial is one size of a size-axis study (trained to convergence, its errors recorded).
    public var sizeAxis: Bool { sizeKey != nil }
    let family: any ModelFamily.Type

    /// Decodes a trial's encoding, whose keys are those that apply to `shape`.
    init(_ encoding: [String: Value], shape: TrialShape, events: [EventSpec], sizeKey: String?) {
        let v = KeyValues(values: encoding)
        studySeed = v.int(StudyKeys.seed)
        task = shape.task.decode(v)
        model = shape.family.decode(v)
        training = TrainingKeys.decode(v)
        optimizer = shape.fit == .closedForm ? nil : OptimizerKeys.decode(v)
        solver = shape.fit == .closedForm ? ClosedFormKeys.decode(v) : nil
        self.events = events.map { ($0.name, $0.rule) }.sorted { $0.0 < $1.0 }
        fit = shape.fit
        family = shape.family
        self.sizeKey = sizeKey
        size = sizeKey.flatMap { encoding[$0]?.asInt }
    }

    /// The events as the training loop takes them.
    var eventRules: [(String, EventRule)] { events.map { ($0.name, $0.rule) } }
}

extension Study {
    /// The trial keys shared by every trial before the sweep point and seed are applied.
    var baseTrialConfig: [String: Value] {
        var c: [String: Value] = [:]
        for spec in Schema.applicable(shape) { c[spec.path] = values[spec.path]! }
        if values[TrainingKeys.probes.path] == .bool(false) { c[TrainingKeys.probes.path] = nil }   // off: no trace in the id (ids predate the key)
        // Likewise for a probe that is off everywhere (not turned on by a sweep or an arm).
        let varied = Set(sweep.map(\.path) + arms.flatMap { $0.overrides.map(\.path) })
        for kind in Registry.probes where kind.isOff(values) && !kind.keys.contains(where: { varied.contains($0.path) }) {
            for k in kind.keys where k.path != TrainingKeys.probes.path { c[k.path] = nil }
        }
        for e in events {
            c["events.\(e.name).metric"] = .string(e.rule.metric.rawValue)
            if let a = e.rule.atLeast { c["events.\(e.name).at_least"] = .double(a) }
            if let b = e.rule.atMost { c["events.\(e.name).at_most"] = .double(b) }
            if let a = e.after { c["events.\(e.name).after"] = .string(a) }
        }
        return c
    }

    /// The number of trials, without expanding them.
    public var trialCount: Int { sweep.reduce(seeds * max(1, arms.count)) { $0 * $1.values.count } }

    /// The grid in row-major order of the arms and the sweep (arms slowest, the last sweep axis fastest),
    /// each point with every seed. An arm's overrides apply before the sweep point; its name is in the
    /// encoding ("arm"), so arms are told apart even in configuration files.
    public var trials: [Trial] {
        var points: [[(String, Value)]] = arms.isEmpty ? [[]] : arms.map { [("arm", .string($0.name))] }
        for axis in sweep {
            points = points.flatMap { p in axis.values.map { p + [(axis.path, $0)] } }
        }
        let base = baseTrialConfig
        var out: [Trial] = []
        for point in points {
            for s in 0..<seeds {
                var c = base
                if case .string(let name)? = point.first(where: { $0.0 == "arm" })?.1, let arm = arms.first(where: { $0.name == name }) {
                    for o in arm.overrides where Schema.applies(o.path, to: shape) { c[o.path] = o.value }
                }
                for (k, v) in point { c[k] = v }
                Regularization.resolve(&c)
                c["seed_index"] = .int(s)
                let canonical = nestedJSON(c).render(indent: nil)
                let id = String(format: "%016llx", stableHash(canonical))
                out.append(Trial(id: id, index: out.count, seedIndex: s, point: point, config: c, canonical: canonical,
                                 spec: TrialSpec(c, shape: shape, events: events, sizeKey: axis == "size" ? Schema.sizeKey(values, shape) : nil)))
            }
        }
        return out
    }

    /// The study's identity for its results folder: the hash of its trial ids and expectations.
    /// Changing what any trial computes, or which trials there are, changes it.
    public var hash: String {
        let ids = trials.map(\.id).joined(separator: ",")
        return String(format: "%016llx", stableHash(ids))
    }
}

// Trials: the study's sweep grid crossed with its seeds. A trial's identity is the hash of its resolved
// configuration (every key that changes what it computes, the seed index included), so re-runs,
// shards and Slurm array tasks all agree on which trial is which.
import Foundation
import Linalg
import Training

public struct Trial: Sendable {
    public let id: String
    public let index: Int
    public let seedIndex: Int
    /// The swept keys and their values for this trial, in the study's sweep order.
    public let point: [(String, Value)]
    /// Every configuration key of the trial, flat and dotted (seed_index included).
    public let config: [String: Value]
    public let canonical: String

    public func value(_ path: String) -> Value { config[path]! }
    /// The configuration without the seed: trials that differ only by seed share it.
    public var groupKey: String { point.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") }
    /// The seed of the trial's random streams, derived from its canonical configuration (which holds the study seed).
    public var seed: UInt64 { stableHash(canonical) }
}

extension Study {
    /// The trial keys shared by every trial before the sweep point and seed are applied.
    var baseTrialConfig: [String: Value] {
        var c: [String: Value] = [:]
        let family = values["model.family"]?.asString ?? "mlp"
        for spec in Schema.keys where spec.trialKey && SizeSchema.applies(spec.path, to: values)
            && TransformerSchema.applies(spec.path, family: family) != false { c[spec.path] = values[spec.path]! }
        if values["training.probes"] == .bool(false) { c["training.probes"] = nil }   // off: no trace in the id (ids predate the key)
        for e in events {
            c["events.\(e.name).metric"] = .string(e.rule.metric.rawValue)
            if let a = e.rule.atLeast { c["events.\(e.name).at_least"] = .double(a) }
            if let b = e.rule.atMost { c["events.\(e.name).at_most"] = .double(b) }
        }
        return c
    }

    /// The grid in row-major order of the sweep (last axis fastest), each point with every seed.
    public var trials: [Trial] {
        var points: [[(String, Value)]] = [[]]
        for axis in sweep {
            points = points.flatMap { p in axis.values.map { p + [(axis.path, $0)] } }
        }
        let base = baseTrialConfig
        var out: [Trial] = []
        for point in points {
            for s in 0..<seeds {
                var c = base
                for (k, v) in point { c[k] = v }
                Regularization.resolve(&c)
                c["seed_index"] = .int(s)
                let canonical = nestedJSON(c).render(indent: nil)
                let id = String(format: "%016llx", stableHash(canonical))
                out.append(Trial(id: id, index: out.count, seedIndex: s, point: point, config: c, canonical: canonical))
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

// probes.frequency_losses: Nanda et al.'s (2023) excluded and restricted losses at every evaluation
// (curve.csv columns excluded_loss, restricted_loss), over the five frequencies with the most power in
// the logits' a + b structure at that evaluation (Training/FrequencyLosses.swift). Operation tables of
// x + y only: the losses are defined by the Fourier components of a + b.
import Datasets
import Training

struct FrequencyLossesProbe: ProbeKind, TrainingProbe {
    static let on = KeySpec(path: "probes.frequency_losses", type: .bool, defaultValue: .bool(false),
                            doc: "record Nanda et al.'s excluded loss (training loss without the key frequencies' a + b components of the logits) and restricted loss (whole-table loss of those components alone) at every evaluation (curve.csv); task.operation x+y only")
    static let keys = [on]
    /// Nanda et al. found five key frequencies in their run.
    static let keyCount = 5

    static func make(_ v: KeyValues) -> (any TrainingProbe)? { v.value(on) == .bool(true) ? FrequencyLossesProbe() : nil }
    static func isOff(_ values: [String: Value]) -> Bool { values[on.path] != .bool(true) }

    static func check(_ s: StudyDraft) throws {
        guard s.values(of: on).contains(.bool(true)) else { return }
        let kinds = s.values(of: TaskKeys.kind).compactMap(\.asString), operations = s.values(of: AlgorithmicTask.operation).compactMap(\.asString)
        if let other = kinds.first(where: { $0 != AlgorithmicTask.name }) {
            throw StudyError(s.at(on), "probes.frequency_losses needs an operation table, and task.kind is '\(other)'", hint: "set task.kind: algorithmic with task.operation: x+y, or remove probes.frequency_losses")
        }
        if let other = operations.first(where: { BinaryOperation(spelling: $0) != .add }) {
            throw StudyError(s.at(on), "probes.frequency_losses is defined for x+y (the Fourier components of a + b), and task.operation is '\(other)'",
                             hint: "set task.operation: x+y, or remove probes.frequency_losses")
        }
        // It holds the logits of the whole table in Double: p² rows of p classes.
        if let p = s.values(of: AlgorithmicTask.modulus).compactMap(\.asInt).max(), p > maximumModulus {
            let gigabytes = Double(p) * Double(p) * Double(p) * 8 / 1e9
            throw StudyError(s.at(on, or: AlgorithmicTask.modulus),
                             "probes.frequency_losses keeps the logits of the whole table, p³ = \(p * p * p) numbers (\(String(format: "%.1f", gigabytes)) GB) for task.modulus \(p); at most \(maximumModulus) is allowed",
                             hint: "use task.modulus ≤ \(maximumModulus) with this probe, or remove probes.frequency_losses")
        }
    }

    /// The largest modulus whose whole-table logits (p³ doubles) the probe holds: 500³ × 8 bytes = 1 GB.
    static let maximumModulus = 500

    var columns: [String] { ["excluded_loss", "restricted_loss"] }
    var method: String {
        "excluded_loss: cross-entropy of the training rows with the logits' components along cos and sin of ω_k(a + b), k in the \(Self.keyCount) frequencies with the most power in the logits' a + b structure at that evaluation, taken out; restricted_loss: cross-entropy over the whole table of the logits' per-class mean plus those components alone (Nanda et al. 2023)"
    }

    func measure(_ c: ProbeContext) -> [Double] {
        guard c.operation == .add, let t = c.table() else { return [.nan, .nan] }
        let l = t.losses(strongest: Self.keyCount)
        return [l.excluded, l.restricted]
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard c.operation == .add, let t = c.table() else { return [] }
        let l = t.losses(strongest: Self.keyCount)
        return [("excluded_loss", .num(l.excluded)), ("restricted_loss", .num(l.restricted)), ("key_frequencies", .array(l.frequencies.map { .int($0) }))]
    }
}

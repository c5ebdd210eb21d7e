// A trial's peak memory, estimated before training from its configuration, so that a trial that cannot
// fit is refused with numbers instead of aborting inside an allocation (a full batch of x+y mod 2048
// asks for 17 GB in one piece).
//
// The estimate counts the buffers the models and the trainer allocate for a workspace of B rows (the
// batch; evaluation reuses the same workspace in chunks of B rows):
//   MLP (Sources/Models/MLP.swift): z and a [B, ΣH], dropout masks [B, ΣH], logits [B, C], gradA and
//     gradZ [B, max(H, C)], the token tables [L·V, H₀] three times (values, gradient, second shard's
//     gradient); the trainer's dlogits [B, C].
//   Transformer (Sources/Models/Transformer.swift): per block, with N = B·T rows at every position and
//     Q = B·TQ at the query positions (TQ = 1 in the last block), the activations and gradients
//     [N, C] ×2, [N, A] ×4, [Q, C] ×14, [Q, A] ×4, [Q, M] ×4 and the attention weights [B·heads·TQ, T]
//     (the first block, fed by the token tables, has no [N, C] or [N, A] buffers);
//     then h0 and one input gradient per block [N, C], the final rows [B, C] ×4, logits and dlogits [B, K];
//     the first block's token tables (R = 2p + 2 rows at most) [R, C] ×4 and [R, A] ×9 (q, k, v and two
//     shards' gradients), and per row the tokens and their table rows; with two blocks, the last block's
//     keys and values after the prefix and two shards' gradients of them, [B·(T − k), A] ×6.
//   Both: the parameters nine times over (values, gradients, the second shard's gradients, the two
//     AdamW moments, and a checkpoint's copies), the data set (examples, the two splits) and the runtime.
// It is an estimate of the dominant terms, within some tens of MB, not an accounting of every byte.
import Datasets
import Foundation
import Models
import Studies

struct MemoryEstimate {
    var bytes: Int
    /// The largest buffers, in words, for the refusal message.
    var dominant: String
    /// The workspace rows (the batch) the estimate is for.
    var rows: Int
    /// Bytes per workspace row, to say which batch would fit.
    var bytesPerRow: Int
}

/// The memory a trial of an algorithmic task needs at its peak, or nil for the other tasks (whose
/// closed-form solvers and small data sets are sized by their own checks).
func estimatePeakMemory(_ spec: TrialSpec, table: (count: Int, vocabulary: Int, classes: Int)) -> MemoryEstimate? {
    guard let task = spec.task as? AlgorithmicTask.Config else { return nil }
    let scalar = spec.training.precision == "float64" ? 8 : 4
    let nTrain = max(1, Int((task.trainFraction * Double(table.count)).rounded()))
    let B = min(spec.training.batchSize ?? nTrain, nTrain)
    let V = table.vocabulary, K = table.classes
    // The data set: Example structs (12 bytes) in the table and the split arrays, then the splits'
    // token and label buffers (Int32) for training and validation.
    let dataBytes = table.count * (12 * 3 + 3 * 4)
    let runtime = 64 << 20
    var perRow = 0          // scalars per workspace row
    var fixedScalars = 0    // scalars independent of B
    var perRowInts = 0      // Int32 per workspace row
    var parameters = 0
    var dominant = ""
    switch spec.model {
    case let m as MLPFamily.Config:
        let width = m.width, depth = m.depth
        let input: MLPInput
        if case .embedding(let d) = m.input { input = .embedding(dimension: d) } else { input = .oneHot }
        let hidden = [Int](repeating: width, count: depth)
        let cfg = MLPConfig(input: input, vocabulary: V, positions: 2, hidden: hidden, classes: K)
        parameters = cfg.layout.count
        let sumH = hidden.reduce(0, +), widest = max(width, K)
        let dropout = m.dropout > 0
        perRow = 2 * sumH + (dropout ? sumH : 0) + K + 2 * widest + K
        perRowInts = 2
        fixedScalars = 3 * 2 * V * width
        dominant = "the MLP's [\(B) × \(K)] logits and dlogits, [\(B) × \(widest)] gradient buffers (two) and [\(B) × \(width)] activations (\(2 * depth))"
    case let m as TransformerFamily.Config:
        let layers = m.layers, C = m.dModel, heads = m.heads, M = m.dMLP
        let cfg = TransformerConfig(operands: V, classes: K, opToken: m.opToken, layers: layers, dModel: C,
                                    heads: heads, dHead: m.dHead, dMLP: M)
        parameters = cfg.layout.count
        let T = cfg.sequenceLength, A = cfg.attentionWidth
        for l in 0..<layers {
            let TQ = l == layers - 1 ? 1 : T
            perRow += (l == 0 ? 0 : T * C * 2 + T * 2 + T * A * 4) + heads * TQ * T + TQ * (14 * C + 4 * A + 4 * M + 6)
        }
        perRow += T * C * (1 + layers) + 4 * C + 2 + 2 * K
        perRowInts = 3 * T
        fixedScalars = (2 * V + 2) * (4 * C + 9 * A)
        if layers == 2 { perRow += (T - (m.opToken ? 2 : 1)) * A * 6 }
        dominant = "the transformer's activations and gradients, \(perRow) values per row for [\(B) rows × \(T) positions] (d_model \(C), d_mlp \(M), \(layers) block\(layers == 1 ? "" : "s"))"
    default:
        return nil
    }
    let rowBytes = perRow * scalar + perRowInts * 4
    let (workspace, o1) = B.multipliedReportingOverflow(by: rowBytes)
    let total = workspace.addingReportingOverflow((fixedScalars + 9 * parameters) * scalar + dataBytes + runtime)
    return MemoryEstimate(bytes: o1 || total.overflow ? Int.max : total.partialValue, dominant: dominant, rows: B, bytesPerRow: rowBytes)
}

/// This machine's memory from /proc/meminfo: (available, total) in bytes, or nil where there is none.
func machineMemory() -> (available: Int, total: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
    func field(_ name: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, let kb = Int(parts[1]) else { return nil }
        return kb * 1024
    }
    guard let total = field("MemTotal") else { return nil }
    return (field("MemAvailable") ?? total, total)
}

func formatBytes(_ b: Int) -> String {
    if b == Int.max { return "more than 9 EB" }
    let gb = Double(b) / Double(1 << 30)
    return gb >= 1 ? String(format: "%.1f GB", gb) : String(format: "%.0f MB", Double(b) / Double(1 << 20))
}

extension Run {
    /// Refuses a study one of whose trials would not fit in this machine's available memory (times the
    /// trials run at once), with the estimate, the machine's memory, and what would fit.
    func checkMemory(_ s: Study) throws {
        guard let machine = machineMemory() else { return }
        var tables: [String: (count: Int, vocabulary: Int, classes: Int)] = [:]
        var worst: (Trial, MemoryEstimate)? = nil
        for t in s.trials where t.seedIndex == 0 {
            guard let task = t.spec.task as? AlgorithmicTask.Config, let op = task.operation else { continue }
            let p = task.modulus, key = "\(task.operationName) \(p)"
            if tables[key] == nil {
                guard let table = try? OperationTable(operation: op, modulus: p) else { continue }
                tables[key] = (table.examples.count, table.vocabulary, table.classes)
            }
            guard let e = estimatePeakMemory(t.spec, table: tables[key]!) else { continue }
            if e.bytes > (worst?.1.bytes ?? -1) { worst = (t, e) }
        }
        guard let (trial, e) = worst else { return }
        let atOnce = min(jobs, s.trials.count)
        let (needed, overflow) = e.bytes.multipliedReportingOverflow(by: atOnce)
        guard overflow || needed > machine.available else { return }
        let fixed = e.bytes - e.rows * e.bytesPerRow
        let fitRows = e.bytesPerRow > 0 ? (machine.available / atOnce - fixed) / e.bytesPerRow : 0
        let what = trial.groupKey.isEmpty ? "a trial" : "the trial \(trial.groupKey)"
        var hint = fitRows >= 1 ? "use a minibatch (training.batch: \(min(fitRows, e.rows - 1)) or fewer rows fit), a smaller modulus or a smaller model" : "use a smaller modulus or model"
        if atOnce > 1 { hint += ", or run fewer trials at once (--jobs)" }
        throw fail("\(s.file): \(what) needs about \(formatBytes(e.bytes)) at its peak" + (atOnce > 1 ? " (\(formatBytes(needed)) for \(atOnce) at once with --jobs \(jobs))" : "")
                   + ", mostly \(e.dominant), with a batch of \(e.rows) rows; this machine has \(formatBytes(machine.available)) available of \(formatBytes(machine.total)) (/proc/meminfo)\n  HINT: \(hint)", code: 64)
    }
}

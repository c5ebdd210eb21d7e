// What a trial with `training.probes: true` records about its operand embeddings: at every evaluation the
// share of the (non-constant) Fourier power in the five strongest frequencies and the strongest one
// (curve.csv columns); at initialization, at the first evaluation of each event and at the end, the whole
// spectrum, a 2-D principal-component projection and the sharpness (probes.json).
import Datasets
import Foundation
import Linalg
import Models
import Training

final class Probes<M: Classifier & OperandEmbedding> {
    static var columns: [String] { ["fourier_top5_share", "fourier_strongest"] }
    static var sharpnessRelative: Double { 0.01 }
    static var sharpnessSamples: Int { 8 }
    /// 30, the usual choice, or a third of the other points for small moduli.
    static func tsnePerplexity(_ p: Int) -> Double { min(30, Double(p - 1) / 3) }

    let model: M
    let rules: [(String, EventRule)]
    let rng: RNG
    weak var trainer: Trainer<M>?
    var seen: Set<String> = []
    var snapshots: [(String, JSON)] = []
    /// Snapshots a resume could not take back (a checkpoint without its sidecar).
    var lost: [String] = []

    /// The operand rows the Fourier transform runs over, in order (nil: all p in index order, the
    /// additive structure), and the basis's name for the report.
    let fourierRows: [Int]?
    let basis: String

    init(model: M, rules: [(String, EventRule)], rng: RNG, operation: BinaryOperation?, modulus: Int) {
        self.model = model; self.rules = rules; self.rng = rng
        switch operation {
        case .multiply?, .divide?:
            fourierRows = discreteLogOrder(modulus)
            basis = fourierRows == nil ? "operand index" : "discrete logarithm (x = g^i for the smallest primitive root g; operand 0 left out): multiplication becomes addition mod p − 1"
        case .compose?, .conjugate?, .sandwich?:
            fourierRows = nil
            basis = "operand index: permutations have no cyclic order, so the spectrum is not meaningful for them"
        default:
            fourierRows = nil
            basis = "operand index x mod p"
        }
    }

    /// The embedding rows in the Fourier basis's order, and how many there are.
    func fourierOrdered(_ e: [Double], _ p: Int, _ w: Int) -> ([Double], Int) {
        guard let rows = fourierRows, rows.allSatisfy({ $0 < p }) else { return (e, p) }
        return (rows.flatMap { e[($0 * w)..<($0 * w + w)] }, rows.count)
    }

    /// The spectrum in the basis chosen for the operation.
    func spectrum(_ e: [Double], _ p: Int, _ w: Int) -> [Double] {
        let (rows, n) = fourierOrdered(e, p, w)
        return embeddingSpectrum(rows, p: n, C: w)
    }

    func measure(_ r: EvalRecord) -> [Double] {
        guard let (e, p, w) = model.operandEmbeddingRows() else { return [] }
        let top = topFrequencies(spectrum(e, p, w), count: 5)
        if r.step == 0 && !seen.contains("init") { seen.insert("init"); snapshot("init", step: 0) }
        for (name, rule) in rules where !seen.contains(name) && rule.holds(r) {
            seen.insert(name)
            snapshot(name, step: r.step)
        }
        return [top.share, Double(top.frequencies.first ?? 0)]
    }

    func snapshot(_ name: String, step: Int) {
        guard let (e, p, w) = model.operandEmbeddingRows() else { return }
        let spectrum = spectrum(e, p, w)
        let top = topFrequencies(spectrum, count: 5)
        var fields: [(String, JSON)] = [
            ("step", .int(step)),
            ("spectrum", .array(spectrum.map { .num($0) })),
            ("top5_share", .num(top.share)),
            ("top5_frequencies", .array(top.frequencies.map { .int($0) })),
        ]
        if let (points, explained) = try? principalComponents2(e, rows: p, cols: w) {
            fields.append(("pca", .array(points.map { .array([.num($0.0), .num($0.1)]) })))
            fields.append(("pca_explained", .num(explained)))
        }
        if let k = top.frequencies.first {
            let (ordered, n) = fourierOrdered(e, p, w)
            let points = fourierPlaneProjection(ordered, p: n, C: w, frequency: k)
            // Flat fields, numbers and lists only: the checkpoint's sidecar reads them back exactly.
            fields.append(("fourier_plane_frequency", .int(k)))
            fields.append(("fourier_plane", .array(points.map { .array([.num($0.0), .num($0.1)]) })))
        }
        let map = tsne(e, rows: p, cols: w, perplexity: Probes.tsnePerplexity(p), rng: rng.split("tsne-" + name))
        fields.append(("tsne", .array(map.points.map { .array([.num($0.0), .num($0.1)]) })))
        fields.append(("tsne_kl", .num(map.klDivergence)))
        if let trainer {
            let s = trainer.sharpness(relative: Probes.sharpnessRelative, samples: Probes.sharpnessSamples, rng: rng.split(name))
            fields.append(("sharpness", .num(s)))
        }
        snapshots.append((name, .object(fields)))
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

    /// Takes back the snapshots of a sidecar taken at or before `step` (the checkpoint's): a resumed
    /// run then writes the same probes.json as an uninterrupted one. Returns their names.
    @discardableResult
    func restore(sidecar data: Data, upTo step: Int) -> [String] {
        func value(_ v: Any) -> JSON? {
            if let s = v as? String, s.hasPrefix("#") { return Double(s.dropFirst()).map { .number($0) } }   // renders as the original did
            if let a = v as? [Any] { let m = a.compactMap(value); return m.count == a.count ? .array(m) : nil }
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
            ("method", .string("spectrum: share of Σ_c |Σ_x E[x,c] e^(−2πikx/p)|² at each frequency k (k and p−k folded), operand embeddings E [p, C]; pca: projection on the two leading eigenvectors of E's covariance; fourier_plane: E's rows (in the Fourier basis's order) projected on the plane of the strongest frequency k (the unit vectors of Σ_x E[x,:] cos(2πkx/p) and sin); tsne: exact t-SNE of E's rows (perplexity min(30, (p−1)/3), 1000 iterations, seeded), tsne_kl its final KL(P‖Q); sharpness: mean increase of the training loss when each parameter tensor moves by a random direction of norm \(Probes.sharpnessRelative) × its norm, over \(Probes.sharpnessSamples) seeded draws")),
            ("fourier_basis", .string(basis)),
            ("resumed_at", resumedAt.map { .int($0) } ?? .null),
            ("note", lost.isEmpty ? .null : .string("resumed from a checkpoint without the probes of \(lost.sorted().joined(separator: ", ")) (taken before the interruption and not kept): they have no snapshot")),
            ("snapshots", .object(snapshots)),
        ])
    }
}

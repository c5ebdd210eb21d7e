// The probes of a steps-axis study (trials run with training.probes: true): how concentrated the operand
// embeddings' Fourier spectrum is over training, the spectrum at initialization, memorization,
// generalization and the end, a 2-D projection of the embeddings before and after, and the sharpness.
import Evaluation
import Foundation
import Studies

enum ProbeSection {
    struct Snapshot { let name: String; let step: Int; let spectrum: [Double]; let top: [Int]; let share: Double; let pca: [(Double, Double)]; let tsne: [(Double, Double)]; let plane: (frequency: Int, points: [(Double, Double)])?; let explained: Double?; let sharpness: Double?; let hessian: Double?; let llc: Double?; let llcSE: Double?; let llcDiverged: Int? }

    static func snapshots(_ url: URL) -> [Snapshot] {
        guard let data = try? Data(contentsOf: url), let doc = JSON.parse(data) as? [String: Any],
              let snaps = doc["snapshots"] as? [String: Any] else { return [] }
        let order = ["init", "memorization", "generalization", "final"]
        return snaps.keys.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }.compactMap { name in
            guard let s = snaps[name] as? [String: Any], let step = s["step"] as? Int else { return nil }
            let spectrum = (s["spectrum"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
            func points(_ key: String) -> [(Double, Double)] {
                (s[key] as? [[Any]] ?? []).compactMap { p -> (Double, Double)? in
                    guard p.count == 2, let x = (p[0] as? NSNumber)?.doubleValue, let y = (p[1] as? NSNumber)?.doubleValue else { return nil }
                    return (x, y)
                }
            }
            return Snapshot(name: name, step: step, spectrum: spectrum, top: s["top5_frequencies"] as? [Int] ?? [],
                            share: (s["top5_share"] as? NSNumber)?.doubleValue ?? 0, pca: points("pca"), tsne: points("tsne"),
                            plane: (s["fourier_plane_frequency"] as? Int).map { ($0, points("fourier_plane")) },
                            explained: (s["pca_explained"] as? NSNumber)?.doubleValue, sharpness: (s["sharpness"] as? NSNumber)?.doubleValue,
                            hessian: (s["hessian_top_eigenvalue"] as? NSNumber)?.doubleValue, llc: (s["llc"] as? NSNumber)?.doubleValue,
                            llcSE: (s["llc_standard_error"] as? NSNumber)?.doubleValue, llcDiverged: s["llc_diverged"] as? Int)
        }
    }

    static func fourierBasis(_ url: URL) -> String? {
        guard let data = try? Data(contentsOf: url), let doc = JSON.parse(data) as? [String: Any] else { return nil }
        return doc["fourier_basis"] as? String
    }

    /// Markdown and figures for the first trial of every configuration that has probes.
    static func section(_ r: StudyResults) -> (section: Section?, figures: [Figure]) {
        var blocks: [Block] = [], figures: [Figure] = []
        for (gi, g) in r.groups.enumerated() {
            guard let t = g.trials.first(where: { FileManager.default.fileExists(atPath: r.store.trialDir($0.id).appendingPathComponent("probes.json").path) }) else { continue }
            let snaps = snapshots(r.store.trialDir(t.id).appendingPathComponent("probes.json"))
            guard !snaps.isEmpty else { continue }
            if blocks.isEmpty {
                blocks.append(.paragraph("Probes of the operand embeddings (trials run with `training.probes: true`): the share of their non-constant Fourier power in the five strongest frequencies, the spectrum, a projection on their two principal components and a t-SNE map (before and after grokking), and the sharpness (mean training-loss increase under random perturbations of 1 % of each tensor's norm) with the training loss's Hessian top eigenvalue, and with `probes.llc` the local learning coefficient (SGLD; its standard error over chains, and how many chains diverged)."))
                // What the probes cost: summary.json's probe_seconds against the trials' wall time.
                let timed = r.summaries.values.compactMap { s in (s.raw["probe_seconds"] as? NSNumber).map { ($0.doubleValue, s.wallSeconds) } }
                let probeTotal = timed.reduce(0) { $0 + $1.0 }, wallTotal = timed.reduce(0) { $0 + $1.1 }
                if !timed.isEmpty, wallTotal > 0 {
                    blocks.append(.paragraph(String(format: "The probes took %.1f s of the %.1f s these %d trials ran (%.1f %%; summary.json's `probe_seconds` against `wall_seconds`).",
                                                    probeTotal, wallTotal, timed.count, 100 * probeTotal / wallTotal)))
                }
            }
            blocks.append(.paragraph("**\(g.key.isEmpty ? "Trial" : g.key) (seed \(t.seedIndex), `\(t.id)`)**"))
            if let basis = fourierBasis(r.store.trialDir(t.id).appendingPathComponent("probes.json")) { blocks.append(.paragraph("Fourier basis: \(basis).")) }
            let hasHessian = snaps.contains { $0.hessian != nil }, hasLLC = snaps.contains { $0.llc != nil || $0.llcDiverged != nil }
            var table = Table(["snapshot", "step", "top-5 share", "strongest frequencies", "PCA variance explained", "sharpness"]
                              + (hasHessian ? ["Hessian top eigenvalue"] : []) + (hasLLC ? ["LLC ± SE (chains diverged)"] : []))
            for s in snaps {
                var row = [s.name, String(s.step), String(format: "%.3f", s.share), s.top.map(String.init).joined(separator: ", "),
                           s.explained.map { String(format: "%.3f", $0) } ?? "—", s.sharpness.map { String(format: "%.3g", $0) } ?? "—"]
                if hasHessian { row.append(s.hessian.map { String(format: "%.4g", $0) } ?? "—") }
                if hasLLC {
                    let value = s.llc.map { v in String(format: "%.3g", v) + (s.llcSE.map { String(format: " ± %.2g", $0) } ?? "") } ?? "—"
                    row.append(value + (s.llcDiverged.map { $0 > 0 ? " (\($0))" : "" } ?? ""))
                }
                table.add(row)
            }
            blocks.append(.table(table))
            // The concentration over training, from the curve.
            if let curve = r.store.curve(t.id), let st = curve.column("step"), let share = curve.column("fourier_top5_share") {
                var c = Chart(title: "Fourier concentration of the embeddings" + (g.key.isEmpty ? "" : " (\(g.key))"), xLabel: "training step (log scale)",
                              yLabel: "top-5 frequency share", xLog: true, yRange: (0, 1))
                c.series.append(Series(name: "top-5 share", points: Array(zip(st, share)), color: Palette.color(0)))
                if let va = curve.column("val_accuracy") { c.series.append(Series(name: "validation accuracy", points: Array(zip(st, va)), color: Palette.color(1), dashed: true)) }
                figures.append(Figure(file: "figures/fourier-share-\(gi + 1).svg", caption: "Share of the embeddings' Fourier power in their five strongest frequencies (solid) and validation accuracy (dashed).", svg: c.svg()))
            }
            var spec = Chart(title: "Embedding spectrum by frequency", xLabel: "frequency k", yLabel: "share of power")
            for (i, s) in snaps.enumerated() where s.name != "final" {
                spec.series.append(Series(name: "\(s.name) (step \(s.step))", points: s.spectrum.enumerated().map { (Double($0.offset), $0.element) }, color: Palette.color(i)))
            }
            figures.append(Figure(file: "figures/spectrum-\(gi + 1).svg", caption: "The spectrum of the operand embeddings at initialization, memorization and generalization.", svg: spec.svg()))
            for s in snaps where (s.name == "memorization" || s.name == "final") && !s.pca.isEmpty {
                var pc = Chart(title: "Embeddings on their first two principal components: \(s.name) (step \(s.step))", xLabel: "PC 1", yLabel: "PC 2")
                pc.series.append(Series(name: "operands 0…\(s.pca.count - 1)", points: s.pca, color: Palette.color(0), dots: true))
                figures.append(Figure(file: "figures/pca-\(s.name)-\(gi + 1).svg", caption: "Operand embeddings projected on their two principal components at \(s.name).", svg: pc.svg()))
            }
            for s in snaps where s.name == "memorization" || s.name == "final" {
                guard let plane = s.plane, !plane.points.isEmpty else { continue }
                var fc = Chart(title: "Embeddings on the plane of frequency \(plane.frequency): \(s.name) (step \(s.step))",
                               xLabel: "along Σ E[x] cos(2πkx/p) (k = \(plane.frequency))", yLabel: "along Σ E[x] sin(2πkx/p)")
                fc.series.append(Series(name: "operands (a circle when the network uses frequency \(plane.frequency))", points: plane.points, color: Palette.color(1), dots: true))
                figures.append(Figure(file: "figures/fourier-plane-\(s.name)-\(gi + 1).svg", caption: "Operand embeddings projected on the cosine and sine directions of their strongest frequency at \(s.name): an embedding that uses the frequency puts the operands on a circle (Nanda et al. 2023).", svg: fc.svg()))
            }
            for s in snaps where (s.name == "memorization" || s.name == "final") && !s.tsne.isEmpty {
                var ts = Chart(title: "t-SNE of the embeddings: \(s.name) (step \(s.step))", xLabel: "t-SNE 1 (arbitrary units)", yLabel: "t-SNE 2 (arbitrary units)")
                ts.series.append(Series(name: "operands 0…\(s.tsne.count - 1)", points: s.tsne, color: Palette.color(2), dots: true))
                figures.append(Figure(file: "figures/tsne-\(s.name)-\(gi + 1).svg", caption: "Operand embeddings mapped by t-SNE (neighbourhoods kept, distances between groups not meaningful) at \(s.name).", svg: ts.svg()))
            }
        }
        return (blocks.isEmpty ? nil : Section("What the network learned", blocks), figures)
    }
}

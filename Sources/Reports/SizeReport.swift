// The report of a size-axis study (model-wise double descent): test and train error against the
// parameter count (log x), the seed mean with every seed, the interpolation thresholds (ε = 0 and
// ε = 0.1) and the peak marked, the exact theory beside the measured curve where it exists (linear
// family, minimum norm), the measures of `doubleDescentMeasures` with bootstrap intervals, and a loud
// note where trials did not converge.
import Analysis
import Evaluation
import Foundation
import Studies
import Training


public enum SizeReportWriter {
    static func f(_ x: Double?, _ d: Int = 3) -> String { Format.fixed(x, d) }

    public static func write(_ r: StudyResults, to out: URL? = nil, formats: ReportFormats = .all, command: String? = nil) throws -> ReportOutput {
        let dir = try ReportWriter.reportDirectory(r, out)
        let s = r.study
        let exps = ExpectationEvaluator.evaluate(r)
        let sizeKey = Schema.sizeKey(s)
        let family = s.shape.familyName
        let linear = family == "linear"
        let errorName = linear ? "excess risk" : "0-1 error"
        var figures: [Figure] = []
        let sampleWise = s.sampleWise
        var line = "Profile: `\(s.profile ?? "default")` · axis: size (`\(sizeKey)`\(sampleWise ? ", sample-wise" : "")) · family: \(family) · trials: \(r.trials.count) (\(r.summaries.count) with results)"
        if let command { line += " · command: `\(command)`" }
        var header = DocumentWriter.header(r, line: line, notReproduced: true)
        let configs = SizeData.configurations(r)
        for c in configs where !c.unconverged.isEmpty {
            let list = c.unconverged.prefix(6).map { "\(sizeKey) = \($0.size) seed \($0.trial.seedIndex)" }.joined(separator: ", ")
            header.blocks.append(.note("**NOT CONVERGED\(c.key.isEmpty ? "" : " (\(c.key))"):** \(c.unconverged.count) of \(c.samples.count) trials did not meet the convergence criterion (\(list)\(c.unconverged.count > 6 ? ", …" : "")). "
                + "Their errors are those of unfinished training, so this curve is NOT a curve of converged models: read the peak and the measures below as unreliable, and raise the step budget."))
        }
        var sections = [header]
        if let e = DocumentWriter.expectations(exps) { sections.append(e) }
        let figuresAt = sections.count   // the figures go before the tables, once all are drawn
        var configsJSON: [JSON] = []
        for (ci, c) in configs.enumerated() {
            if sampleWise {
                let (section, figure, json) = sampleWiseParts(c, index: ci, errorName: errorName)
                sections.append(section)
                figures.append(figure)
                configsJSON.append(json)
                continue
            }
            let title = c.key.isEmpty ? "" : " (\(c.key))"
            var section = Section("Measures\(title)")
            let m = try? c.measures()
            if let m {
                section.blocks.append(.paragraph("Seed-mean curves over \(c.measuredSizes.count) sizes; intervals: 95 % bootstrap over seeds (\(m.resamples) resamples, \(m.resampling.rawValue) across sizes)."))
                let left = c.sizes.count - c.measuredSizes.count
                if left > 0 {
                    section.blocks.append(.paragraph("The \(left) smallest size\(left == 1 ? "" : "s") (\(c.sizes.prefix(left).map(String.init).joined(separator: ", "))) lie left of the classical minimum (the lowest test error below the interpolation threshold; underfitting models); the measures start at \(sizeKey) = \(c.measuredSizes[0]) so that the far-left error is not taken for the peak."))
                }
                var table = Table(["measure", "value", "95 % interval"])
                for t in m.thresholds {
                    table.add(["interpolation threshold (smallest \(sizeKey) with mean train error ≤ \(t.epsilon))", t.size.map { String(Int($0)) } ?? "not reached", "—"])
                }
                if let t0 = m.thresholds.first(where: { $0.epsilon == 0 })?.size, !linear,
                   let k = (c.samples.first.flatMap { r.summaries[$0.trial.id]?.raw["size"] as? [String: Any] }?["classes"] as? Int) {
                    let params = c.parameters(Int(t0))
                    table.add(["ε = 0 threshold in parameters / (n·K)", "\(params) / (\(c.nTrain)·\(k)) = \(f(Double(params) / Double(c.nTrain * k), 2))", "—"])
                }
                // Exact fit: mean squared training residual ≤ 1e-8 (random features), or the linear fit's own interpolation flag.
                func exactFit(_ sm: SizeSample) -> Bool {
                    guard let o = r.summaries[sm.trial.id]?.raw["size"] as? [String: Any] else { return false }
                    if let sq = o["train_squared_error"] as? NSNumber { return sq.doubleValue <= 1e-8 }
                    return family == "linear" && (o["interpolates"] as? Bool ?? false)
                }
                if let exact = c.sizes.first(where: { c.at($0).allSatisfy(exactFit) }) {
                    table.add(["exact fit (smallest \(sizeKey) whose every seed fits its training targets exactly, squared loss)", String(exact), "—"])
                }
                table.add(["test-error peak at \(sizeKey)", "\(Int(m.peakSize))\(m.peakIsInterior ? "" : " (at an end: no interior peak)")", m.peakSizeInterval.map { "[\(Int($0.lower)), \(Int($0.upper))]" } ?? "—"])
                table.add(["peak height (\(errorName))", f(m.peakHeight), Format.interval(m.peakHeightInterval)])
                table.add(["classical minimum (left of the peak)", "\(f(m.classicalMinimum))\(m.classicalMinimumSize.map { " at \(Int($0))" } ?? "")", "—"])
                table.add(["largest model", "\(f(m.farRight)) at \(Int(m.farRightSize))", "—"])
                table.add(["peak / classical minimum", f(m.peakOverClassicalMinimum, 2), Format.interval(m.peakOverClassicalMinimumInterval)])
                table.add(["peak / largest model", f(m.peakOverFarRight, 2), Format.interval(m.peakOverFarRightInterval)])
                section.blocks += [.table(table), .list(m.notes.map { "note: \($0)" })]
            } else {
                section.blocks.append(.paragraph("Too few sizes with results for the measures."))
            }
            var curve = Table([sizeKey, "parameters", "mean test \(errorName)", "seed SD", "mean train error", "seeds (converged)", "test per seed"] + (linear ? ["exact theory"] : []))
            for size in c.sizes {
                let at = c.at(size)
                curve.add([String(size), String(c.parameters(size)), f(c.mean(size)), f(c.sd(size)), f(c.meanTrain(size)), "\(at.count) (\(at.filter(\.converged).count))",
                           at.map { f($0.testError) }.joined(separator: ", ")] + (linear ? [f(c.theory(size).flatMap { $0.isFinite ? $0 : nil })] : []))
            }
            section.blocks.append(.table(curve))
            section.blocks += sizeExtrasBlocks(c, r, sizeKey: sizeKey)
            sections.append(section)

            // The figure: every seed thin, the mean thick, train error dashed, theory in black.
            let sizes = c.sizes
            let px = sizes.map { Double(c.parameters($0)) }
            var cap: Double? = nil
            if linear {
                let finite = sizes.filter { abs($0 - c.nTrain) >= 5 }.map { c.mean($0) } + sizes.compactMap { c.theory($0) }.filter { $0.isFinite && $0 > 0 }
                cap = 1.5 * (finite.filter { $0.isFinite }.sorted().dropLast(max(0, finite.count / 10)).last ?? 1)
            }
            func clip(_ y: Double) -> Double { cap.map { min(y, $0) } ?? y }
            var chart = Chart(title: (linear ? "Test excess risk, measured and exact," : "Test and train \(errorName)") + " against model size" + title, xLabel: "parameters (log scale)",
                              yLabel: linear ? "excess risk" + (cap.map { " (clipped at \(f($0, 2)))" } ?? "") : "error",
                              xLog: true, yRange: cap.map { (0, $0) } ?? (0, 1))
            let seeds = Array(Set(c.samples.map { $0.trial.seedIndex })).sorted()
            for sd in seeds {
                let pts = sizes.compactMap { size -> (Double, Double)? in
                    c.at(size).first { $0.trial.seedIndex == sd }.map { (Double(c.parameters(size)), clip($0.testError)) }
                }
                chart.series.append(Series(name: "test, seed \(sd)", points: pts, color: "#9ecae1", width: 0.8))
            }
            chart.series.append(Series(name: "test, seed mean", points: Array(zip(px, sizes.map { clip(c.mean($0)) })), color: Palette.color(0), width: 2.4))
            if !linear {
                chart.series.append(Series(name: "train (fitted labels), seed mean", points: Array(zip(px, sizes.map { c.meanTrain($0) })), color: Palette.color(1), dashed: true))
            }
            if linear {
                let th = sizes.compactMap { p -> (Double, Double)? in c.theory(p).flatMap { $0.isFinite ? (Double(c.parameters(p)), clip($0)) : nil } }
                chart.series.append(Series(name: "exact min-norm risk (Hastie et al. 2019)", points: th, color: "#000000", dashed: true, width: 1.4))
                addRidgeTheory(&chart, c, clip)
            }
            // One legend entry for all seeds (a study may have hundreds).
            chart.legend = [("test, each seed", "#9ecae1", false)] + chart.series.filter { !$0.name.hasPrefix("test, seed ") || $0.name == "test, seed mean" }.map { ($0.name, $0.color, $0.dashed) }
            var markerNotes: [String] = []
            if let m {
                for (t, color) in zip(m.thresholds, ["#009E73", "#E69F00"]) {
                    if let ts = t.size { chart.markers.append(Marker(x: Double(c.parameters(Int(ts))), label: "threshold ε = \(t.epsilon)", color: color, labeled: true)); markerNotes.append("\(color == "#009E73" ? "green" : "orange"): interpolation threshold ε = \(t.epsilon) (\(sizeKey) = \(Int(ts)))") }
                }
                chart.markers.append(Marker(x: Double(c.parameters(Int(m.peakSize))), label: "peak", color: "#D55E00", labeled: true))
                markerNotes.append("red: test-error peak (\(sizeKey) = \(Int(m.peakSize)))")
            }
            if !c.unconverged.isEmpty { chart.title = "NOT CONVERGED (\(c.unconverged.count) trials): " + chart.title }
            let file = "figures/size-\(ci + 1).svg"
            figures.append(Figure(file: file, caption: "Test \(errorName) (seeds light, mean dark) and train error (dashed) against parameters\(title); dotted verticals: " + markerNotes.joined(separator: "; ") + ".", svg: chart.svg()))

            var cj: [(String, JSON)] = [("configuration", .object(c.point.map { ($0.0, $0.1.jsonValue) })),
                                        ("unconverged_trials", .int(c.unconverged.count)),
                                        ("curve", .array(sizes.map { size in
                                            .object([("size", .int(size)), ("parameters", .int(c.parameters(size))), ("mean_test", .num(c.mean(size))),
                                                     ("sd_test", .num(c.sd(size))), ("mean_train", .num(c.meanTrain(size))), ("seeds", .int(c.at(size).count)),
                                                     ("theory", .num(c.theory(size)))])
                                        }))]
            cj += sizeExtrasJSON(c, r)
            if let m, let data = try? JSONEncoder().encode(m), let obj = JSON.parse(data) { cj.append(("measures", jsonFromFoundation(obj))) }
            configsJSON.append(.object(cj))
        }
        // Size × steps (Nakkiran et al. 2019; Davies et al. 2023), when the trials trained over steps and kept their curves.
        var planeJSON: JSON = .null
        if !sampleWise, let (section, json) = planeSection(r, configs, figures: &figures) {
            sections.append(section)
            planeJSON = json
        }
        sections.insert(Section("Figures", figures.map { .figure($0) }), at: figuresAt)
        let summary = JSON.object([
            ("study", .string(s.name)), ("question", .string(s.question)), ("axis", .string(s.axis)), ("size_key", .string(sizeKey)),
            ("profile", s.profile.map { .string($0) } ?? .null), ("study_hash", .string(s.hash)),
            ("runs", ReportWriter.provenanceJSON(r.store)),
            ("trials", .int(r.trials.count)), ("trials_with_results", .int(r.summaries.count)),
            ("configurations", .array(configsJSON)),
            ("plane", planeJSON),
            ("expectations", ReportWriter.expectationsJSON(exps)),
        ])
        let files = try DocumentWriter.write(ReportDocument(title: s.name, sections: sections), to: dir, formats: formats, summary: summary,
                                             gates: DocumentWriter.gates(exps), suite: s.name)
        return ReportOutput(directory: dir, files: files, expectations: exps)
    }

    /// The fall-rise-fall section of a steps-axis report (epoch-wise double descent): the seed-mean test
    /// error per configuration with the detected shape marked. Nil when the study expects no such shape.
    static func epochWiseSection(_ r: StudyResults, figures: inout [Figure]) -> Section? {
        let proms = r.study.expectations.compactMap { e -> Double? in if case .size(.fallRiseFall(let p)) = e.kind { return p }; return nil }
        guard let prom = proms.first else { return nil }
        let curves = EpochWise.meanErrorCurves(r, trials: r.trials)
        // A regression trained by gradient descent measures its excess risk, not an accuracy.
        let regression = r.trials.first?.spec.fit == .gradientDescent
        let measured = regression ? "the measured excess risk (val_loss) of the regression" : "1 − validation accuracy, clean labels"
        var section = Section("Test error over steps (epoch-wise double descent)", [
            .paragraph("The seed-mean test error (\(measured)) per configuration; a fall-rise-fall counts when its prominence, min(first fall, rise, second fall), is at least \(prom)."),
        ])
        var table = Table(["configuration", "first minimum (step, error)", "bump (step, error)", "second minimum (step, error)", "prominence", "shape"])
        for (i, c) in curves.enumerated() {
            var chart = Chart(title: "Seed-mean test error over steps" + (c.key.isEmpty ? "" : " (\(c.key))"), xLabel: "training step (log scale; step 0 not shown)", yLabel: "test error", xLog: true, yRange: (0, 1))
            chart.series.append(Series(name: "test error, seed mean", points: Array(zip(c.steps, c.error)), color: Palette.color(0), width: 2))
            addEpochWiseTheory(&chart, r, key: c.key)
            if let s = c.shape {
                let yes = s.prominence >= prom
                table.add([c.key.isEmpty ? "—" : c.key, "\(Int(c.steps[s.firstMinimum])), \(f(c.error[s.firstMinimum]))", "\(Int(c.steps[s.peak])), \(f(c.error[s.peak]))",
                           "\(Int(c.steps[s.secondMinimum])), \(f(c.error[s.secondMinimum]))", f(s.prominence), yes ? "**fall-rise-fall**" : "no"])
                if yes {
                    chart.markers = [Marker(x: c.steps[s.firstMinimum], label: "first minimum", color: "#009E73", labeled: true),
                                     Marker(x: c.steps[s.peak], label: "bump", color: "#D55E00", labeled: true),
                                     Marker(x: c.steps[s.secondMinimum], label: "second minimum", color: "#009E73", labeled: true)]
                }
            }
            let what = regression ? "Seed-mean test excess risk over steps" : "Seed-mean test error over steps"
            figures.append(Figure(file: "figures/epochwise-\(i + 1).svg", caption: what + (c.key.isEmpty ? "" : " (\(c.key))") + "; dotted verticals (when the shape holds): first minimum and second minimum (green), the bump (red).", svg: chart.svg()))
        }
        section.blocks.append(.table(table))
        section.blocks += epochWiseTheoryBlocks(r)
        return section
    }
}

/// Foundation JSON objects (from JSONSerialization) to the deterministic JSON value, keys sorted.
func jsonFromFoundation(_ o: Any) -> JSON {
    switch o {
    case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, jsonFromFoundation(d[$0]!)) })
    case let a as [Any]: return .array(a.map(jsonFromFoundation))
    case let s as String: return .string(s)
    case let n as NSNumber:
        if ObjectIdentifier(type(of: n)) == ObjectIdentifier(type(of: NSNumber(value: true))) { return .bool(n.boolValue) }
        return .num(n.doubleValue)
    default: return .null
    }
}

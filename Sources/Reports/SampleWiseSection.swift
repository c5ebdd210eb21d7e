// The sample-wise part of a size report (`size_by: samples`): one model, more and more training
// examples. Per configuration: the measures of `sampleWiseMeasures` (the interpolation limit, where more
// data hurts most and by how much, with bootstrap intervals, what it costs to recover), the curve table,
// and the test and train error against n with the stretch and the limit marked.
import Analysis
import Evaluation
import Foundation
import Studies

extension SizeReportWriter {
    /// The section, figure and summary.json entry of one configuration of a sample-wise study.
    static func sampleWiseParts(_ c: SizeConfiguration, index: Int, errorName: String) -> (Section, Figure, JSON) {
        let title = c.key.isEmpty ? "" : " (\(c.key))"
        let m = try? c.sampleWise()
        var section = Section("Sample-wise measures\(title)")
        let params = c.sizes.first.map { c.parameters($0) }
        section.blocks.append(.paragraph("One model (\(params.map { "\($0) parameters" } ?? "fixed size")) fitted to more and more training examples; each seed's smaller training sets are the first examples of its larger ones (with task.standardize, each scaled by its own statistics). "
            + "More data hurts where the seed-mean test error rises with n (Nakkiran et al. 2019, §7). The stretch is the pair of sizes with the largest rise; its interval is a 95 % bootstrap over seeds, resampled independently per size, re-locating the stretch in each replicate."))
        if let m {
            var table = Table(["measure", "value", "95 % interval"])
            table.add(["interpolation limit (largest n with mean train error 0, then the next n)", "\(m.lastInterpolated.map { String(Int($0)) } ?? "none") → \(m.firstNotInterpolated.map { String(Int($0)) } ?? "—")", "—"])
            if let e = m.lastExactFit { table.add(["exact-fit limit (largest n whose every seed fits its targets exactly, squared loss)", String(Int(e)), "—"]) }
            if let a = m.stretchStart, let b = m.stretchTop {
                table.add(["more data hurts from n", String(Int(a)), intervalOfSizes(m.stretchStartInterval)])
                table.add(["to n (the top)", String(Int(b)), intervalOfSizes(m.stretchTopInterval)])
                table.add(["rise in test \(errorName)", "\(f(c.mean(Int(a)))) → \(f(c.mean(Int(b)))): +\(f(m.rise))", Format.interval(m.riseInterval)])
                table.add(["replicates with a rise", "\(m.replicatesWithRise) of \(m.resamples)", "—"])
                table.add(["data spanned by the stretch", "× \(f(m.dataRatio, 2))", "—"])
                table.add(["recovery (first n after the top back at the start's error)", m.recoverySize.map { "\(Int($0)) = × \(f(m.recoveryRatio, 2)) the start's n" } ?? "not within the sweep", "—"])
            } else {
                table.add(["more data hurts", "nowhere: the seed-mean test error never rises with n", "—"])
            }
            section.blocks += [.table(table), .list(m.notes.map { "note: \($0)" })]
        } else {
            section.blocks.append(.paragraph("Too few sizes with results for the measures."))
        }
        var curve = Table(["n_train", "parameters", "mean test \(errorName)", "seed SD", "mean train error", "seeds (converged)", "test per seed"])
        for size in c.sizes {
            let at = c.at(size)
            curve.add([String(size), String(c.parameters(size)), f(c.mean(size)), f(c.sd(size)), f(c.meanTrain(size)), "\(at.count) (\(at.filter(\.converged).count))",
                       at.map { f($0.testError) }.joined(separator: ", ")])
        }
        section.blocks.append(.table(curve))

        let sizes = c.sizes, xs = sizes.map(Double.init)
        var chart = Chart(title: "Test and train \(errorName) against training examples" + title, xLabel: "training examples n (log scale)", yLabel: "error", xLog: true, yRange: (0, 1))
        for sd in Array(Set(c.samples.map { $0.trial.seedIndex })).sorted() {
            let pts = sizes.compactMap { n in c.at(n).first { $0.trial.seedIndex == sd }.map { (Double(n), $0.testError) } }
            chart.series.append(Series(name: "test, seed \(sd)", points: pts, color: "#9ecae1", width: 0.8))
        }
        chart.series.append(Series(name: "test, seed mean", points: Array(zip(xs, sizes.map { c.mean($0) })), color: Palette.color(0), width: 2.4))
        chart.series.append(Series(name: "train (fitted labels), seed mean", points: Array(zip(xs, sizes.map { c.meanTrain($0) })), color: Palette.color(1), dashed: true))
        chart.legend = [("test, each seed", "#9ecae1", false), ("test, seed mean", Palette.color(0), false), ("train (fitted labels), seed mean", Palette.color(1), true)]
        var notes: [String] = []
        if let m {
            if let l = m.lastExactFit ?? m.lastInterpolated, m.firstNotInterpolated != nil || m.lastExactFit != nil {
                chart.markers.append(Marker(x: l, label: "last n fitted", color: "#009E73", labeled: true))
                notes.append("green: the last n fitted exactly (\(Int(l))\(m.lastExactFit != nil ? ", squared residual 0" : ", every training label"))")
            }
            if let a = m.stretchStart, let b = m.stretchTop {
                chart.markers.append(Marker(x: a, label: "more data hurts from", color: "#E69F00", labeled: true))
                chart.markers.append(Marker(x: b, label: "to", color: "#D55E00", labeled: true))
                notes.append("orange to red: where more data hurts most (n = \(Int(a)) to \(Int(b)))")
            }
        }
        if !c.unconverged.isEmpty { chart.title = "NOT CONVERGED (\(c.unconverged.count) trials): " + chart.title }
        let figure = Figure(file: "figures/sample-wise-\(index + 1).svg",
                            caption: "Test \(errorName) (seeds light, mean dark) and train error (dashed) against the training examples\(title)" + (notes.isEmpty ? "." : "; dotted verticals: " + notes.joined(separator: "; ") + "."),
                            svg: chart.svg())
        var json: [(String, JSON)] = [("configuration", .object(c.point.map { ($0.0, $0.1.jsonValue) })),
                                      ("unconverged_trials", .int(c.unconverged.count)),
                                      ("curve", .array(sizes.map { n in
                                          .object([("n_train", .int(n)), ("parameters", .int(c.parameters(n))), ("mean_test", .num(c.mean(n))),
                                                   ("sd_test", .num(c.sd(n))), ("mean_train", .num(c.meanTrain(n))), ("seeds", .int(c.at(n).count))])
                                      }))]
        if let m, let data = try? JSONEncoder().encode(m), let obj = JSON.parse(data) { json.append(("sample_wise", jsonFromFoundation(obj))) }
        return (section, figure, .object(json))
    }

    /// "[a, b]" of an interval of sizes (whole numbers).
    static func intervalOfSizes(_ i: Interval?) -> String {
        i.map { "[\(Int($0.lower)), \(Int($0.upper))]" } ?? "—"
    }
}

import Analysis
import ArgumentParser
import Foundation
import Reports
import Studies

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the statistics of a results folder: event steps with censoring, transition fits, fitted laws.",
        discussion: """
        Per configuration: k/n reached (Clopper-Pearson), Kaplan-Meier median (when more than half reached), mean (t) and
        median (bootstrap) of the reached steps, the generalization − memorization delay, logistic transition fits.
        Per numeric swept key: power law, exponential and shifted power law of steps-to-generalize, compared by AIC
        (least squares without the censored trials, and a censored-likelihood fit with them), a trend, a log-rank test.
        Exit status: 0, or 64 for a folder that is not a readable results folder or bad arguments.
        """)

    @Argument(help: "A results folder written by 'descent run', e.g. results/grokking-vs-fraction-ci.")
    var directory: String

    @Flag(name: .long, help: "Print the statistics as JSON (sorted keys; every interval with its method and level).")
    var json = false

    @Option(name: .long, help: "Confidence level of every interval, in (0, 1).")
    var level: Double = 0.95

    func validate() throws {
        guard level > 0 && level < 1 else { throw ValidationError("--level must lie strictly between 0 and 1 (0.95 for 95%), not \(level)") }
    }

    func run() throws {
        let store = ResultsStore(root: URL(fileURLWithPath: directory))
        let stats: StudyStatistics
        do {
            let study = try store.loadRecordedStudy()
            let damaged = store.damagedFiles(study.trials)
            if !damaged.isEmpty {
                throw StudyError(nil, "\(damaged.count) damaged file\(damaged.count == 1 ? "" : "s") in '\(directory)':\n  " + damaged.joined(separator: "\n  "),
                                 hint: "remove the damaged trials' folders (trials/<id>) and run the study again into this folder to remake them")
            }
            stats = try StudyStatistics(StudyResults(study: study, store: store), level: level)
        } catch let e as StudyError {
            throw fail(e.description, code: 64)
        }
        if json {
            do {
                print(String(decoding: try stats.json(), as: UTF8.self))
            } catch {
                throw fail("cannot encode the statistics as JSON: \(error)", code: 1)
            }
            return
        }
        print(StatsText(stats).render(), terminator: "")
    }
}

/// The readable form of `StudyStatistics`: one table per event, then delays, transitions and the fits.
struct StatsText {
    let s: StudyStatistics
    init(_ s: StudyStatistics) { self.s = s }

    var pct: String { String(format: "%g%%", s.level * 100) }

    static func g(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "—" }
        if x == x.rounded() && abs(x) < 1e7 { return String(Int(x)) }
        return String(format: "%.4g", x)
    }
    static func iv(_ i: Interval?) -> String {
        guard let i else { return "" }
        return "[\(g(i.lower)), \(g(i.upper))]"
    }
    static func table(_ header: [String], _ rows: [[String]], indent: String = "  ") -> String {
        let all = [header] + rows
        var w = [Int](repeating: 0, count: header.count)
        for r in all { for (j, c) in r.enumerated() where j < w.count { w[j] = max(w[j], c.count) } }
        return all.map { r in
            indent + r.enumerated().map { j, c in j == r.count - 1 ? c : c.padding(toLength: w[j], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
    func config(_ c: ConfigurationStatistics) -> String { c.key.isEmpty ? "(single configuration)" : c.key }

    func render() -> String {
        let g = StatsText.g, iv = StatsText.iv
        var o = "\(s.study)" + (s.profile.map { " (profile \($0))" } ?? "") + " · \(s.trials) trials, \(s.trialsWithResults) with results · intervals at \(pct)\n"
        o += "Event steps: \(s.eventStepMethod).\nCensoring: \(s.censoringMethod).\n"
        for n in s.notes { o += "Note: \(n)\n" }

        for (ei, e) in s.events.enumerated() {
            o += "\n\(e): k/n reached [Clopper-Pearson]; Kaplan-Meier median [Brookmeyer-Crowley, log-log Greenwood]; reached steps only: mean [t], median [bootstrap BCa]\n"
            var rows: [[String]] = []
            for c in s.configurations {
                let ev = c.events[ei]
                // An event on corrupted pairs in a configuration without label noise cannot happen there: n/a, not censored.
                if ev.notApplicable == true {
                    rows.append([config(c), "n/a", "", "—", "—", "—", "no corrupted training pairs here (label noise 0): the event cannot happen"])
                    continue
                }
                let p = ev.reached.map { "\($0.k)/\($0.n)" } ?? "0/0"
                let cp = ev.reached.map { iv($0.interval) } ?? ""
                let m = ev.kaplanMeier.median
                var km = "—"
                if let est = m.estimate {
                    km = g(est) + " " + (m.interval.map(iv) ?? (m.lowerBound.map { "[\(g($0)), not reached)" } ?? ""))
                }
                let r = ev.reachedSteps
                let mean = r.mean.map { g($0) + " " + iv(r.meanInterval) } ?? "—"
                let med = r.median.map { g($0) + " " + iv(r.medianBCaInterval ?? r.medianPercentileInterval) } ?? "—"
                let seeds = ev.trials.map { t in
                    t.reached ? "s\(t.seed) \(t.step!) (\(t.previousEvalStep.map(String.init) ?? "…"), \(t.step!)]" : "s\(t.seed) censored at \(t.censoredAt!)"
                }.joined(separator: "; ")
                rows.append([config(c), p, cp, km, mean, med, seeds])
            }
            o += StatsText.table(["configuration", "k/n", "\(pct) CP", "KM median", "mean", "median", "per seed: step (bracket]"], rows)
        }

        if s.configurations.contains(where: { $0.delay != nil }), let d = s.configurations.first?.delay {
            o += "\nDelay \(d.definition) (trials that reached both): mean [t], median [bootstrap BCa]\n"
            o += StatsText.table(["configuration", "n", "mean", "median", "values"], s.configurations.map { c in
                let x = c.delay!.summary
                return [config(c), String(x.n), x.mean.map { g($0) + " " + iv(x.meanInterval) } ?? "—",
                        x.median.map { g($0) + " " + iv(x.medianBCaInterval ?? x.medianPercentileInterval) } ?? "—",
                        x.values.map(g).joined(separator: ", ")]
            })
        }

        o += "\nTransition: logistic of val_accuracy in log10 steps; midpoint (steps) [covariance-t, back-transformed], width (decades)\n"
        var trows: [[String]] = []
        var skipped: [String] = []
        for c in s.configurations {
            let t = c.transition
            let m = t.midpoints
            trows.append([config(c), "\(t.fits.count)/\(c.trialsWithResults)",
                          m.median.map { g($0) + " " + iv(m.medianBCaInterval ?? m.medianPercentileInterval) } ?? "—",
                          t.widths.median.map(g) ?? "—",
                          t.fits.map { "s\($0.seed) \(g($0.midpointSteps)) \(iv($0.midpointInterval)) w \(String(format: "%.3g", $0.width.estimate))" }.joined(separator: "; ")])
            skipped += t.skipped.map { "  \(config(c)) trial \($0.trial): \($0.reason)" }
        }
        o += StatsText.table(["configuration", "fitted", "median midpoint", "median width", "per seed: midpoint [interval] width"], trows)
        if !skipped.isEmpty { o += "  not used:\n" + skipped.map { "  " + $0 + "\n" }.joined() }

        for sw in s.sweeps { o += sweep(sw) }
        return o
    }

    func parameters(_ f: LawFit) -> String {
        f.parameters.map { p in
            "\(p.name) = \(StatsText.g(p.estimate))" + (p.standardError.map { " ± \(StatsText.g($0))" } ?? "") + (p.interval.map { " " + StatsText.iv($0) } ?? "")
        }.joined(separator: "; ")
    }

    func fitTable(_ fits: [LawFit], r2: Bool) -> String {
        var rows: [[String]] = []
        for f in fits {
            var row = [f.formula, StatsText.g(f.aic), f.deltaAIC.map { String(format: "%.2f", $0) } ?? "—",
                       f.akaikeWeight.map { String(format: "%.3f", $0) } ?? "—", String(f.n)]
            if r2 { row.append(f.rSquared.map { String(format: "%.3f", $0) } ?? "—") }
            row.append(f.sigma.map { String(format: "%.3g", $0) } ?? "—")
            row.append((f.converged ? "" : "(stopped: \(f.note.components(separatedBy: ";")[0])) ") + parameters(f))
            rows.append(row)
        }
        var header = ["law", "AIC", "ΔAIC", "weight", "n"]
        if r2 { header.append("R² (log T)") }
        header += ["σ (log T)", "parameters: estimate ± SE [\(pct) interval]"]
        var out = StatsText.table(header, rows, indent: "    ")
        let methods = Set(fits.flatMap { $0.parameters.compactMap { $0.interval?.method } }).sorted()
        if !methods.isEmpty { out += "    intervals: " + methods.joined(separator: "; ") + "\n" }
        return out
    }

    func sweep(_ w: SweepStatistics) -> String {
        var o = "\n"
        if let event = w.event {
            let cx = w.points.filter(\.censored).map { StatsText.g($0.x) }
            o += "\(event) step against \(w.key): \(w.points.count) trials, \(w.observed) reached, \(w.censored) censored"
            o += cx.isEmpty ? "\n" : " (at \(w.key) = \(cx.joined(separator: ", ")), each at its steps_run)\n"
        } else {
            o += "\(w.key):\n"
        }
        if let c = w.laws {
            o += "  Least squares in log T, censored trials excluded; ranked by \(c.criterion); best: \(c.best?.formula ?? "none")\n"
            o += fitTable(c.fits, r2: true)
            if !c.censoredFits.isEmpty {
                o += "  Censored likelihood (Tobit) in log T, censored trials as T > steps_run; best: \(c.bestCensored?.formula ?? "none")\n"
                o += fitTable(c.censoredFits, r2: false)
            }
            for f in c.failures { o += "  not fitted: \(f)\n" }
            for n in c.notes { o += "  note: \(n)\n" }
        }
        if let t = w.trend {
            o += "  trend of the reached steps (censored trials left out): \(t.direction.rawValue) at \(pct) — \(t.reason)\n"
            if let sl = t.slope { o += "    slope of \(t.yScale) \(w.event ?? "") step per unit of \(w.key): \(StatsText.g(sl.estimate)) \(StatsText.iv(sl.interval))\n" }
            o += "    \(w.trendNote)\n"
        }
        if let t = w.rankTrend { o += "  " + t.sentence + "\n" }
        for lr in w.logRank {
            let chi = lr.test.chiSquare.map { String(format: "%.3f", $0) } ?? "—"
            let p = lr.test.pValue.map { String(format: "%.3g", $0) } ?? "—"
            o += "  log-rank \(lr.event), \(lr.first) (\(lr.trials[0]) trials) vs \(lr.last) (\(lr.trials[1])): observed \(lr.test.observed), expected [\(lr.test.expected.map { String(format: "%.2f", $0) }.joined(separator: ", "))], χ² = \(chi) (1 dof), p = \(p)\n"
        }
        for n in w.notes { o += "  note: \(n)\n" }
        return o
    }
}

// StudyStatistics on results folders with known answers: hand-made trial folders (summary.json with
// chosen event steps, censored ones included; curve.csv with logistic rises), a real tiny study trained
// through StudyRunner, and the built `descent stats` binary.
import Analysis
import Foundation
import Reports
import Studies
import XCTest

/// What one hand-made trial holds.
struct FakeTrial {
    var status = "done"
    var stepsRun: Int
    /// event name -> (step, previous evaluation step); absent: censored at stepsRun.
    var events: [String: (Int, Int?)]
    /// (step, val_accuracy) rows of curve.csv.
    var curve: [(Int, Double)]
}

enum Fixture {
    static func tempDir(_ name: String) -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("descent-stats-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// A results folder for `yaml` whose trials are written by `make` (nil: the trial has no result).
    static func folder(_ name: String, _ yaml: String, _ make: (Trial) -> FakeTrial?) throws -> (StudyResults, URL) {
        let root = tempDir(name)
        let file = root.appendingPathComponent("\(name).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let study = try StudyParser.parse(yaml, file: file.path)
        let store = ResultsStore(root: root.appendingPathComponent("results"))
        try store.prepare(study, sourceText: yaml, force: false)
        for t in study.trials {
            guard let f = make(t) else { continue }
            let dir = store.trialDir(t.id)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try "{\"id\": \"\(t.id)\"}\n".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            var csv = "step,train_loss,train_accuracy,val_loss,val_accuracy,weight_norm,lr\n"
            for (s, a) in f.curve { csv += "\(s),0.1,1,0.5,\(a),10,0.001\n" }
            try csv.write(to: dir.appendingPathComponent("curve.csv"), atomically: true, encoding: .utf8)
            let events = study.events.map(\.name).map { e -> String in
                if let (step, prev) = f.events[e] {
                    return "\"\(e)\": {\"step\": \(step), \"previous_eval_step\": \(prev.map(String.init) ?? "null"), \"censored\": false, \"censored_at\": null}"
                }
                return "\"\(e)\": {\"step\": null, \"previous_eval_step\": null, \"censored\": true, \"censored_at\": \(f.stepsRun)}"
            }.joined(separator: ", ")
            let summary = """
            {"id": "\(t.id)", "study": "\(study.name)", "status": "\(f.status)", "seed_index": \(t.seedIndex), "steps_run": \(f.stepsRun),
             "parameter_count": 100, "events": {\(events)}, "final": {"val_accuracy": 0.5}, "wall_seconds": 1.0}
            """
            try summary.write(to: dir.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        }
        return (StudyResults(study: study, store: store), store.root)
    }

    /// Evaluation steps 0, then 40 points log-spaced from 10 to `last`.
    static func steps(upTo last: Int) -> [Int] {
        [0] + (0..<40).map { Int((10 * pow(Double(last) / 10, Double($0) / 39)).rounded()) }
    }

    /// Validation accuracy rising from 0.05 to 1 as a logistic in log10 steps around `mid` steps.
    static func logistic(mid: Double, width: Double = 0.08, upTo last: Int) -> [(Int, Double)] {
        steps(upTo: last).map { s in
            let l = s > 0 ? log10(Double(s)) : 0
            return (s, 0.05 + 0.95 / (1 + exp(-(l - log10(mid)) / width)))
        }
    }

    /// One configuration, five seeds, a hand-made set of generalization steps with two censored trials:
    /// 100, censored at 150 (diverged), 200, 300, censored at 1000. Memorization at 50 in every trial.
    static let kmStudy = """
    name: km
    task: { modulus: 11 }
    model: { width: 32 }
    training: { max_steps: 1000 }
    seeds: 5
    events:
      memorization:   { metric: train_accuracy, at_least: 0.99 }
      generalization: { metric: val_accuracy,   at_least: 0.99 }
    """

    static func kmFolder() throws -> (StudyResults, URL) {
        try folder("km", kmStudy) { t in
            let memo = (50, Optional(40))
            switch t.seedIndex {
            case 0: return FakeTrial(stepsRun: 1000, events: ["memorization": memo, "generalization": (100, 80)], curve: logistic(mid: 200, upTo: 1000))
            case 1: return FakeTrial(status: "diverged", stepsRun: 150, events: ["memorization": memo], curve: logistic(mid: 398, upTo: 150))
            case 2: return FakeTrial(stepsRun: 1000, events: ["memorization": memo, "generalization": (200, 180)], curve: logistic(mid: 251, upTo: 1000))
            case 3: return FakeTrial(stepsRun: 1000, events: ["memorization": memo, "generalization": (300, 250)], curve: logistic(mid: 316, upTo: 1000))
            default: return FakeTrial(stepsRun: 1000, events: ["memorization": memo], curve: steps(upTo: 1000).map { ($0, 0.1) })
            }
        }
    }

    /// Steps-to-generalize T = 1000 x^-2 times a deterministic factor within ±7%; at x = 0.2 (T = 25 000)
    /// the 20 000-step budget runs out, so those three trials are censored at 20 000.
    static let lawStudy = """
    name: laws
    task: { modulus: 11 }
    model: { width: 32 }
    training: { max_steps: 20000 }
    sweep:
      task.train_fraction: [0.2, 0.3, 0.45, 0.6, 0.8]
    seeds: 3
    events:
      memorization:   { metric: train_accuracy, at_least: 0.99 }
      generalization: { metric: val_accuracy,   at_least: 0.99 }
    """

    static func lawStep(_ t: Trial) -> Double {
        let x = t.config["task.train_fraction"]!.asDouble!
        let noise = exp(0.07 * sin(7 * x * 10 + 3 * Double(t.seedIndex)))
        return 1000 * pow(x, -2) * noise
    }

    static func lawFolder() throws -> (StudyResults, URL) {
        try folder("laws", lawStudy) { t in
            let T = lawStep(t)
            if T > 20000 { return FakeTrial(stepsRun: 20000, events: ["memorization": (20, 10)], curve: steps(upTo: 20000).map { ($0, 0.1) }) }
            let step = Int(T.rounded())
            return FakeTrial(stepsRun: step + 200, events: ["memorization": (20, 10), "generalization": (step, step - 50)],
                             curve: logistic(mid: T * 0.9, upTo: step + 200))
        }
    }
}

final class StatisticsTests: XCTestCase {
    func testCensoredTrialsCountInKOfNButNotInStepSummaries() throws {
        let (results, _) = try Fixture.kmFolder()
        let stats = try StudyStatistics(results)
        XCTAssertEqual(stats.configurations.count, 1)
        let gen = stats.configurations[0].events.first { $0.event == "generalization" }!
        XCTAssertEqual(gen.reached?.k, 3)
        XCTAssertEqual(gen.reached?.n, 5)
        XCTAssertEqual(gen.censored, 2)
        // Clopper-Pearson 3 of 5 at 95% (tabulated: 0.1466, 0.9473).
        XCTAssertEqual(gen.reached!.interval.lower, 0.146632, accuracy: 1e-6)
        XCTAssertEqual(gen.reached!.interval.upper, 0.947255, accuracy: 1e-6)
        // Only reached steps are summarized: the budgets (150, 1000) never enter.
        XCTAssertEqual(gen.reachedSteps.n, 3)
        XCTAssertEqual(gen.reachedSteps.values, [100, 200, 300])
        XCTAssertEqual(gen.reachedSteps.mean!, 200, accuracy: 1e-12)
        XCTAssertEqual(gen.reachedSteps.median!, 200, accuracy: 1e-12)
        // Censored trials are censored at their own steps_run (150 for the diverged one).
        XCTAssertEqual(gen.trials.filter { !$0.reached }.map { $0.censoredAt! }.sorted(), [150, 1000])
        XCTAssertEqual(gen.trials.first { $0.seed == 1 }?.status, "diverged")
        // The bracket of each reached step is kept.
        let s0 = gen.trials.first { $0.seed == 0 }!
        XCTAssertEqual(s0.step, 100)
        XCTAssertEqual(s0.previousEvalStep, 80)
        XCTAssertEqual(gen.method, "first evaluation step at which the event held; bracket (previous evaluation, step]")
    }

    func testKaplanMeierMedianOnAHandMadeSet() throws {
        // S(100) = 4/5, censored at 150, S(200) = 4/5 · 2/3 = 0.533, S(300) = 0.533 · 1/2 = 0.267: median 300
        // (the naive median of the reached steps would say 200).
        let (results, _) = try Fixture.kmFolder()
        let gen = try StudyStatistics(results).configurations[0].events.first { $0.event == "generalization" }!
        XCTAssertEqual(gen.kaplanMeier.median.estimate, 300)
        XCTAssertEqual(gen.kaplanMeier.survival(at: 250), 0.8 * 2 / 3, accuracy: 1e-12)
        XCTAssertEqual(gen.kaplanMeier.n, 5)
        XCTAssertEqual(gen.kaplanMeier.events, 3)
    }

    func testNoMedianWhenHalfOrFewerReached() throws {
        // In the law folder, x = 0.2 has 0 of 3 reached; x = 0.3 has 3 of 3.
        let (results, _) = try Fixture.lawFolder()
        let stats = try StudyStatistics(results)
        let low = stats.configurations[0].events.first { $0.event == "generalization" }!
        XCTAssertEqual(low.reached?.k, 0)
        XCTAssertNil(low.kaplanMeier.median.estimate)
        XCTAssertTrue(low.kaplanMeier.median.note.contains("not more than half"))
        XCTAssertEqual(low.reachedSteps.n, 0)
        XCTAssertNil(low.reachedSteps.mean)
        let next = stats.configurations[1].events.first { $0.event == "generalization" }!
        XCTAssertEqual(next.reached?.k, 3)
        XCTAssertNotNil(next.kaplanMeier.median.estimate)
    }

    func testDelayIsGeneralizationMinusMemorizationWhereBothReached() throws {
        let (results, _) = try Fixture.kmFolder()
        let d = try StudyStatistics(results).configurations[0].delay!
        XCTAssertEqual(d.definition, "generalization − memorization")
        XCTAssertEqual(d.summary.values, [50, 150, 250])
        XCTAssertEqual(d.trials.count, 3)
        XCTAssertEqual(d.summary.mean!, 150, accuracy: 1e-12)
    }

    func testTransitionFitsRecoverMidpointsAndRecordSkippedCurves() throws {
        let (results, _) = try Fixture.kmFolder()
        let tr = try StudyStatistics(results).configurations[0].transition
        let bySeed = Dictionary(uniqueKeysWithValues: tr.fits.map { ($0.seed, $0) })
        XCTAssertEqual(Set(bySeed.keys), [0, 2, 3], "fits: \(tr.fits.map(\.seed)), skipped: \(tr.skipped)")
        for (seed, mid) in [(0, 200.0), (2, 251.0), (3, 316.0)] {
            XCTAssertEqual(bySeed[seed]!.midpointSteps, mid, accuracy: mid * 0.005)
            XCTAssertEqual(bySeed[seed]!.width.estimate, 0.08, accuracy: 0.002)
            XCTAssertTrue(bySeed[seed]!.midpointInterval!.contains(bySeed[seed]!.midpointSteps))
        }
        // The flat curve (seed 4) and the diverged trial's foot-of-the-curve (seed 1) are skipped, with a reason.
        let skippedIds = Set(tr.skipped.map(\.trial))
        let ids = Dictionary(uniqueKeysWithValues: results.trials.map { ($0.seedIndex, $0.id) })
        XCTAssertEqual(skippedIds, [ids[1]!, ids[4]!], "skipped: \(tr.skipped)")
        XCTAssertTrue(tr.skipped.allSatisfy { !$0.reason.isEmpty })
        XCTAssertEqual(tr.midpoints.n, 3)
    }

    func testLawFitRecoversThePowerLawExponentWithCensoredPointsFlagged() throws {
        let (results, _) = try Fixture.lawFolder()
        let stats = try StudyStatistics(results)
        XCTAssertEqual(stats.sweeps.count, 1)
        let sw = stats.sweeps[0]
        XCTAssertEqual(sw.key, "task.train_fraction")
        XCTAssertEqual(sw.event, "generalization")
        XCTAssertEqual(sw.points.count, 15)
        XCTAssertEqual(sw.censored, 3)
        XCTAssertTrue(sw.points.filter(\.censored).allSatisfy { $0.x == 0.2 && $0.t == 20000 })
        let laws = try XCTUnwrap(sw.laws)
        XCTAssertEqual(laws.excluded.count, 3)
        XCTAssertTrue(laws.notes.contains { $0.contains("3 censored point(s)") })
        let power = try XCTUnwrap(laws.fits.first { $0.law == .powerLaw })
        XCTAssertEqual(power.n, 12)
        let b = try XCTUnwrap(power.parameters.first { $0.name == "b" })
        XCTAssertEqual(b.estimate, -2, accuracy: 0.1)
        XCTAssertTrue(b.interval!.contains(-2), "b interval \(b.interval!)")
        let a = try XCTUnwrap(power.parameters.first { $0.name == "a" })
        XCTAssertEqual(a.estimate, 1000, accuracy: 100)
        // Power law beats the exponential on data made by a power law.
        let expo = try XCTUnwrap(laws.fits.first { $0.law == .exponential })
        XCTAssertLessThan(power.aic!, expo.aic!)
        XCTAssertEqual(laws.fits.compactMap(\.akaikeWeight).reduce(0, +), 1, accuracy: 1e-9)
        // The censored-likelihood fit uses all 15 points, the 3 censored ones as T > 20 000.
        let tobit = try XCTUnwrap(laws.censoredFits.first { $0.law == .powerLaw })
        XCTAssertEqual(tobit.n, 15)
        XCTAssertEqual(tobit.censoredUsed, 3)
        XCTAssertEqual(tobit.parameters.first { $0.name == "b" }!.estimate, -2, accuracy: 0.1)
        // The trend over the reached trials is decreasing; log-rank first vs last value sees 0 vs 3 events.
        XCTAssertEqual(sw.trend?.direction, .decreasing)
        let lr = try XCTUnwrap(sw.logRank.first { $0.event == "generalization" })
        XCTAssertEqual(lr.test.observed, [0, 3])
        XCTAssertLessThan(lr.test.pValue!, 0.05)
    }

    /// Every dictionary that looks like an interval, and every value under a key naming one, must carry
    /// method and level; no number may be non-finite.
    func checkIntervals(_ x: Any, path: String, level: Double, found: inout Int) {
        if let d = x as? [String: Any] {
            if d["lower"] != nil || d["upper"] != nil {
                found += 1
                XCTAssertTrue((d["method"] as? String).map { !$0.isEmpty } ?? false, "\(path) has no method")
                XCTAssertEqual(d["level"] as? Double, level, "\(path) level")
            }
            for (k, v) in d {
                if k.lowercased().hasSuffix("interval") {
                    XCTAssertNotNil((v as? [String: Any])?["method"], "\(path).\(k) is not an interval with a method")
                }
                checkIntervals(v, path: path + "." + k, level: level, found: &found)
            }
        } else if let a = x as? [Any] {
            for (i, v) in a.enumerated() { checkIntervals(v, path: "\(path)[\(i)]", level: level, found: &found) }
        } else if let n = x as? Double {
            XCTAssertTrue(n.isFinite, "\(path) = \(n)")
        }
    }

    func testJSONHasNoNaNAndEveryIntervalHasMethodAndLevel() throws {
        for (results, _) in [try Fixture.kmFolder(), try Fixture.lawFolder()] {
            let stats = try StudyStatistics(results, level: 0.9)
            let data = try stats.json()
            let text = String(decoding: data, as: UTF8.self)
            XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"))
            let obj = try JSONSerialization.jsonObject(with: data)
            var found = 0
            checkIntervals(obj, path: "$", level: 0.9, found: &found)
            XCTAssertGreaterThan(found, 10)
            // Keys are sorted.
            let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { String($0.dropFirst(3).prefix { $0 != "\"" }) }
            XCTAssertEqual(keys, keys.sorted())
            // It decodes back.
            let back = try JSONDecoder().decode(StudyStatistics.self, from: data)
            XCTAssertEqual(back.configurations.count, stats.configurations.count)
        }
    }

    func testDamagedSummaryIsAnError() throws {
        let (results, _) = try Fixture.kmFolder()
        let id = results.trials[0].id
        try "{ not json".write(to: results.store.trialDir(id).appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        let reloaded = StudyResults(study: results.study, store: results.store)
        XCTAssertThrowsError(try StudyStatistics(reloaded)) { e in
            XCTAssertTrue("\(e)".contains(id), "\(e)")
        }
    }

    func testMissingTrialsAreLeftOutAndNamed() throws {
        let (results, _) = try Fixture.folder("partial", Fixture.kmStudy) { t in
            t.seedIndex < 2 ? FakeTrial(stepsRun: 1000, events: ["memorization": (50, 40), "generalization": (100 * (t.seedIndex + 1), nil)],
                                        curve: Fixture.logistic(mid: 100, upTo: 1000)) : nil
        }
        let stats = try StudyStatistics(results)
        XCTAssertEqual(stats.trialsWithResults, 2)
        XCTAssertEqual(stats.missing.count, 3)
        let gen = stats.configurations[0].events.first { $0.event == "generalization" }!
        XCTAssertEqual(gen.reached?.n, 2)
        XCTAssertNil(gen.trials.first { $0.seed == 0 }!.previousEvalStep)   // held at the first evaluation
    }

    func testARealTinyStudy() throws {
        let yaml = """
        name: tiny
        task: { modulus: 11 }
        model: { width: 32, embedding: 16 }
        training: { max_steps: 300, eval: { schedule: log, points: 30 } }
        sweep:
          task.train_fraction: [0.5, 0.8]
        seeds: 2
        """
        let root = Fixture.tempDir("tiny")
        let study = try StudyParser.parse(yaml, file: root.appendingPathComponent("tiny.yaml").path)
        let store = ResultsStore(root: root.appendingPathComponent("results"))
        try store.prepare(study, sourceText: yaml, force: false)
        let report = StudyRunner(study: study, store: store, jobs: 1).run()
        XCTAssertEqual(report.failed.count, 0, "\(report.failed)")
        let results = StudyResults(study: study, store: store)
        XCTAssertEqual(results.summaries.count, 4)
        let stats = try StudyStatistics(results)
        XCTAssertEqual(stats.configurations.count, 2)
        for c in stats.configurations {
            for e in c.events {
                let sums = c.trialIds.map { results.summaries[$0]! }
                XCTAssertEqual(e.reached?.n, 2)
                XCTAssertEqual(e.reached?.k, sums.filter { $0.events[e.event]?.step != nil }.count)
                for o in e.trials {
                    let sm = results.summaries[o.trial]!
                    if o.reached {
                        XCTAssertEqual(o.step, sm.events[e.event]?.step)
                        if let p = o.previousEvalStep { XCTAssertLessThan(p, o.step!) }
                    } else {
                        XCTAssertEqual(o.censoredAt, sm.stepsRun)
                    }
                }
                XCTAssertEqual(e.reachedSteps.n, e.reached?.k)
            }
            XCTAssertEqual(c.transition.fits.count + c.transition.skipped.count, 2)
        }
        XCTAssertNoThrow(try stats.json())
    }

    /// Issue 16: the report printed two Spearman values (censored trials ranked last in the gate, left out
    /// in the trend) without saying which was which. The gate and the sweep statistics now share one test
    /// (`RankTrend`), and every Spearman the report prints names its variant.
    func testTrendExpectationAndStatisticsShareOneRankTrendAndTheReportNamesEachVariant() throws {
        let yaml = Fixture.lawStudy + "\nexpect:\n  - { trend: { x: task.train_fraction, y: generalization_step }, direction: decreasing, confidence: 0.95 }\n"
        let (r, dir) = try Fixture.folder("lawtrend", yaml) { t in
            let T = Fixture.lawStep(t)
            if T > 20000 { return FakeTrial(stepsRun: 20000, events: ["memorization": (20, 10)], curve: Fixture.steps(upTo: 20000).map { ($0, 0.1) }) }
            let step = Int(T.rounded())
            return FakeTrial(stepsRun: step + 200, events: ["memorization": (20, 10), "generalization": (step, step - 50)], curve: Fixture.logistic(mid: T * 0.9, upTo: step + 200))
        }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let gate = try XCTUnwrap(ExpectationEvaluator.evaluate(r).first)
        let stats = try StudyStatistics(r)
        let rank = try XCTUnwrap(stats.sweeps.first?.rankTrend)
        XCTAssertEqual(rank.censored, 3)
        XCTAssertEqual(rank.n, 15)
        XCTAssertTrue(gate.passed, gate.detail)
        XCTAssertTrue(gate.detail.contains(String(format: "= %.3f over %d trials", rank.rho, rank.n)), gate.detail)
        XCTAssertTrue(gate.detail.contains(String(format: "p = %.4f", rank.pDecreasing)), gate.detail)
        // The trend verdict leaves the censored trials out: a different ρ, over 12 trials.
        XCTAssertEqual(stats.sweeps[0].trend?.spearman.n, 12)

        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"), formats: [.md])
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        let spearmanLines = md.split(separator: "\n").filter { $0.contains("Spearman") }
        XCTAssertGreaterThanOrEqual(spearmanLines.count, 3, md)
        for line in spearmanLines {
            XCTAssertTrue(line.contains("ranked last") || line.contains("left out"), "a Spearman value without its variant: \(line)")
        }
        XCTAssertTrue(md.contains("censored trials ranked last"), md)
        XCTAssertTrue(md.contains("censored trials left out: 3"), md)
        // Numbers are rounded where printed: no run of ten or more decimals (0.050000000000000044).
        XCTAssertNil(md.range(of: #"\d\.\d{10,}"#, options: .regularExpression), md)
        // Log-rank labels name a key's value once ("task.train_fraction = task.train_fraction=0.2" was printed).
        XCTAssertFalse(md.contains("task.train_fraction = task.train_fraction"), md)
    }

    /// Data efficiency (Evaluation's DataEfficiencyAnalysis, rendered by the report): per seed the smallest
    /// fraction that generalized, the median only when more than half of the seeds found one, and the range.
    func testDataEfficiencyTakesTheSmallestFractionPerSeed() throws {
        let yaml = """
        name: efficiency
        task: { modulus: 11 }
        model: { width: 32 }
        training: { max_steps: 1000 }
        sweep:
          task.operation: [x+y, x-y]
          task.train_fraction: [0.3, 0.5, 0.7]
        seeds: 2
        events:
          memorization:   { metric: train_accuracy, at_least: 0.99 }
          generalization: { metric: val_accuracy,   at_least: 0.99 }
        """
        // x+y: seed 0 from 0.3, seed 1 from 0.5. x-y: seed 0 only at 0.7, seed 1 never.
        let (r, dir) = try Fixture.folder("efficiency", yaml) { t in
            let f = t.config["task.train_fraction"]!.asDouble!
            let plus = t.config["task.operation"]!.description == "x+y"
            let generalizes = plus ? f >= (t.seedIndex == 0 ? 0.3 : 0.5) : (t.seedIndex == 0 && f >= 0.7)
            return FakeTrial(stepsRun: 1000, events: generalizes ? ["memorization": (20, 10), "generalization": (500, 400)] : ["memorization": (20, 10)],
                             curve: Fixture.steps(upTo: 1000).map { ($0, 0.5) })
        }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let d = try XCTUnwrap(DataEfficiencyAnalysis(r))
        XCTAssertEqual(d.otherKey, "task.operation")
        XCTAssertEqual(d.fractions, [0.3, 0.5, 0.7])
        XCTAssertEqual(d.rows.map(\.value), ["x+y", "x-y"])
        XCTAssertEqual(d.rows[0].reached, [1, 2, 2])
        XCTAssertEqual(d.rows[0].trials, [2, 2, 2])
        XCTAssertEqual(d.rows[0].smallestPerSeed, [0.3, 0.5])
        XCTAssertEqual(d.rows[0].median, 0.4)
        XCTAssertEqual(d.rows[1].smallestPerSeed, [0.7, nil])
        XCTAssertNil(d.rows[1].median, "one seed of two is not more than half")
        XCTAssertEqual(d.rows[1].min, 0.7)
        let out = try ReportWriter.write(r, to: dir.appendingPathComponent("report"), formats: [.md])
        let md = try String(contentsOf: out.directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| x+y | 1/2 | 2/2 | 2/2 | 0.3, 0.5 | 0.4 | 0.3–0.5 |"), md)
        XCTAssertTrue(md.contains("| x-y | 0/2 | 0/2 | 1/2 | 0.7, none | — | 0.7–0.7 (1 seed(s): none) |"), md)
    }

    // MARK: - The binary

    func descentBinary() throws -> URL {
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("descent"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("descent"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("descent"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/release/descent"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("no descent executable next to the tests (looked in \(candidates.map(\.path)))")
        }
        return found
    }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = try descentBinary()
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testBinaryStatsJSON() throws {
        let (_, dir) = try Fixture.lawFolder()
        let r = try run(["stats", dir.path, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(obj["study"] as? String, "laws")
        let sweeps = try XCTUnwrap(obj["sweeps"] as? [[String: Any]])
        XCTAssertEqual(sweeps.first?["censored"] as? Int, 3)
        var found = 0
        checkIntervals(obj, path: "$", level: 0.95, found: &found)
        XCTAssertGreaterThan(found, 10)

        let text = try run(["stats", dir.path])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.contains("T = a x^b"), text.out)
        XCTAssertTrue(text.out.contains("censored at 20000"), text.out)
        XCTAssertTrue(text.out.contains("ΔAIC"), text.out)
    }

    func testBinaryRejectsAMalformedFolderWith64() throws {
        let empty = Fixture.tempDir("empty")
        let r = try run(["stats", empty.path])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("not a descent results folder"), r.err)
        let (_, dir) = try Fixture.kmFolder()
        let bad = try run(["stats", dir.path, "--level", "1.5"])
        XCTAssertEqual(bad.status, 64, bad.err)
    }
}

// The shipped studies' ci profiles through the real binary, one test each, in one working folder
// (results/<study>-ci, with studies/ linked in) shared by the class: the contrast's ci profile trains its
// size, steps, bridge and more-data studies into the folders of their own ci runs, and reuses those the
// steps studies' tests left (or the other way round, whichever runs first). Each test passes alone
// (`swift test --filter ShippedStudiesTests/testGrokkingVsFraction`). The size-axis studies' ci
// profiles are run in-process by ReportsTests (SizeReportTests, TeacherStudyTests), and here through the
// binary only to compare them with their baselines.
//
// Every ci run here is compared with its committed baseline (results/reference/<study>/ci.tar.gz, made by
// scripts/ci-baselines) by `descent compare`: the same code gives "identical". Runs and baselines use
// OpenBLAS's Haswell kernel, which every CPU with AVX2 runs, so the bits do not depend on the machine; on
// a CPU without AVX2 the runs use another kernel, and only "no better, worse or changed" is asserted.
import Foundation
import XCTest

final class ShippedStudiesTests: XCTestCase {
    /// The shipped steps-axis studies that gate, each with its test below (kept complete by
    /// testEveryShippedStepsStudyHasItsTest). A study marked not_reproduced fails its gate by design;
    /// SizeReportTests measures it.
    static let stepsStudies = [
        "data-efficiency-operations", "epochwise-double-descent-linear", "grokking-modular-addition", "grokking-regularization",
        "grokking-transformer-nanda", "grokking-transformer-power", "grokking-vs-dataset-size", "grokking-vs-fraction",
        "grokking-interventions", "grokking-without-weight-decay", "grokfast-transformer", "grokking-progress-measures",
        "grokking-label-noise", "grokking-mlp-modular",
    ]

    /// The class's working folder, made on first use and removed after the last test.
    static let work: URL = {
        let dir = temporaryDirectory()
        try? FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("studies"), withDestinationURL: packageRoot().appendingPathComponent("studies"))
        return dir
    }()

    override class func tearDown() { try? FileManager.default.removeItem(at: work) }

    /// `descent` in the class's folder with the baselines' kernel.
    func run(_ args: [String]) throws -> Output { try runProcess(descentBinary(), args, env: baselineEnvironment, in: Self.work) }

    /// The ci run in results/<name>-ci against its committed baseline: identical with the baselines'
    /// kernel; with another kernel, no verdict that --fail-on changed names.
    func compareWithBaseline(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let baseline = packageRoot().appendingPathComponent("results/reference/\(name)/ci.tar.gz")
        guard FileManager.default.fileExists(atPath: baseline.path) else {
            return XCTFail("\(name) has no committed ci baseline: make it with scripts/ci-baselines \(name)", file: file, line: line)
        }
        let r = try run(["compare", baseline.path, "results/\(name)-ci", "--out", "results/\(name)-ci-comparison"])
        let why = "\(name): the ci run is not what results/reference/\(name)/ci.tar.gz holds; if a change is meant to move the numbers, remake it with scripts/ci-baselines \(name) and say why in the commit\n\(r.stdout)\(r.stderr)"
        XCTAssertEqual(r.status, 0, why, file: file, line: line)
        if baselineEnvironment != nil { XCTAssertTrue(r.stdout.contains("(the runs are identical)"), why, file: file, line: line) }
    }

    static func studyText(_ name: String) throws -> String {
        try String(contentsOf: packageRoot().appendingPathComponent("studies/\(name).yaml"), encoding: .utf8)
    }

    /// A steps-axis study's ci profile runs, its expectations hold (exit 0), its report is written, and
    /// in every trial that generalized, memorization came first.
    func reproduce(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(Self.stepsStudies.contains(name), "\(name) is not in ShippedStudiesTests.stepsStudies", file: file, line: line)
        let text = try Self.studyText(name)
        XCTAssertTrue(text.contains("axis: steps"), "\(name) is not a steps-axis study", file: file, line: line)
        XCTAssertTrue(text.contains("ci:"), "\(name) has no ci profile", file: file, line: line)
        XCTAssertTrue(text.contains("expect:"), "\(name) has no expect block", file: file, line: line)
        let r = try run(["run", "studies/\(name).yaml", "--profile", "ci", "--jobs", "2"])
        XCTAssertEqual(r.status, 0, "\(name): \(r.stdout)\n\(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stdout.contains("expectations:"), r.stdout, file: file, line: line)
        let out = Self.work.appendingPathComponent("results/\(name)-ci")
        let trials = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path).filter { !$0.hasPrefix(".") }
        XCTAssertFalse(trials.isEmpty, file: file, line: line)
        for id in trials {
            let s = try XCTUnwrap(json(out.appendingPathComponent("trials/\(id)/summary.json")), "\(name) \(id)", file: file, line: line)
            XCTAssertEqual(s["status"] as? String, "done", "\(name) \(id)", file: file, line: line)
            let events = try XCTUnwrap(s["events"] as? [String: [String: Any]], file: file, line: line)
            guard let gen = events["generalization"]?["step"] as? Int else { continue }
            let mem = try XCTUnwrap(events["memorization"]?["step"] as? Int, "\(name) \(id): generalized without memorizing", file: file, line: line)
            XCTAssertLessThan(mem, gen, "\(name) \(id)", file: file, line: line)
        }
        for f in ["report.md", "report.html", "summary.json", "junit.xml"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report/\(f)").path), "\(name): report/\(f)", file: file, line: line)
        }
        try compareWithBaseline(name, file: file, line: line)
    }

    func testDataEfficiencyOperations() throws { try reproduce("data-efficiency-operations") }
    func testEpochwiseDoubleDescentLinear() throws { try reproduce("epochwise-double-descent-linear") }
    func testGrokkingModularAddition() throws { try reproduce("grokking-modular-addition") }
    func testGrokkingRegularization() throws { try reproduce("grokking-regularization") }
    func testGrokkingTransformerNanda() throws { try reproduce("grokking-transformer-nanda") }
    func testGrokkingTransformerPower() throws { try reproduce("grokking-transformer-power") }
    func testGrokkingVsDatasetSize() throws { try reproduce("grokking-vs-dataset-size") }
    func testGrokkingVsFraction() throws { try reproduce("grokking-vs-fraction") }
    func testGrokkingInterventions() throws { try reproduce("grokking-interventions"); try interventions("grokking-interventions", arms: 5) }
    func testGrokkingWithoutWeightDecay() throws { try reproduce("grokking-without-weight-decay"); try interventions("grokking-without-weight-decay", arms: 4) }
    func testGrokkingLabelNoise() throws {
        try reproduce("grokking-label-noise")
        let out = Self.work.appendingPathComponent("results/grokking-label-noise-ci")
        var noisy = 0
        for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let s = try XCTUnwrap(json(out.appendingPathComponent("trials/\(id)/summary.json")))
            let q = try XCTUnwrap((s["sweep"] as? [String: Any])?["task.label_noise"] as? Double)
            let header = try String(contentsOf: out.appendingPathComponent("trials/\(id)/curve.csv"), encoding: .utf8).prefix { $0 != "\n" }
            XCTAssertEqual(header.contains("train_accuracy_corrupted,train_accuracy_corrupted_true,train_accuracy_clean"), q > 0, "\(id): \(header)")
            XCTAssertEqual(s["corrupted_rows"] as? Int, q > 0 ? Int((q * Double(try XCTUnwrap(s["train_size"] as? Int))).rounded()) : nil, id)
            if q > 0 { noisy += 1 }
        }
        XCTAssertEqual(noisy, 6)
        // The noise events cannot happen on the clean table: not applicable there, counted where they apply.
        let md = try String(contentsOf: out.appendingPathComponent("report/report.md"), encoding: .utf8)
        let clean = try XCTUnwrap(md.split(separator: "\n").first { $0.hasPrefix("| task.label_noise=0.0 |") }, md)
        XCTAssertTrue(clean.contains("| n/a | — | n/a, n/a, n/a |"), String(clean))
        let tenth = try XCTUnwrap(md.split(separator: "\n").first { $0.hasPrefix("| task.label_noise=0.1 |") })
        XCTAssertTrue(tenth.contains("| 3/3 |") && !tenth.contains("n/a"), String(tenth))
        let figures = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("report/figures").path)
        XCTAssertEqual(figures.filter { $0.hasPrefix("label-noise-") }.count, 2, "one figure per noisy configuration: \(figures)")
        // `descent stats` says the same: n/a on the clean table, k/n where the event applies.
        let stats = try run(["stats", "results/grokking-label-noise-ci"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let section = stats.stdout.components(separatedBy: "\nnoise_memorized:").dropFirst().first?.components(separatedBy: "\n\n").first ?? ""
        let rows = section.split(separator: "\n").filter { $0.contains("task.label_noise=") }
        XCTAssertEqual(rows.count, 3, stats.stdout)
        XCTAssertTrue(rows[0].contains("task.label_noise=0.0") && rows[0].contains("n/a") && !rows[0].contains("censored"), String(rows[0]))
        XCTAssertTrue(rows[1].contains("3/3") && !rows[1].contains("n/a"), String(rows[1]))
        // And so does its JSON: notApplicable on the clean configuration's noise events only.
        let js = try run(["stats", "results/grokking-label-noise-ci", "--json"])
        XCTAssertEqual(js.status, 0, js.stderr)
        let configs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])?["configurations"] as? [[String: Any]])
        let flags = configs.map { c in ((c["events"] as? [[String: Any]]) ?? []).filter { $0["notApplicable"] as? Bool == true }.compactMap { $0["event"] as? String } }
        XCTAssertEqual(flags.count, 3)
        XCTAssertEqual(Set(flags[0]), ["noise_memorized", "noise_forgotten", "noise_inverted"])
        XCTAssertEqual(flags[1], [])
        XCTAssertEqual(flags[2], [])
    }

    func testGrokkingProgressMeasures() throws {
        try reproduce("grokking-progress-measures")
        let out = Self.work.appendingPathComponent("results/grokking-progress-measures-ci/report")
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Which measure predicts generalization"), md)
        let ranking = try XCTUnwrap(json(out.appendingPathComponent("summary.json"))?["progress_measures"] as? [String: Any])
        let names = Set(try XCTUnwrap(ranking["measures"] as? [[String: Any]]).compactMap { $0["measure"] as? String })
        XCTAssertTrue(names.isSuperset(of: ["hessian_top_eigenvalue", "sharpness", "llc", "fourier_top5_share", "weight_norm", "excluded_loss", "restricted_loss"]), "\(names)")
        let leads = Set(try XCTUnwrap(ranking["leads"] as? [[String: Any]]).compactMap { $0["measure"] as? String })
        XCTAssertTrue(leads.isSuperset(of: ["weight_norm", "excluded_loss", "restricted_loss", "fourier_top5_share"]), "\(leads)")
    }
    func testGrokfastTransformer() throws { try reproduce("grokfast-transformer"); try interventions("grokfast-transformer", arms: 3) }

    /// The size-axis studies and the study marked not_reproduced: their ci runs match their baselines.
    func testSizeStudiesAndNotReproducedMatchTheirCIBaselines() throws {
        for name in ["double-descent-linear-theory", "double-descent-random-features-digits", "double-descent-random-features-teacher",
                     "double-descent-mlp-mnist1d", "epochwise-double-descent", "double-descent-mlp-modular", "double-descent-sample-wise"] {
            let r = try run(["run", "studies/\(name).yaml", "--profile", "ci", "--jobs", "2", "--no-report"])
            // A study marked not_reproduced may fail its gate (exit 1, with the failing expectation named), nothing else.
            let notReproduced = try Self.studyText(name).contains("\nstatus: not_reproduced")
            XCTAssertTrue(r.status == 0 || (notReproduced && r.status == 1 && r.stdout.contains("  FAIL ")), "\(name): \(r.stdout)\n\(r.stderr)")
            try compareWithBaseline(name)
        }
    }

    /// Every study but the contrast (which trains nothing of its own) has a committed ci baseline of its
    /// current ci profile (the baseline's record names the same trials), and a deliberate change is found:
    /// the ci profile of double-descent-random-features-digits with ridge in place of the minimum-norm
    /// solver lowers the peak (better) and nothing interpolates any more (threshold changed).
    func testEveryStudyHasItsCIBaselineAndAChangeIsFound() throws {
        let root = packageRoot()
        for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("studies").path) where file.hasSuffix(".yaml") {
            let name = (file as NSString).deletingPathExtension
            if try Self.studyText(name).contains("axis: contrast") { continue }
            // Run into a copy of the baseline: the same ci profile finds every trial done and trains nothing;
            // another one is refused as a folder of a different study.
            let baseline = root.appendingPathComponent("results/reference/\(name)/ci.tar.gz")
            guard FileManager.default.fileExists(atPath: baseline.path) else { XCTFail("\(name) has no ci baseline; make it with scripts/ci-baselines \(name)"); continue }
            // Run into an unpacked copy of the baseline: the same ci profile finds every trial done and
            // trains nothing; another one is refused as a folder of a different study.
            let copy = Self.work.appendingPathComponent("baseline-\(name)")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            XCTAssertEqual(try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["tar", "-xzf", baseline.path, "-C", copy.path], in: Self.work).status, 0)
            let r = try run(["run", "studies/\(file)", "--profile", "ci", "--no-report", "--out", copy.path])
            XCTAssertEqual(r.status, 0, "\(name): results/reference/\(name)/ci.tar.gz is not a finished run of the current ci profile; remake it with scripts/ci-baselines \(name)\n\(r.stdout)\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("descent: 0 trials trained,"), "\(name): \(r.stdout)")
        }
        let name = "double-descent-random-features-digits"
        let text = try Self.studyText(name)
        XCTAssertTrue(text.contains("method: min_norm"))
        try text.replacingOccurrences(of: "method: min_norm", with: "method: ridge\n  lambda: 0.01")
            .write(to: Self.work.appendingPathComponent("ridge.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["run", "ridge.yaml", "--profile", "ci", "--jobs", "2", "--no-report", "--out", "results/ridge-ci"]).status, 0)
        let r = try run(["compare", root.appendingPathComponent("results/reference/\(name)/ci.tar.gz").path, "results/ridge-ci"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let c = try XCTUnwrap(json(Self.work.appendingPathComponent("results/ridge-ci/comparison/comparison.json")))
        for item in try XCTUnwrap(c["sizes"] as? [[String: Any]]) {
            switch item["measure"] as? String {
            case "peak_height": XCTAssertEqual(item["verdict"] as? String, "better", "\(item)")
            case "interpolation_threshold": XCTAssertEqual(item["verdict"] as? String, "changed", "\(item)")
            default: break
            }
        }
    }

    /// A study with arms: its report has the interventions table with a row per arm, each naming the arm
    /// it is compared with, and every curve records softmax collapse as a share of the training rows.
    func interventions(_ name: String, arms: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = Self.work.appendingPathComponent("results/\(name)-ci")
        let md = try String(contentsOf: out.appendingPathComponent("report/report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Interventions"), name, file: file, line: line)
        let summary = try XCTUnwrap(json(out.appendingPathComponent("report/summary.json")), file: file, line: line)
        let table = try XCTUnwrap(summary["interventions"] as? [String: Any], name, file: file, line: line)
        let baseline = try XCTUnwrap(table["baseline"] as? String, file: file, line: line)
        for g in try XCTUnwrap(table["groups"] as? [[String: Any]], file: file, line: line) {
            let rows = try XCTUnwrap(g["rows"] as? [[String: Any]], file: file, line: line)
            XCTAssertEqual(rows.count, arms, name, file: file, line: line)
            for r in rows where r["arm"] as? String != baseline {
                XCTAssertNotNil(r["vs"] as? String, "\(name): \(r)", file: file, line: line)
                XCTAssertNotNil(r["log_rank"], "\(name): \(r)", file: file, line: line)
            }
        }
        for id in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("trials").path) where !id.hasPrefix(".") {
            let curve = try String(contentsOf: out.appendingPathComponent("trials/\(id)/curve.csv"), encoding: .utf8).split(separator: "\n")
            let header = curve[0].split(separator: ",").map(String.init)
            let c = try XCTUnwrap(header.firstIndex(of: "softmax_collapse"), "\(name) \(id): \(header)", file: file, line: line)
            for row in curve.dropFirst() {
                let v = try XCTUnwrap(Double(row.split(separator: ",", omittingEmptySubsequences: false)[c]), file: file, line: line)
                XCTAssertTrue((0...1).contains(v), "\(name) \(id): \(v)", file: file, line: line)
            }
        }
    }

    /// The shipped contrast's ci profile: its gate and its studies' gates hold, its report is written,
    /// and it reuses a study's finished ci folder instead of training it again (the grokking study's:
    /// left by testGrokkingModularAddition, or trained here first when this test runs without it).
    /// The steps side of the contrast on one task, then the contrast itself (which reuses this ci folder and trains the
    /// size study's): the two sides match configuration by configuration, on one task, and the table's numbers are
    /// those of the trials.
    func testGrokkingMLPModularAndTheContrastOnOneTask() throws {
        try reproduce("grokking-mlp-modular")
        let c = try run(["run", "studies/contrast-one-task.yaml", "--profile", "ci", "--jobs", "2"])
        let notReproduced = try Self.studyText("contrast-one-task").contains("\nstatus: not_reproduced")
        XCTAssertEqual(c.status, notReproduced ? 1 : 0, "contrast-one-task: \(c.stdout)\n\(c.stderr)")
        if notReproduced { XCTAssertTrue(c.stdout.contains("  FAIL "), c.stdout) }
        let reused = c.stdout.split(separator: "\n").first { $0.hasSuffix("results in results/grokking-mlp-modular-ci") }
        XCTAssertTrue(reused?.contains("0 trials trained, 16 already done") == true, "the contrast reuses the steps study's ci folder: \(c.stdout)")
        let dir = Self.work.appendingPathComponent("results/contrast-one-task-ci/report")
        let md = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("## Both axes, configuration by configuration"), md)
        XCTAssertTrue(md.contains("Both studies train one family on one task with one optimizer"), md)
        XCTAssertEqual(md.contains("**Not reproduced here:**"), notReproduced)
        let one = try XCTUnwrap(json(dir.appendingPathComponent("summary.json"))?["one_task"] as? [String: Any])
        XCTAssertEqual(one["same_task"] as? Bool, true)
        // The size study's ci profile holds weight decay at 1: the steps study's configurations at 0.3 have no match.
        let rows = try XCTUnwrap(one["configurations"] as? [[String: Any]])
        XCTAssertEqual(rows.map { ($0["configuration"] as? [String: String])?["task.label_noise"] }, ["0.0", "0.2"])
        XCTAssertEqual(rows.map { ($0["configuration"] as? [String: String])?["optimizer.weight_decay"] }, ["1.0", "1.0"])
        // Read back from the trials: each side's threshold and how many steps-axis trials generalized.
        func summaries(_ study: String) throws -> [[String: Any]] {
            let folder = Self.work.appendingPathComponent("results/\(study)-ci/trials")
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.map { try XCTUnwrap(json(folder.appendingPathComponent("\($0)/summary.json"))) }
        }
        let sizeTrials = try summaries("double-descent-mlp-modular"), stepsTrials = try summaries("grokking-mlp-modular")
        for (row, q) in zip(rows, [0.0, 0.2]) {
            let mine = sizeTrials.filter { ($0["sweep"] as? [String: Any])?["task.label_noise"] as? Double == q }
            var trainError: [Int: [Double]] = [:]
            for t in mine { trainError[(t["sweep"] as! [String: Any])["model.width"] as! Int, default: []].append(((t["size"] as! [String: Any])["train_error"] as! NSNumber).doubleValue) }
            let threshold = trainError.keys.sorted().first { trainError[$0]!.allSatisfy { $0 == 0 } }
            XCTAssertEqual((row["size"] as? [String: Any])?["threshold_size"] as? Int, threshold, "label noise \(q)")
            let steps = stepsTrials.filter { ($0["sweep"] as? [String: Any])?["task.label_noise"] as? Double == q && ($0["sweep"] as? [String: Any])?["optimizer.weight_decay"] as? Double == 1.0 }
            XCTAssertEqual(steps.count, 4)
            let generalized = steps.filter { (($0["events"] as? [String: [String: Any]])?["generalization"]?["step"] as? Int) != nil }.count
            let reached = try XCTUnwrap((row["steps"] as? [String: Any])?["generalized"] as? [String: Any])
            XCTAssertEqual(reached["k"] as? Int, generalized)
            XCTAssertEqual(reached["n"] as? Int, 4)
        }
    }

    func testContrastDoubleDescentVsGrokking() throws {
        let grokking = try run(["run", "studies/grokking-modular-addition.yaml", "--profile", "ci", "--jobs", "2", "--no-report"])
        XCTAssertEqual(grokking.status, 0, "grokking-modular-addition: \(grokking.stdout)\n\(grokking.stderr)")
        let c = try run(["run", "studies/contrast-double-descent-vs-grokking.yaml", "--profile", "ci", "--jobs", "2"])
        XCTAssertEqual(c.status, 0, "contrast: \(c.stdout)\n\(c.stderr)")
        XCTAssertFalse(c.stdout.contains("FAIL"), c.stdout)
        let reused = c.stdout.split(separator: "\n").first { $0.hasSuffix("results in results/grokking-modular-addition-ci") }
        XCTAssertTrue(reused?.contains("0 trials trained, 2 already done") == true, "the contrast reuses the grokking study's ci folder: \(c.stdout)")
        for f in ["report.md", "report.html", "summary.json", "junit.xml"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.work.appendingPathComponent("results/contrast-double-descent-vs-grokking-ci/report/\(f)").path), "contrast report/\(f)")
        }
    }

    /// Every shipped study on the steps axis that gates has its test above, and no test names a study
    /// that is gone; the two grokking studies of the project's question are among them.
    func testEveryShippedStepsStudyHasItsTest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot().appendingPathComponent("studies").path).filter { $0.hasSuffix(".yaml") }
        var gating: [String] = []
        for file in files {
            let name = (file as NSString).deletingPathExtension
            let text = try Self.studyText(name)
            if text.contains("axis: steps") && !text.contains("status: not_reproduced") { gating.append(name) }
        }
        XCTAssertEqual(gating.sorted(), Self.stepsStudies.sorted(), "a shipped steps-axis study needs its test method in ShippedStudiesTests")
        XCTAssertTrue(Set(gating).isSuperset(of: ["grokking-modular-addition", "grokking-vs-fraction"]), "the two grokking studies ship")
    }
}

import XCTest
import Foundation
import Studies

final class StudyParserTests: XCTestCase {
    let minimal = """
    name: t
    task: { operation: x+y, modulus: 11, train_fraction: 0.5 }
    model: { width: 16, embedding: 8 }
    training: { max_steps: 100 }
    seeds: 2
    """

    func parse(_ text: String, profile: String? = nil) throws -> Study { try StudyParser.parse(text, file: "s.yaml", profile: profile) }

    /// Parsing must fail at the given line and column with a message containing `fragment`.
    func assertError(_ text: String, line: Int, column: Int? = nil, _ fragment: String, profile: String? = nil, file: StaticString = #filePath, l: UInt = #line) {
        XCTAssertThrowsError(try parse(text, profile: profile), file: file, line: l) { error in
            guard let e = error as? StudyError else { return XCTFail("not a StudyError: \(error)", file: file, line: l) }
            XCTAssertEqual(e.location?.file, "s.yaml", file: file, line: l)
            XCTAssertEqual(e.location?.line, line, "\(e)", file: file, line: l)
            if let column { XCTAssertEqual(e.location?.column, column, "\(e)", file: file, line: l) }
            XCTAssertTrue(e.description.contains(fragment), "'\(fragment)' not in: \(e)", file: file, line: l)
        }
    }

    func testDefaultsFillEveryKey() throws {
        let s = try parse("task: { modulus: 13 }")
        XCTAssertEqual(s.value("task.modulus"), .int(13))
        XCTAssertEqual(s.value("model.width"), .int(512))
        XCTAssertEqual(s.value("optimizer.betas"), .list([.double(0.9), .double(0.98)]))
        XCTAssertEqual(s.value("training.batch"), .string("full"))
        XCTAssertEqual(s.events.map(\.name), ["memorization", "generalization"])
        XCTAssertEqual(s.name, "s")
        XCTAssertEqual(s.trials.count, 3)
    }

    func testSyntaxErrorHasLineAndColumn() {
        assertError("task:\n  modulus: 13\n   operation: [x+y\n", line: 3, "YAML syntax")
        assertError("task: { modulus: 13\nmodel: {}\n", line: 2, "YAML syntax")
    }

    func testUnknownKeysAreRejectedWithSuggestion() {
        assertError("task:\n  modulos: 13\n", line: 2, column: 3, "unknown key 'task.modulos'")
        assertError("task:\n  modulos: 13\n", line: 2, "did you mean 'task.modulus'")
        assertError("traning: { max_steps: 10 }\n", line: 1, "did you mean 'training'")
        assertError("task: { modulus: 13 }\nexpect:\n  - { event: generalization, reached_in_fraction: 1 }\n", line: 3, "did you mean 'reached_in_fraction_of_trials'")
    }

    func testWrongTypes() {
        assertError("model:\n  width: wide\n", line: 2, column: 10, "expected an integer")
        assertError("model:\n  width: \"512\"\n", line: 2, "the string")
        assertError("model: { width: 5.5 }\n", line: 1, "expected an integer")
        assertError("optimizer: { lr: fast }\n", line: 1, "expected a number")
        assertError("optimizer: { betas: 0.9 }\n", line: 1, "list of 2 numbers")
        assertError("task: 13\n", line: 1, "expected a mapping")
        assertError("model: { activation: relu6 }\n", line: 1, "one of")
        assertError("model: { activation: rleu }\n", line: 1, "did you mean 'relu'")
        assertError("- just\n- a list\n", line: 1, "must be a mapping")
    }

    func testOutOfRangeValues() {
        assertError("task: { train_fraction: 1.5 }\n", line: 1, "out of range")
        assertError("task: { train_fraction: 0 }\n", line: 1, "out of range")
        assertError("model: { width: 0 }\n", line: 1, "out of range")
        assertError("model: { width: -4 }\n", line: 1, "out of range")
        assertError("seeds: 0\n", line: 1, "out of range")
        assertError("optimizer: { betas: [0.9, 1.0] }\n", line: 1, "out of range")
        assertError("training: { batch: 0 }\n", line: 1, "out of range")
        assertError("training: { batch: half }\n", line: 1, "'full' or a positive integer")
    }

    func testSweepsExpandWithSeedsAndStableIds() throws {
        let s = try parse(minimal + "\nsweep:\n  task.train_fraction: [0.3, 0.5]\n  model.width: [8, 16, 32]\n")
        XCTAssertEqual(s.trials.count, 2 * 3 * 2)
        XCTAssertEqual(Set(s.trials.map(\.id)).count, 12)
        XCTAssertEqual(s.trials[0].point.map(\.0), ["task.train_fraction", "model.width"])
        XCTAssertEqual(s.trials.map(\.id), try parse(minimal + "\nsweep:\n  task.train_fraction: [0.3, 0.5]\n  model.width: [8, 16, 32]\n").trials.map(\.id))
        // Descriptive keys do not change trial identity; configuration keys do.
        let described = try parse("question: why?\ndescription: text\n" + minimal)
        XCTAssertEqual(described.trials.map(\.id), try parse(minimal).trials.map(\.id))
        let changed = try parse(minimal.replacingOccurrences(of: "max_steps: 100", with: "max_steps: 101"))
        XCTAssertTrue(Set(changed.trials.map(\.id)).isDisjoint(with: try parse(minimal).trials.map(\.id)))
        // Same seed index, different configuration: different trial seeds.
        XCTAssertNotEqual(s.trials[0].seed, s.trials[2].seed)
    }

    func testSweepErrors() {
        assertError(minimal + "\nsweep:\n  model.wdth: [1, 2]\n", line: 7, "did you mean 'model.width'")
        assertError(minimal + "\nsweep:\n  model.width: []\n", line: 7, "non-empty list")
        assertError(minimal + "\nsweep:\n  model.width: [8, 8]\n", line: 7, "twice")
        assertError(minimal + "\nsweep:\n  model.width: [8, -1]\n", line: 7, "out of range")
        assertError(minimal + "\nsweep:\n  seed: [1, 2]\n", line: 7, "cannot be swept")
    }

    func testProfilesOverrideAndAreAllValidated() throws {
        let text = minimal + "\nsweep: { task.train_fraction: [0.3, 0.5, 0.7] }\nprofiles:\n  ci: { task.modulus: 7, seeds: 1, sweep.task.train_fraction: [0.5] }\n  fixed: { task.train_fraction: 0.4 }\n"
        let ci = try parse(text, profile: "ci")
        XCTAssertEqual(ci.value("task.modulus"), .int(7))
        XCTAssertEqual(ci.trials.count, 1)
        XCTAssertEqual(ci.profile, "ci")
        let fixed = try parse(text, profile: "fixed")
        XCTAssertTrue(fixed.sweep.isEmpty, "a profile fixing a swept key removes that axis")
        XCTAssertEqual(fixed.trials.count, 2)
        assertError(text, line: 1, "no profile 'nightly'", profile: "nightly")
        // A broken profile is an error even when another profile (or none) is used.
        assertError(minimal + "\nprofiles:\n  ci: { task.modulus: 7 }\n  bad: { model.wdth: 3 }\n", line: 8, "did you mean 'model.width'")
        assertError(minimal + "\nprofiles:\n  ci: { name: other }\n", line: 7, "cannot be overridden")
    }

    func testEventsAndExpectations() throws {
        let text = minimal + """

        events:
          memorization: { metric: train_accuracy, at_least: 0.99 }
          generalization: { metric: val_accuracy, at_least: 0.95 }
          low_loss: { metric: val_loss, at_most: 0.1 }
        sweep: { task.train_fraction: [0.4, 0.6] }
        expect:
          - { event: generalization, reached_in_fraction_of_trials: 0.5, where: { task.train_fraction: ">= 0.5" } }
          - { order: [memorization, generalization] }
          - { at_event: { event: memorization, metric: val_accuracy, at_most: 0.5 } }
          - { trend: { x: task.train_fraction, y: generalization_step }, direction: decreasing, confidence: 0.9 }
        """
        let s = try parse(text)
        XCTAssertEqual(s.events.count, 3)
        XCTAssertEqual(s.expectations.count, 4)
        XCTAssertEqual(s.expectations[0].conditions.first?.op, .ge)
        XCTAssertTrue(s.expectations[0].conditions[0].holds(.double(0.6)))
        XCTAssertFalse(s.expectations[0].conditions[0].holds(.double(0.4)))
        XCTAssertEqual(s.expectations[1].location.line, 13)
        // Events are part of the trial identity (they decide when a trial stops).
        let other = try parse(text.replacingOccurrences(of: "at_least: 0.95", with: "at_least: 0.9"))
        XCTAssertNotEqual(other.trials[0].id, s.trials[0].id)

        assertError(minimal + "\nexpect:\n  - { event: grokking, reached_in_fraction_of_trials: 1 }\n", line: 7, "unknown event 'grokking'")
        assertError(minimal + "\nexpect:\n  - { event: generalization, reached_in_fraction_of_trials: 2 }\n", line: 7, "[0, 1]")
        assertError(minimal + "\nexpect:\n  - { trend: { x: task.modulus, y: generalization_step }, direction: decreasing }\n", line: 7, "not a swept key")
        assertError(minimal + "\nexpect:\n  - { nonsense: 1 }\n", line: 7, "unknown key 'nonsense'")
        assertError(minimal + "\nexpect:\n  - { where: { task.modulus: 11 } }\n", line: 7, "needs one of")
        assertError(minimal + "\nevents:\n  g: { metric: val_acc, at_least: 1 }\n", line: 7, "metric must be one of")
        assertError("task: { modulus: 11 }\ntraining: { stop_after: grokking }\n", line: 2, "does not define")
    }

    func testFamilyKeysApplyOnlyToTheirFamily() throws {
        let t = try parse("model: { family: transformer, layers: 1, d_model: 64, heads: 4 }\n")
        XCTAssertEqual(t.trials[0].config["model.layers"], .int(1))
        XCTAssertNil(t.trials[0].config["model.width"], "MLP keys stay out of a transformer trial's identity")
        let m = try parse("model: { width: 64 }\n")
        XCTAssertNil(m.trials[0].config["model.layers"], "transformer keys stay out of an MLP trial's identity")
        assertError("model:\n  family: transformer\n  width: 64\n", line: 3, "model.width does not apply to model.family 'transformer'")
        assertError("model:\n  layers: 2\n", line: 2, "model.layers does not apply to model.family 'mlp'")
        assertError("model: { family: transformer, d_model: 100, heads: 3 }\n", line: 1, "not divisible")
        assertError("model: { family: transformer }\nsweep: { model.depth: [1, 2] }\n", line: 2, "does not apply")
    }

    /// One regularizer at a common strength resolves to the weight decay, dropout rate and noise ratio it
    /// stands for, the other two off; without regularization keys a trial's identity has none of them.
    func testRegularizationKindsResolveAtMatchedStrength() throws {
        let s = try parse("optimizer: { weight_decay: 1.0 }\nsweep:\n  regularization.kind: [weight_decay, dropout, gradient_noise]\n  regularization.strength: [0, 3]\nseeds: 1\n")
        XCTAssertEqual(s.trials.count, 6)
        func trial(_ kind: String, _ strength: Double) -> [String: Value] {
            s.trials.first { $0.config["regularization.kind"] == .string(kind) && $0.config["regularization.strength"]?.asDouble == strength }!.config
        }
        XCTAssertEqual(trial("weight_decay", 3)["optimizer.weight_decay"]?.asDouble, 3)
        XCTAssertNil(trial("weight_decay", 3)["model.dropout"])
        XCTAssertEqual(trial("dropout", 3)["optimizer.weight_decay"]?.asDouble, 0, "the study's weight decay is off for the other kinds")
        XCTAssertEqual(trial("dropout", 3)["model.dropout"]!.asDouble!, 0.75, accuracy: 1e-12, "q/(1 − q) = 3")
        XCTAssertEqual(trial("gradient_noise", 3)["training.gradient_noise"]?.asDouble, 3)
        XCTAssertNil(trial("gradient_noise", 3)["model.dropout"])
        for kind in ["weight_decay", "dropout", "gradient_noise"] {
            let c = trial(kind, 0)
            XCTAssertEqual(c["optimizer.weight_decay"]?.asDouble, 0, kind)
            XCTAssertNil(c["model.dropout"], kind); XCTAssertNil(c["training.gradient_noise"], kind)
        }
        XCTAssertEqual(Set(s.trials.map(\.id)).count, 6, "each kind and strength is its own trial")
        let plain = try parse("task: { modulus: 13 }\n").trials[0].config
        for k in ["regularization.kind", "regularization.strength", "model.dropout", "training.gradient_noise"] { XCTAssertNil(plain[k], k) }
        XCTAssertEqual(try parse("model: { dropout: 0.2 }\n").trials[0].config["model.dropout"], .double(0.2))
        assertError("model: { dropout: 1 }\n", line: 1, "model.dropout")
        assertError("model: { family: transformer, dropout: 0.1 }\n", line: 1, "model.dropout does not apply to model.family 'transformer'")
        assertError("model: { family: transformer }\nsweep: { regularization.kind: [weight_decay, dropout] }\n", line: 2, "needs model.family 'mlp'")
        assertError("regularization: { kind: l1 }\n", line: 1, "regularization.kind")
    }

    /// trials.csv has a column for every key of any trial: the dropout rate of the dropout rows, the noise
    /// ratio of the noise rows, empty where a trial does not have the key.
    func testTrialsCSVHasEveryTrialsKeys() throws {
        let s = try parse("sweep:\n  regularization.kind: [weight_decay, dropout, gradient_noise]\nseeds: 1\n")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-csv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try ResultsStore(root: dir).writeTrialsCSV(s)
        func fields(_ line: Substring) -> [String] {   // commas inside double quotes (the betas list) do not split
            var out = [""], quoted = false
            for ch in line {
                if ch == "\"" { quoted.toggle() } else if ch == "," && !quoted { out.append("") } else { out[out.count - 1].append(ch) }
            }
            return out
        }
        let lines = try String(contentsOf: dir.appendingPathComponent("trials.csv"), encoding: .utf8).split(separator: "\n").map(fields)
        let header = lines[0]
        let q = try XCTUnwrap(header.firstIndex(of: "model.dropout")), g = try XCTUnwrap(header.firstIndex(of: "training.gradient_noise"))
        let kind = try XCTUnwrap(header.firstIndex(of: "regularization.kind"))
        let rows = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0[kind], $0) })
        XCTAssertEqual(rows["dropout"]?[q], "0.5")
        XCTAssertEqual(rows["gradient_noise"]?[g], "1.0")
        XCTAssertEqual(rows["weight_decay"]?[q], "")
    }

    func testDuplicateKeysAreErrors() {
        assertError("task: { modulus: 11 }\ntask: { modulus: 13 }\n", line: 1, "duplicated keys")
    }

    func testLoadNamesMissingFile() {
        XCTAssertThrowsError(try StudyParser.load(path: "no/such/study.yaml")) { e in
            XCTAssertTrue("\(e)".contains("no study file at 'no/such/study.yaml'"))
        }
    }

    // MARK: arms

    let armsStudy = """
    name: t
    task: { operation: x+y, modulus: 11, train_fraction: 0.5 }
    model: { width: 16, embedding: 8 }
    optimizer: { weight_decay: 1.0 }
    training: { max_steps: 100 }
    seeds: 2
    sweep: { task.train_fraction: [0.3, 0.5] }
    baseline: wd
    arms:
      none: { optimizer.weight_decay: 0, vs: wd }
      wd: { published: "Power et al. 2022" }
      ema: { optimizer.weight_decay: 0, grokfast.filter: ema, vs: none, published: "x43.8" }
    profiles:
      small: { arms: [wd, none] }
    """

    func testArmsAreCrossedWithTheSweepAndTheSeeds() throws {
        let s = try parse(armsStudy)
        XCTAssertEqual(s.arms.map(\.name), ["none", "wd", "ema"])
        XCTAssertEqual(s.baseline, "wd")
        XCTAssertEqual(s.arms[2].vs, "none")
        XCTAssertEqual(s.arms[1].published, "Power et al. 2022")
        XCTAssertEqual(s.trials.count, 3 * 2 * 2)
        XCTAssertEqual(Set(s.trials.map(\.id)).count, s.trials.count)
        // The arm varies slowest, before the sweep; each trial's configuration names its arm.
        XCTAssertEqual(s.trials.map { $0.config["arm"] }, (["none", "wd", "ema"] as [String]).flatMap { Array(repeating: Value.string($0), count: 4) })
        XCTAssertEqual(s.trials[0].point.first?.0, "arm")
        for t in s.trials {
            let arm = t.config["arm"]!
            XCTAssertEqual(t.config["optimizer.weight_decay"], .double(arm == .string("wd") ? 1.0 : 0.0), "\(arm)")
            // The filter's keys are in a configuration only when a filter is on (ids of earlier trials stand).
            XCTAssertEqual(t.config["grokfast.filter"], arm == .string("ema") ? .string("ema") : nil, "\(arm)")
        }
        // A profile keeps some arms; without arms nothing of the kind is in a trial.
        let small = try parse(armsStudy, profile: "small")
        XCTAssertEqual(small.arms.map(\.name), ["none", "wd"])
        XCTAssertEqual(small.trials.count, 8)
        XCTAssertTrue(try parse(minimal).trials.allSatisfy { $0.config["arm"] == nil && !$0.point.contains { $0.0 == "arm" } })
        XCTAssertNil(try parse(minimal).baseline)
    }

    func testExpectationsSelectArms() throws {
        let s = try parse(armsStudy + "\nexpect:\n  - { event: generalization, reached_in_fraction_of_trials: 1.0, where: { arm: ema } }\n")
        XCTAssertEqual(s.expectations.count, 1)
        assertError(armsStudy + "\nexpect:\n  - { event: generalization, reached_in_fraction_of_trials: 1.0, where: { arm: emma } }\n", line: 16, "where: no arm 'emma'")
    }

    /// The LLC probe's chains need draws after their burn-in; off, its keys leave the ids alone.
    func testLLCProbeKeys() throws {
        let head = "task: { modulus: 11 }\nmodel: { width: 16, embedding: 8 }\n"
        assertError(head + "probes: { llc: true, llc_steps: 30 }\n", line: 3, "probes.llc_burn_in (50) must be below probes.llc_steps (30)")
        assertError(head + "probes: { llc: true, llc_burn_in: 10 }\nsweep: { probes.llc_steps: [5, 100] }\n", line: 3, "must be below probes.llc_steps (5)")
        XCTAssertNoThrow(try parse(head + "probes: { llc_steps: 30 }\n"))   // off: nothing to check
        let plain = try parse(head), off = try parse(head + "probes: { llc: false, llc_chains: 9 }\n"), on = try parse(head + "probes: { llc: true }\n")
        XCTAssertEqual(plain.trials.map(\.id), off.trials.map(\.id), "a probe that is off changes no id")
        XCTAssertNotEqual(plain.trials.map(\.id), on.trials.map(\.id))
    }

    /// The frequency losses need x + y; the curvature schedule needs 0 or at least 2 steps; off, neither changes an id.
    func testFrequencyLossAndCurvatureProbeKeys() throws {
        let head = "task: { modulus: 11 }\nmodel: { width: 16, embedding: 8 }\n"
        assertError("task: { operation: x*y, modulus: 11 }\nmodel: { width: 16, embedding: 8 }\nprobes: { frequency_losses: true }\n", line: 3, "defined for x+y")
        assertError(head + "sweep: { task.operation: [x+y, x-y] }\nprobes: { frequency_losses: true }\n", line: 4, "task.operation is 'x-y'")
        assertError(head + "probes: { curvature_points: 1 }\n", line: 3, "needs at least 2 steps")
        assertError("task: { modulus: 1009 }\nmodel: { width: 16, embedding: 8 }\nprobes: { frequency_losses: true }\n", line: 3, "at most 500 is allowed")
        let plain = try parse(head)
        XCTAssertEqual(plain.trials.map(\.id), try parse(head + "probes: { frequency_losses: false, curvature_points: 0 }\n").trials.map(\.id))
        XCTAssertNotEqual(plain.trials.map(\.id), try parse(head + "probes: { frequency_losses: true }\n").trials.map(\.id))
        XCTAssertNotEqual(plain.trials.map(\.id), try parse(head + "probes: { curvature_points: 30 }\n").trials.map(\.id))
    }

    func testArmErrors() {
        let head = "task: { modulus: 11 }\nmodel: { width: 16, embedding: 8 }\n"
        assertError(head + "baseline: wd\n", line: 3, "the study has no arms")
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  b: { optimizer.weight_decay: 1 }\nbaseline: c\n", line: 6, "baseline: no arm 'c'")
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  b: { optimizer.weight_decay: 1, vs: c }\n", line: 5, "vs: 'c' is not another arm")
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  b: { optimizer.weight_decay: 1, vs: b }\n", line: 5, "is not another arm")
        assertError(head + "arms:\n  a: { optimizer.weight_decy: 0 }\n", line: 4, "did you mean 'optimizer.weight_decay'")
        assertError(head + "arms:\n  a: { seed: 3 }\n", line: 4, "cannot differ between arms")
        assertError(head + "arms:\n  a: { model.family: transformer }\n", line: 4, "cannot differ between arms")
        assertError(head + "sweep: { optimizer.weight_decay: [0, 1] }\narms:\n  a: { optimizer.weight_decay: 0 }\n  b: { grokfast.filter: ema }\n", line: 5, "which the sweep also sets")
        // Two arms that train the same model (1.0 is the default weight decay).
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 1.0 }\n  b: {}\n", line: 5, "arms 'a' and 'b' train the same model")
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  a: { optimizer.weight_decay: 1 }\n", line: 4, "duplicated keys")
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  b-c: { optimizer.weight_decay: 1 }\n", line: 5, "must be a word")
        assertError(head + "arms: [a, b]\n", line: 3, "expected a mapping of arm names")
        // An arm's keys are checked like the study's: a transformer key in an MLP study.
        assertError(head + "arms:\n  a: { optimizer.weight_decay: 0 }\n  b: { model.heads: 2 }\n", line: 5, "model.heads")
        // A profile may not drop the arm another is compared with, nor name an unknown arm.
        assertError(armsStudy + "\n  broken: { arms: [ema] }\n", line: 15, "arm 'ema' is compared with 'none', which the profile leaves out")
        assertError(armsStudy + "\n  typo: { arms: [wd, nonee] }\n", line: 15, "no arm 'nonee'")
    }

    /// Tags outside YAML's core schema and merge keys are refused at their place, never ignored.
    func testUnsupportedYAMLTagsAndMergeKeysAreRefused() throws {
        assertError("task: !!python/object { modulus: 11 }\n", line: 1, "the YAML tag '!!python/object' is not supported")
        assertError("task:\n  modulus: !custom 11\n", line: 2, "the YAML tag '!custom' is not supported")
        assertError("task: &t { modulus: 11 }\nmodel:\n  <<: { width: 16 }\n", line: 3, "YAML merge keys ('<<:') are not supported")
        // Core tags, quoted strings and an alias used as a whole value still parse.
        let s = try parse("task: { modulus: !!int 13, operation: \"x+y\" }\nmodel: { width: 16, embedding: 8 }\ntraining: { max_steps: &n 100, patience: *n }\n")
        XCTAssertEqual(s.value("task.modulus"), .int(13))
        XCTAssertEqual(s.value("training.patience"), .int(100))
        // The hint for a bad name says what a name may hold.
        assertError("name: .hidden\n", line: 1, "not starting with '.'")
    }

    func testAContrastThatNamesItselfIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-self-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.yaml")
        try "name: c\naxis: contrast\nsize: c.yaml\nsteps: c.yaml\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ContrastStudy.load(path: file.path)) { e in
            XCTAssertTrue("\(e)".contains("size: 'c.yaml' is this contrast study itself"), "\(e)")
            XCTAssertTrue("\(e)".contains("double-descent-mlp-mnist1d"), "\(e)")
        }
    }
}

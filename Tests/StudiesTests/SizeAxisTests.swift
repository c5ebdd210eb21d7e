// The size axis in study files: new keys, their errors (with file:line:column), which keys a trial of
// each kind carries, and that the algorithmic trials kept their ids.
import Datasets
import Foundation
import Studies
import XCTest

final class SizeAxisTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func parseError(_ text: String, file: String = "t.yaml") -> StudyError? {
        do { _ = try StudyParser.parse(text, file: file); return nil } catch let e as StudyError { return e } catch { XCTFail("\(error)"); return nil }
    }

    func assertError(_ text: String, line: Int, contains: [String], file: StaticString = #filePath, at: UInt = #line) {
        guard let e = parseError(text) else { return XCTFail("expected an error for:\n\(text)", file: file, line: at) }
        XCTAssertEqual(e.location?.line, line, "\(e)", file: file, line: at)
        for c in contains { XCTAssertTrue(e.description.contains(c), "'\(c)' not in: \(e)", file: file, line: at) }
    }

    let rf = """
    axis: size
    task:
      kind: digits
      n_train: 300
    model:
      family: random_features
      features: 100

    """

    func testValidSizeStudyParsesWithItsKeys() throws {
        let s = try StudyParser.parse(rf + "solver: { method: ridge, lambda: 0.001 }\nsweep: { model.features: [10, 100], task.label_noise: [0, 0.2] }\n", file: "t.yaml")
        XCTAssertEqual(s.trials.count, 4 * 3)
        let c = s.trials[0].config
        XCTAssertEqual(c["solver.lambda"], .double(0.001))
        XCTAssertEqual(c["task.n_train"], .int(300))
        // Keys of other kinds and families are not part of a size trial.
        for k in ["task.modulus", "task.operation", "model.width", "model.embedding", "optimizer.lr", "task.signal"] {
            XCTAssertNil(c[k], k)
        }
        XCTAssertEqual(Schema.sizeKey(s), "model.features")
    }

    func testAlgorithmicTrialIdsAreUnchanged() throws {
        // Ids of results made before the size axis existed (descent run ... into results/), of the study as it was
        // then: without the probes it has recorded since 8978988 (RegistryTests.withoutProbes).
        let path = Self.root.appendingPathComponent("studies/grokking-modular-addition.yaml").path
        let before = RegistryTests.withoutProbes(try String(contentsOfFile: path, encoding: .utf8))
        XCTAssertEqual(try StudyParser.parse(before, file: path, profile: "ci").trials.map(\.id), ["3b42bdf18fa3ce62", "8ba096c3e8c02535"])
        XCTAssertEqual(try StudyParser.parse(before, file: path).trials.map(\.id), ["bcc14d68e710f243", "02d01f77551dbf50", "b616ffdc869e9481"])
        let c = try StudyParser.load(path: path).trials[0].config
        for k in ["task.n_train", "model.features", "solver.method", "task.label_noise"] { XCTAssertNil(c[k], k) }
    }

    /// Both families that read tokens record a size outcome on the size axis: the size is the family's size key, and
    /// the data (the split and the corrupted pairs) are the same at every size of one seed.
    func testTokenFamiliesRecordTheirSizeOnATable() throws {
        for (family, key, sizes) in [("mlp", "model.width", [8, 16]), ("transformer", "model.d_model", [8, 16])] {
            let s = try StudyParser.parse("""
            axis: size
            task: { operation: x+y, modulus: 7, train_fraction: 0.6, label_noise: 0.2 }
            model: { family: \(family) }
            training: { max_steps: 5, stop_after: never, eval: { points: 3 } }
            sweep: { \(key): \(sizes) }
            seeds: 1
            """, file: "t.yaml")
            let results = try s.trials.map { try TrialRunner.run($0) }
            XCTAssertEqual(results.map { $0.size?.size }, sizes, family)
            for r in results {
                let size = try XCTUnwrap(r.size, family)
                XCTAssertTrue(size.converged, "\(family): with stop_after never, running the budget is converging")
                XCTAssertEqual(size.testError, 1 - r.outcome.records.last!.valAccuracy)
                XCTAssertEqual(r.corruptedRows, Int((0.2 * Double(r.trainSize)).rounded()))
                XCTAssertTrue(size.fields.contains { $0.0 == "train_error_clean" } && size.fields.contains { $0.0 == "corrupted_memorized" })
            }
            XCTAssertEqual(Set(s.trials.map(TrialRunner.dataSeed)).count, 1, "\(family): one data seed for every size")
        }
        // A steps-axis trial of the same table records none.
        let steps = try StudyParser.parse("task: { operation: x+y, modulus: 7, train_fraction: 0.6 }\ntraining: { max_steps: 2 }\nseeds: 1\n", file: "t.yaml")
        XCTAssertNil(try TrialRunner.run(steps.trials[0]).size)
    }

    func testBadValuesNameTheKeyAndPlace() {
        assertError(rf + "  feature_map: gaussian\n", line: 8, contains: ["model.feature_map", "'gaussian'", "'relu'"])
        assertError(rf.replacingOccurrences(of: "n_train: 300", with: "label_noise: 1.0"), line: 4, contains: ["task.label_noise", "out of range"])
        assertError(rf + "solver:\n  methd: ridge\n", line: 9, contains: ["unknown key 'solver.methd'", "did you mean 'solver.method'"])
        assertError(rf + "solver: { method: ridge }\n", line: 8, contains: ["solver.lambda > 0"])
    }

    func testNonsenseCombinationsAreErrors() {
        // A closed-form family on the algorithmic task.
        assertError("axis: size\nmodel:\n  family: random_features\n", line: 3, contains: ["model.family 'random_features'", "task.kind"])
        // A key of another family, set explicitly.
        assertError(rf + "  width: 64\n", line: 8, contains: ["model.width does not apply", "random_features"])
        // A key of another task kind.
        assertError(rf.replacingOccurrences(of: "  n_train: 300", with: "  n_train: 300\n  modulus: 97"), line: 5, contains: ["task.modulus does not apply"])
        // Linear regression on a classification task.
        assertError("axis: size\ntask: { kind: digits }\nmodel: { family: linear }\n", line: 3, contains: ["needs task.kind 'gaussian_linear'"])
        // A regression task with a classifier.
        assertError("axis: size\ntask: { kind: gaussian_linear }\nmodel: { family: mlp }\n", line: 3, contains: ["regression task"])
        // Size-axis keys on an algorithmic study.
        assertError("task:\n  n_train: 10\n", line: 2, contains: ["task.n_train does not apply", "algorithmic"])
    }

    func testProfilesAreCheckedEvenWhenNotChosen() {
        assertError(rf + "profiles:\n  ci: { model.width: 8 }\n", line: 9, contains: ["model.width does not apply"])
    }

    func testDataFolderOverrideIsUsedAndNamedInErrors() throws {
        let s = try StudyParser.parse(rf + "task.data: /nonexistent-descent-data\n", file: "t.yaml")
        XCTAssertEqual(s.trials[0].config["task.data"], .string("/nonexistent-descent-data"))
        XCTAssertThrowsError(try TrialRunner.run(s.trials[0])) { e in
            let d = e as? DatasetError
            XCTAssertEqual(d?.key, "task.data", "\(e)")
            XCTAssertTrue(d?.message.contains("/nonexistent-descent-data") ?? false, "\(e)")
        }
    }

    func testSizeExpectationsParseAndCheck() throws {
        let s = try StudyParser.parse(rf + """
        sweep: { task.label_noise: [0, 0.2] }
        expect:
          - { peak_within: [0.8, 1.25] }
          - { peak_over_far_right: 5, where: { task.label_noise: 0 } }
          - { peak_higher: { where: { task.label_noise: 0.2 }, than: { task.label_noise: 0 } } }
          - { peak_near_threshold: { epsilon: 0.1, grid_steps: 2 } }
          - { peak_prominent: true }
          - { converged_fraction: 0.9 }

        """, file: "t.yaml")
        let kinds = s.expectations.map(\.kind)
        XCTAssertEqual(kinds.count, 6)
        XCTAssertEqual(kinds[0], .size(.peakWithin(lo: 0.8, hi: 1.25)))
        XCTAssertEqual(kinds[1], .size(.peakOverFarRight(atLeast: 5)))
        XCTAssertEqual(s.expectations[1].conditions.map(\.description), ["task.label_noise == 0.0"])
        guard case .size(.peakHigher(let hi, let lo)) = kinds[2] else { return XCTFail("\(kinds[2])") }
        XCTAssertEqual(hi.map(\.description), ["task.label_noise == 0.2"])
        XCTAssertEqual(lo.map(\.description), ["task.label_noise == 0.0"])
        XCTAssertEqual(Array(kinds[3...]), [.size(.peakNearThreshold(epsilon: 0.1, gridSteps: 2)), .size(.peakProminent), .size(.convergedFraction(0.9))])
        assertError(rf + "expect:\n  - { peak_within: [1.25, 0.8] }\n", line: 9, contains: ["peak_within: need 0 < a ≤ b"])
        assertError(rf + "expect:\n  - { matches_theory: { z: 3 } }\n", line: 9, contains: ["matches_theory needs model.family 'linear'"])
        assertError("expect:\n  - { peak_within: [0.8, 1.2] }\n", line: 2, contains: ["size axis", "axis 'steps'"])
        assertError(rf + "expect:\n  - { peak_higher: { where: { task.label_nois: 0.2 }, than: { task.label_noise: 0 } } }\n", line: 9,
                    contains: ["unknown key 'task.label_nois'", "did you mean 'task.label_noise'"])
        // The shape over steps is an expectation of the steps axis too.
        let steps = try StudyParser.parse("expect:\n  - { fall_rise_fall: { min_prominence: 0.02 } }\n", file: "t.yaml")
        XCTAssertEqual(steps.expectations.first?.kind, .size(.fallRiseFall(minProminence: 0.02)))
    }

    func testShippedSizeStudiesParseWithEveryProfile() throws {
        for name in ["double-descent-linear-theory", "double-descent-random-features-digits", "double-descent-mlp-mnist1d", "epochwise-double-descent",
                     "epochwise-double-descent-linear"] {
            let path = Self.root.appendingPathComponent("studies/\(name).yaml").path
            let s = try StudyParser.load(path: path)
            XCTAssertFalse(s.question.isEmpty, name)
            XCTAssertFalse(s.expectations.isEmpty, name)
            XCTAssertTrue(s.profileNames.contains("ci"), name)
            for t in try StudyParser.load(path: path, profile: "ci").trials { XCTAssertNoThrow(try TrialRunner.validate(t), name) }
        }
    }
}

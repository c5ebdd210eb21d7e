// task.kind teacher in study files: its keys and their errors, a deterministic trial, one teacher for
// every seed (fresh samples per seed), and the shipped study.
import Foundation
import Studies
import XCTest

final class TeacherTaskTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let base = """
    axis: size
    task: { kind: teacher, input_dimension: 5, teacher_width: 20, classes: 3, n_train: 150, n_test: 500 }
    model: { family: random_features, features: 60 }
    seeds: 2

    """

    func error(_ text: String) -> String {
        do { _ = try StudyParser.parse(text, file: "t.yaml"); return "" } catch { return "\(error)" }
    }

    func testKeysAndTheirErrors() throws {
        let s = try StudyParser.parse(base, file: "t.yaml")
        let c = s.trials[0].config
        XCTAssertEqual(c["task.classes"], .int(3))
        XCTAssertEqual(c["task.input_dimension"], .int(5))
        XCTAssertNil(c["task.data"]); XCTAssertNil(c["task.signal"])
        XCTAssertTrue(error(base.replacingOccurrences(of: "classes: 3", with: "classes: 1")).contains("t.yaml:2:"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "classes: 3", with: "classes: 1")).contains("out of range"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "input_dimension: 5", with: "input_dimension: 0")).contains("task.input_dimension"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "teacher_width: 20", with: "teacher_width: -3")).contains("task.teacher_width"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "kind: teacher", with: "kind: digits")).contains("task.classes does not apply"))
        XCTAssertTrue(error(base.replacingOccurrences(of: "family: random_features", with: "family: linear")).contains("needs task.kind 'gaussian_linear'"))
        XCTAssertTrue(error(base + "task.data: somewhere\n").contains("task.data does not apply"))
    }

    func field(_ r: TrialResult, _ name: String) -> Double? {
        guard let f = r.size?.fields.first(where: { $0.0 == name })?.1 else { return nil }
        if case .number(let d) = f { return d }
        if case .int(let i) = f { return Double(i) }
        return nil
    }

    func testTrialsAreDeterministicAndSeedsDrawFreshSamples() throws {
        let s = try StudyParser.parse(base, file: "t.yaml")
        let a = try TrialRunner.run(s.trials[0]), b = try TrialRunner.run(s.trials[0]), other = try TrialRunner.run(s.trials[1])
        XCTAssertEqual(a.size?.testError, b.size?.testError)
        XCTAssertEqual(a.size?.trainError, b.size?.trainError)
        XCTAssertEqual(a.parameterCount, 60 * 3)
        XCTAssertEqual(field(a, "n_test"), 500)
        XCTAssertEqual(field(a, "classes"), 3)
        XCTAssertNotEqual(a.size?.testError, other.size?.testError)
        // A teacher of 3 classes in 5 dimensions is learnable: 60 features on 150 examples beat chance (2/3) clearly.
        XCTAssertLessThan(try XCTUnwrap(a.size?.testError), 0.45)
    }

    func testTheMLPFamilyTrainsOnTheTeacher() throws {
        let s = try StudyParser.parse(base.replacingOccurrences(of: "{ family: random_features, features: 60 }", with: "{ family: mlp, width: 32 }")
            + "optimizer: { name: adam, lr: 0.01, weight_decay: 0 }\ntraining: { max_steps: 400, stop_after: never, eval: { points: 5 } }\n", file: "t.yaml")
        let r = try TrialRunner.run(s.trials[0])
        XCTAssertEqual(r.size?.converged, true)
        XCTAssertEqual(r.size?.size, 32)
        XCTAssertLessThan(try XCTUnwrap(r.size?.testError), 0.45)
    }

    func testShippedTeacherStudyParsesWithItsProfiles() throws {
        let path = Self.root.appendingPathComponent("studies/double-descent-random-features-teacher.yaml").path
        for profile in [nil, "ci"] as [String?] {
            let s = try StudyParser.load(path: path, profile: profile)
            XCTAssertEqual(s.value("task.kind"), .string("teacher"))
            for t in s.trials { XCTAssertNoThrow(try TrialRunner.validate(t)) }
        }
    }
}

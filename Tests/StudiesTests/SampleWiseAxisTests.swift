// The sample-wise size axis (`size_by: samples`): what the parser accepts and refuses (with the place),
// that the size is task.n_train, and that every n of one seed draws from the same stream, so that the
// smaller training sets are the first rows of the larger ones.
import Datasets
import Foundation
import Studies
import XCTest

final class SampleWiseAxisTests: XCTestCase {
    func assertError(_ text: String, line: Int, contains: [String], file: StaticString = #filePath, at: UInt = #line) {
        do {
            _ = try StudyParser.parse(text, file: "t.yaml")
            XCTFail("expected an error for:\n\(text)", file: file, line: at)
        } catch let e as StudyError {
            XCTAssertEqual(e.location?.line, line, "\(e)", file: file, line: at)
            for c in contains { XCTAssertTrue(e.description.contains(c), "'\(c)' not in: \(e)", file: file, line: at) }
        } catch { XCTFail("\(error)", file: file, line: at) }
    }

    let study = """
    axis: size
    size_by: samples
    task: { kind: teacher, input_dimension: 3, teacher_width: 5, classes: 3, n_test: 200, standardize: false }
    model: { family: random_features, features: 20 }
    seeds: 2

    """

    func testTheSizeIsTheTrainingSetAndOneSeedSharesItsStream() throws {
        let s = try StudyParser.parse(study + "sweep: { task.n_train: [10, 40] }\n", file: "t.yaml")
        XCTAssertEqual(Schema.sizeKey(s), "task.n_train")
        let t = s.trials   // n = 10 (seeds 0, 1), n = 40 (seeds 0, 1)
        XCTAssertEqual(t.map { $0.spec.size }, [10, 10, 40, 40])
        XCTAssertEqual(TrialRunner.dataSeed(t[0]), TrialRunner.dataSeed(t[2]), "seed 0 draws n = 10 and n = 40 from one stream")
        XCTAssertNotEqual(TrialRunner.dataSeed(t[0]), TrialRunner.dataSeed(t[1]), "seeds differ")
        // The stream makes the smaller training set the first rows of the larger one (standardize: false, which
        // would scale each set by its own statistics).
        let small = try TrialRunner.run(t[0]), large = try TrialRunner.run(t[2])
        XCTAssertEqual(small.size?.size, 10)
        XCTAssertEqual(large.size?.size, 40)
        let a = try XCTUnwrap(TrialRunner.featureData(t[0])).train, b = try XCTUnwrap(TrialRunner.featureData(t[2])).train
        XCTAssertEqual(a.count, 10)
        XCTAssertEqual(b.count, 40)
        for i in 0..<10 {
            XCTAssertEqual(a.labels[i], b.labels[i], "row \(i)")
            for j in 0..<a.x.cols { XCTAssertEqual(a.x[i, j], b.x[i, j], "row \(i), column \(j)") }
        }
        // The model-wise default is unchanged: the family's size key.
        let modelWise = try StudyParser.parse(study.replacingOccurrences(of: "size_by: samples\n", with: "") + "sweep: { model.features: [10, 40] }\n", file: "t.yaml")
        XCTAssertEqual(Schema.sizeKey(modelWise), "model.features")
        XCTAssertEqual(modelWise.trials.map { $0.spec.size }, [10, 10, 40, 40])
    }

    func testBadSampleWiseStudiesAreErrorsAtTheirPlace() {
        // Not a size-axis study.
        assertError(study.replacingOccurrences(of: "axis: size", with: "axis: steps") + "sweep: { task.n_train: [10, 40] }\n", line: 2, contains: ["size_by: samples", "axis 'steps'"])
        // No sweep of task.n_train, or a single value.
        assertError(study + "sweep: { model.features: [10, 40] }\n", line: 2, contains: ["needs a sweep of task.n_train"])
        assertError(study + "sweep: { task.n_train: [10] }\n", line: 6, contains: ["at least 2 values"])
        // A task without n_train (the operation tables have a fraction).
        assertError("axis: size\nsize_by: samples\nmodel: { family: mlp }\nsweep: { task.train_fraction: [0.3, 0.5] }\n", line: 2, contains: ["task.kind 'algorithmic' does not have", "teacher"])
        // A profile may not change it, nor may a sweep.
        assertError(study + "sweep: { task.n_train: [10, 40] }\nprofiles:\n  ci: { size_by: model }\n", line: 8, contains: ["size_by"])
        assertError(study + "sweep: { task.n_train: [10, 40] }\nprofiles:\n  ci: { sweep.task.n_train: [10] }\n", line: 8, contains: ["at least 2 values"])
        // The expectations of each axis.
        let swept = study + "sweep: { task.n_train: [10, 40] }\n"
        assertError(swept + "expect:\n  - { peak_prominent: true }\n", line: 8, contains: ["model-wise", "more_data_hurts"])
        assertError(swept + "expect:\n  - { more_data_hurts: { min_rise: 2 } }\n", line: 8, contains: ["min_rise must be in (0, 1)"])
        assertError(swept + "expect:\n  - { more_data_hurts: { holds: false, grid_steps: 1 } }\n", line: 8, contains: ["with holds: false there is none to place"])
        assertError(study.replacingOccurrences(of: "size_by: samples\n", with: "") + "sweep: { model.features: [10, 40] }\nexpect:\n  - { more_data_hurts: true }\n", line: 7,
                    contains: ["more_data_hurts is an expectation of the sample-wise axis"])
    }

    func testSampleWiseExpectationsParse() throws {
        let s = try StudyParser.parse(study + """
        sweep: { task.n_train: [10, 40] }
        expect:
          - { more_data_hurts: true }
          - { more_data_hurts: { min_rise: 0.05, grid_steps: 1 } }
          - { more_data_hurts: false }
          - { more_data_hurts: { holds: false, min_rise: 0.01 } }
          - { converged_fraction: 1.0 }

        """, file: "t.yaml")
        XCTAssertEqual(s.expectations.map(\.kind), [.size(.moreDataHurts(holds: true, minRise: 0.02, gridSteps: nil)), .size(.moreDataHurts(holds: true, minRise: 0.05, gridSteps: 1)),
                                                   .size(.moreDataHurts(holds: false, minRise: 0.02, gridSteps: nil)), .size(.moreDataHurts(holds: false, minRise: 0.01, gridSteps: nil)),
                                                   .size(.convergedFraction(1.0))])
    }
}

// The error against noisy test labels (issue 3): recorded beside the clean test error for the
// random-features and MLP families, drawn once per seed, and related to the clean error as the noise
// process says; test error itself stays against the clean labels.
import Foundation
import Studies
import XCTest

final class NoisyLabelTests: XCTestCase {
    func field(_ r: TrialResult, _ name: String) -> Double? {
        guard let f = r.size?.fields.first(where: { $0.0 == name })?.1 else { return nil }
        if case .number(let d) = f { return d }
        if case .int(let i) = f { return Double(i) }
        return nil
    }

    func study(_ extra: String, family: String = "random_features") throws -> Study {
        try StudyParser.parse("""
        axis: size
        task: { kind: digits, n_train: 300, label_noise: 0.3 }
        model: { family: \(family) }
        seeds: 1
        \(extra)
        """, file: "t.yaml")
    }

    func testRandomFeaturesRecordTheNoisyLabelErrorAsTheNoiseProcessPredicts() throws {
        let s = try study("sweep: { model.features: [100, 2000] }\n")
        let results = try s.trials.map { try TrialRunner.run($0) }
        for r in results {
            let clean = try XCTUnwrap(r.size?.testError), noisy = try XCTUnwrap(field(r, "test_error_noisy_labels"))
            let q = try XCTUnwrap(field(r, "label_noise_test_realized"))
            let n = Double(try XCTUnwrap(field(r, "n_test"))), k = 10.0
            XCTAssertEqual(n, 1497)
            XCTAssertEqual(q, 0.3, accuracy: 4 * (0.3 * 0.7 / n).squareRoot())
            // A flipped label is missed unless a wrong prediction hits it: E[noisy] = q + e (1 − qK/(K − 1)) given the
            // realized flips; binomial spread of at most 1/(2√n).
            XCTAssertEqual(noisy, q + clean * (1 - q * k / (k - 1)), accuracy: 4 * 0.5 / n.squareRoot(), "clean \(clean), noisy \(noisy)")
            XCTAssertGreaterThan(noisy - clean, 0.1, "test_error is against the clean labels")
        }
        // Drawn once per seed: the same corrupted test labels at every size.
        XCTAssertEqual(field(results[0], "label_noise_test_realized"), field(results[1], "label_noise_test_realized"))
    }

    func testWithoutNoiseBothErrorsAgree() throws {
        let s = try StudyParser.parse("axis: size\ntask: { kind: digits, n_train: 200 }\nmodel: { family: random_features, features: 150 }\nseeds: 1\n", file: "t.yaml")
        let r = try TrialRunner.run(s.trials[0])
        XCTAssertEqual(field(r, "test_error_noisy_labels"), r.size?.testError)
        XCTAssertEqual(field(r, "label_noise_test_realized"), 0)
    }

    func testMLPRecordsTheNoisyLabelError() throws {
        let s = try study("model.width: 16\noptimizer: { name: adam, lr: 0.01, weight_decay: 0 }\ntraining: { max_steps: 300, stop_after: never, eval: { points: 5 } }\n", family: "mlp")
        let r = try TrialRunner.run(s.trials[0])
        let clean = try XCTUnwrap(r.size?.testError), noisy = try XCTUnwrap(field(r, "test_error_noisy_labels"))
        let q = try XCTUnwrap(field(r, "label_noise_test_realized")), n = 1497.0
        XCTAssertEqual(noisy, q + clean * (1 - q * 10 / 9), accuracy: 4 * 0.5 / n.squareRoot(), "clean \(clean), noisy \(noisy)")
        XCTAssertLessThan(clean, 0.5, "the MLP learned something")
    }
}

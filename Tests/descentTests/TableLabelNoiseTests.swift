// Label noise on an operation table (task.label_noise with task.kind algorithmic): exactly the chosen share
// of training pairs carries a wrong result, fixed per seed, the validation pairs untouched; trials without
// noise keep their ids; the accuracies on the corrupted and clean rows add up to the training accuracy and
// are 1 for a model that memorized its training set; events that wait for another; and the parser's refusals.
import Foundation
import Linalg
import Studies
import Training
import XCTest

final class TableLabelNoiseTests: XCTestCase {
    func study(_ noise: String, training: String = "{ max_steps: 300, stop_after: never, eval: { points: 30 } }", extra: String = "") throws -> Study {
        try StudyParser.parse("""
        task: { operation: x+y, modulus: 23, train_fraction: 0.6\(noise.isEmpty ? "" : ", label_noise: \(noise)") }
        model: { width: 32, embedding: 8 }
        optimizer: { lr: 3e-3, weight_decay: 0.1 }
        training: \(training)
        seeds: 2
        \(extra)
        """, file: "t.yaml")
    }

    func split(_ t: Trial, seedOf other: Trial? = nil) throws -> TableSplit {
        let task = try XCTUnwrap(t.spec.task as? AlgorithmicTask.Config)
        return try task.split(rng: RNG(seed: (other ?? t).seed))
    }

    func testExactlyTheFractionIsCorruptedFixedPerSeedAndValidationIsUntouched() throws {
        let noisy = try study("0.2"), clean = try study("")
        for (t, c) in zip(noisy.trials, clean.trials) {
            let s = try split(t), same = try split(t)
            let truth = try split(c, seedOf: t)     // the same pairs without noise: the same stream
            XCTAssertEqual(s.train.count, 317)      // 0.6 × 529
            XCTAssertEqual(s.corrupted.count, Int((0.2 * 317).rounded()))
            XCTAssertEqual(s.corrupted, same.corrupted, "fixed per seed")
            XCTAssertEqual(s.train, same.train)
            XCTAssertEqual(s.validation, truth.validation, "the validation pairs and labels are untouched")
            XCTAssertTrue(s.validation.allSatisfy { Int($0.label) == (Int($0.x) + Int($0.y)) % 23 })
            XCTAssertEqual(s.train.map { [$0.x, $0.y] }, truth.train.map { [$0.x, $0.y] }, "the same training pairs")
            let wrong = s.train.indices.filter { Int(s.train[$0].label) != (Int(s.train[$0].x) + Int(s.train[$0].y)) % 23 }
            XCTAssertEqual(wrong, s.corrupted, "exactly the corrupted rows carry a wrong result")
            XCTAssertEqual(s.trueLabels, s.corrupted.map { truth.train[$0].label })
            XCTAssertTrue(truth.corrupted.isEmpty)
        }
        XCTAssertNotEqual(try split(noisy.trials[0]).corrupted, try split(noisy.trials[1]).corrupted, "each seed draws its own noise")
    }

    func testTrialsWithoutNoiseKeepTheirIds() throws {
        let none = try study(""), zero = try study("0"), some = try study("0.1")
        XCTAssertEqual(none.trials.map(\.id), zero.trials.map(\.id), "label_noise 0 leaves no trace in the ids")
        XCTAssertTrue(Set(some.trials.map(\.id)).isDisjoint(with: none.trials.map(\.id)))
        let swept = try study("", extra: "sweep: { task.label_noise: [0, 0.1] }")
        XCTAssertEqual(swept.trials.prefix(2).map(\.id), none.trials.map(\.id))
        XCTAssertEqual(swept.trials[0].value(at: "task.label_noise"), .double(0), "the swept value stays readable for trends and conditions")
        XCTAssertNil(swept.trials[0].config["task.label_noise"])
    }

    func testCorruptedAndCleanAccuraciesAddUpAndAreOneForAMemorizingModel() throws {
        let s = try study("0.2", training: "{ max_steps: 1500, stop_after: never, eval: { points: 40 } }")
        let t = s.trials[0]
        let r = try TrialRunner.run(t)
        let k = try XCTUnwrap(r.corruptedRows), n = r.trainSize
        XCTAssertEqual(k, Int((0.2 * Double(n)).rounded()))
        for rec in r.outcome.records {
            let a = try XCTUnwrap(rec.noise, "every evaluation records the noise accuracies")
            XCTAssertEqual(rec.trainAccuracy * Double(n), a.corrupted * Double(k) + a.clean * Double(n - k), accuracy: 1e-9, "step \(rec.step)")
            XCTAssertLessThanOrEqual(a.corrupted + a.corruptedTrue, 1 + 1e-12, "a row is predicted as its wrong label or its true one, not both")
            XCTAssertEqual(rec.value(.trainAccuracyCorrupted), a.corrupted)
            XCTAssertEqual(rec.value(.trainAccuracyClean), a.clean)
        }
        let memorized = try XCTUnwrap(r.outcome.records.first { $0.trainAccuracy == 1 }, "the small MLP memorizes its 317 pairs, wrong ones included")
        XCTAssertEqual(memorized.noise, NoiseAccuracy(corrupted: 1, corruptedTrue: 0, clean: 1))
        // Without noise there is nothing to split.
        let plain = try TrialRunner.run(try study("", training: "{ max_steps: 20, stop_after: never, eval: { points: 3 } }").trials[0])
        XCTAssertNil(plain.corruptedRows)
        XCTAssertTrue(plain.outcome.records.allSatisfy { $0.noise == nil && $0.value(.trainAccuracyCorrupted).isNaN })
    }

    func testAnEventAfterAnotherWaitsForIt() {
        func rec(_ corrupted: Double) -> EvalRecord {
            var r = EvalRecord(step: 0, trainLoss: 1, trainAccuracy: 0, valLoss: 1, valAccuracy: 0, weightNorm: 1, tensorNorms: [], learningRate: 0)
            r.noise = NoiseAccuracy(corrupted: corrupted, corruptedTrue: 0, clean: 0)
            return r
        }
        let records = [0.05, 0.6, 1.0, 1.0, 0.4, 0.2, 0.9].map(rec)
        let memorized = EventRule(metric: .trainAccuracyCorrupted, atLeast: 0.99)
        let low = EventRule(metric: .trainAccuracyCorrupted, atMost: 0.5)
        XCTAssertEqual(low.first(in: records), 0, "alone, the threshold holds at initialization")
        XCTAssertEqual(EventRule(metric: .trainAccuracyCorrupted, atMost: 0.5, after: memorized.condition).first(in: records), 4)
        XCTAssertNil(EventRule(metric: .trainAccuracyCorrupted, atMost: 0.1, after: memorized.condition).first(in: records))
        // At the same evaluation counts as after.
        XCTAssertEqual(EventRule(metric: .trainAccuracyCorrupted, atLeast: 0.5, after: memorized.condition).first(in: records), 2)
        // A watch that replays a resumed run's records continues where they leave it.
        var w = EventWatch(EventRule(metric: .trainAccuracyCorrupted, atMost: 0.5, after: memorized.condition), replaying: Array(records.prefix(4)))
        XCTAssertFalse(w.happened)
        XCTAssertTrue(w.see(records[4]))
        XCTAssertFalse(w.see(records[5]), "an event happens once")
    }

    func testTheAfterKeyEntersTheIdsAndResolvesToTheOtherEventsRule() throws {
        let events = "events: { memorization: { metric: train_accuracy, at_least: 0.99 }, forgotten: { metric: train_accuracy_corrupted, at_most: 0.5, after: memorization } }"
        let s = try study("0.2", extra: events)
        let e = try XCTUnwrap(s.events.first { $0.name == "forgotten" })
        XCTAssertEqual(e.after, "memorization")
        XCTAssertEqual(e.rule.after, EventRule.Condition(metric: .trainAccuracy, atLeast: 0.99))
        XCTAssertEqual(s.trials[0].config["events.forgotten.after"], .string("memorization"))
        let without = try study("0.2", extra: events.replacingOccurrences(of: ", after: memorization", with: ""))
        XCTAssertNotEqual(s.trials[0].id, without.trials[0].id)
    }

    func testTheParserRefusesWhatCannotBeMeasured() {
        func refusal(_ noise: String, _ extra: String, kind: String = "") -> String {
            do {
                _ = try study(noise, extra: extra)
                return "accepted"
            } catch { return "\(error)" }
        }
        let forgotten = "events: { m: { metric: train_accuracy, at_least: 0.99 }, f: { metric: train_accuracy_corrupted, at_most: 0.5, after: %@ } }"
        XCTAssertTrue(refusal("0.2", forgotten.replacingOccurrences(of: "%@", with: "nothing")).contains("after: 'nothing' is not another event"))
        XCTAssertTrue(refusal("0.2", forgotten.replacingOccurrences(of: "%@", with: "f")).contains("is not another event"))
        let chained = "events: { a: { metric: train_accuracy, at_least: 0.5 }, b: { metric: train_accuracy, at_least: 0.9, after: a }, c: { metric: val_accuracy, at_least: 0.9, after: b } }"
        XCTAssertTrue(refusal("0.2", chained).contains("has an after of its own"))
        let noNoise = refusal("", forgotten.replacingOccurrences(of: "%@", with: "m"))
        XCTAssertTrue(noNoise.contains("only an operation table with label noise has"), noNoise)
        XCTAssertEqual(refusal("", "sweep: { task.label_noise: [0, 0.1] }\n" + forgotten.replacingOccurrences(of: "%@", with: "m")), "accepted")
        XCTAssertTrue(refusal("1.5", "").contains("task.label_noise"))
        let atEvent = refusal("", "expect:\n  - { at_event: { event: memorization, metric: train_accuracy_clean, at_least: 0.9 } }")
        XCTAssertTrue(atEvent.contains("at_event metric train_accuracy_clean reads the accuracy on corrupted or clean training rows"), atEvent)
        XCTAssertTrue(refusal("", "sweep: { task.modulus: [7, 11] }\nexpect:\n  - { trend: { x: task.modulus, y: train_accuracy_corrupted }, direction: increasing }").contains("trend y = train_accuracy_corrupted"))
        XCTAssertEqual(refusal("0.1", "expect:\n  - { at_event: { event: memorization, metric: train_accuracy_clean, at_least: 0.9 } }"), "accepted")
    }
}

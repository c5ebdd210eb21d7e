// The contrast on one task, without training: which keys make two studies "one task" (the size swept on
// one axis and held on the other is not a difference; another learning rate, modulus or width outside
// the sweep is), and which configurations of the two match (every key either sweeps).
import Evaluation
import Foundation
import Studies
import XCTest

final class OneTaskTests: XCTestCase {
    let size = """
    axis: size
    task: { operation: x+y, modulus: 23, train_fraction: 0.8 }
    model: { family: mlp, input: embedding, embedding: 16, width: 64 }
    optimizer: { name: adamw, lr: 3e-3, weight_decay: 1.0 }
    training: { batch: full, max_steps: 400, stop_after: never, eval: { schedule: log, points: 10 } }
    seeds: 1
    sweep:
      task.label_noise: [0, 0.2]
      model.width: [16, 64, 128]

    """
    func steps(_ change: String = "", from: String = "") -> String {
        """
        axis: steps
        task: { operation: x+y, modulus: 23, train_fraction: 0.8 }
        model: { family: mlp, input: embedding, embedding: 16, width: 128 }
        optimizer: { name: adamw, lr: 3e-3, weight_decay: 1.0 }
        training: { batch: full, max_steps: 400, stop_after: never, eval: { schedule: log, points: 40 } }
        seeds: 2
        sweep:
          task.label_noise: [0, 0.2]

        """.replacingOccurrences(of: from.isEmpty ? "\u{0}" : from, with: change)
    }

    func differences(_ stepsText: String) throws -> [String] {
        let s = try StudyParser.parse(size, file: "size.yaml"), t = try StudyParser.parse(stepsText, file: "steps.yaml")
        // Pair each steps trial with the size trial of the same label noise.
        let pairs = t.trials.map { st in (size: s.trials.first { $0.value(at: "task.label_noise") == st.value(at: "task.label_noise") }!, steps: st) }
        return OneTask.differences(pairs, size: s).map { "\($0.key): \($0.size) / \($0.steps)" }
    }

    func testOneTaskIsEveryDefiningKeyButTheSizeSwept() throws {
        // Width 128 is one of the sizes swept; seeds, evaluation schedule and seed indices do not define the models.
        XCTAssertEqual(try differences(steps()), [])
        XCTAssertEqual(try differences(steps("width: 100", from: "width: 128")), ["model.width: 16 / 100"])
        XCTAssertEqual(try differences(steps("lr: 1e-3", from: "lr: 3e-3")), ["optimizer.lr: 0.003 / 0.001"])
        XCTAssertEqual(try differences(steps("modulus: 31", from: "modulus: 23")), ["task.modulus: 23 / 31"])
        XCTAssertEqual(try differences(steps("max_steps: 800", from: "max_steps: 400")), ["training.max_steps: 400 / 800"])
    }
}

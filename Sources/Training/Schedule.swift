// Evaluation schedules: at which steps the curves are measured.
//
//   log:    step 0, then round(10^u) for u evenly spaced over [0, log10(max_steps)], deduplicated:
//           dense early (where memorization happens), sparse late (where a long plateau needs few points).
//   linear: step 0, then every ⌈max_steps / points⌉ steps.
// max_steps is always included, so the end of a run is always measured.

public enum EvalScheduleKind: String, CaseIterable, Sendable, Codable {
    case log, linear
}

public func evaluationSteps(_ kind: EvalScheduleKind, maxSteps: Int, points: Int) -> [Int] {
    precondition(maxSteps >= 1 && points >= 2, "evaluationSteps needs max_steps ≥ 1 and points ≥ 2")
    var steps: Set<Int> = [0, maxSteps]
    switch kind {
    case .log:
        let top = _log10(Double(maxSteps))
        for i in 0..<points {
            let u = top * Double(i) / Double(points - 1)
            steps.insert(min(maxSteps, Int(_pow10(u).rounded())))
        }
    case .linear:
        let every = max(1, (maxSteps + points - 1) / points)
        for s in stride(from: every, through: maxSteps, by: every) { steps.insert(s) }
    }
    return steps.sorted()
}

import Foundation
@inline(__always) private func _log10(_ x: Double) -> Double { Foundation.log10(x) }
@inline(__always) private func _pow10(_ x: Double) -> Double { Foundation.pow(10, x) }

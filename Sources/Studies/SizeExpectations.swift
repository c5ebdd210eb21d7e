// Expectations of the size axis and of the test-error curve's shape over steps. Each is evaluated
// (Reports/SizeReport.swift) on the seed-mean curve of every configuration the `where:` selects
// (configuration = the swept keys other than the size key) and must hold in each of them.
//
//   { peak_within: [0.8, 1.25] }              the test-error peak's size lies in [a, b] × n_train
//   { peak_over_far_right: 5 }                peak height ≥ k × the largest model's test error
//   { peak_higher: { where: {task.label_noise: 0.2}, than: {task.label_noise: 0} } }
//                                             the peak of one configuration is higher than another's
//   { peak_near_threshold: { epsilon: 0, grid_steps: 1 } }
//                                             the peak lies within k grid steps of the interpolation
//                                             threshold (smallest size with mean train error ≤ ε)
//   { peak_prominent: true }                  peak − classical minimum and peak − largest model both exceed
//                                             the seed spread (sample SD) at each of the two sizes compared
//   { matches_theory: { z: 3, min_distance: 5 } }
//                                             linear family: at every p with |p − n| ≥ min_distance the
//                                             seed mean is within z standard errors of the exact risk
//   { fall_rise_fall: { min_prominence: 0.01 } }
//                                             steps axis: the seed-mean test error falls, rises and falls
//                                             again by at least the prominence, in at least one configuration
//   { converged_fraction: 1.0 }               at least this share of the trials converged
//   { more_data_hurts: { min_rise: 0.02, grid_steps: 1 } }
//                                             size_by samples: somewhere the seed-mean test error rises with
//                                             more training examples by at least min_rise (default 0.02), by
//                                             more than the seeds' SD at both ends, and with the 95 % bootstrap
//                                             interval of the largest rise above 0; with grid_steps, the
//                                             rise's top lies within k grid steps of the interpolation limit
//                                             (the last n fitted or the next)
//   { more_data_hurts: false }                (or { holds: false, min_rise: r }) the opposite: the whole
//                                             95 % interval of the largest rise lies below min_rise
import Foundation
import Yams

public enum SizeExpectation: Sendable, Equatable {
    case peakWithin(lo: Double, hi: Double)
    case peakOverFarRight(atLeast: Double)
    case peakHigher(higher: [Condition], lower: [Condition])
    case peakNearThreshold(epsilon: Double, gridSteps: Int)
    case peakProminent
    case matchesTheory(z: Double, minDistance: Int)
    case fallRiseFall(minProminence: Double)
    case convergedFraction(Double)
    case moreDataHurts(holds: Bool, minRise: Double, gridSteps: Int?)

    public static let keys = ["peak_within", "peak_over_far_right", "peak_higher", "peak_near_threshold", "peak_prominent",
                              "matches_theory", "fall_rise_fall", "converged_fraction", "more_data_hurts"]
}

extension Parser {
    func number(_ n: Node, _ what: String) throws -> Double {
        guard let (t, q) = scalar(n), !q, let d = Double(t.replacingOccurrences(of: "_", with: "")), d.isFinite else {
            throw fail(n, "\(what) must be a number, got \(scalar(n).map { "'\($0.0)'" } ?? "a \(kind(n))")")
        }
        return d
    }

    /// `{ key: value, ... }` as equality conditions on schema keys.
    func equalities(_ n: Node, _ what: String) throws -> [Condition] {
        guard case .mapping(let m) = n, m.count > 0 else { throw fail(n, "\(what): expected a mapping such as { task.label_noise: 0.2 }") }
        return try m.map { (k, v) in
            let path = try keyString(k)
            guard let spec = Schema.byPath[path] else {
                throw fail(k, "\(what): unknown key '\(path)'", hint: Schema.suggestion(for: path, among: Schema.keys.map(\.path)).map { "did you mean '\($0)'?" })
            }
            return Condition(path: path, op: .eq, value: try convert(spec, v))
        }
    }

    func mapping(_ n: Node, _ what: String, allowed: [String]) throws -> [String: Node] {
        guard case .mapping(let m) = n else { throw fail(n, "\(what): expected a mapping with \(allowed.joined(separator: ", "))") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            let key = try keyString(k)
            guard allowed.contains(key) else { throw fail(k, "\(what): unknown key '\(key)'", hint: "\(what) has " + allowed.joined(separator: ", ")) }
            out[key] = v
        }
        return out
    }

    /// Parses a size-axis expectation from the fields of an `expect` item (removing the ones it uses),
    /// or returns nil when the item has none of the size-axis keys.
    func parseSizeExpectation(_ fields: inout [String: Node], _ node: Node) throws -> SizeExpectation? {
        guard let key = SizeExpectation.keys.first(where: { fields[$0] != nil }) else { return nil }
        let v = fields.removeValue(forKey: key)!
        let axis = values["axis"]?.asString ?? "steps"
        if key != "fall_rise_fall" && key != "converged_fraction" && axis != "size" {
            throw fail(node, "\(key) is an expectation of the size axis; this study has axis '\(axis)'", hint: "set 'axis: size', or use fall_rise_fall for curves over steps")
        }
        let sampleWise = values[StudyKeys.sizeBy.path]?.asString == "samples"
        if key == "more_data_hurts" && !sampleWise {
            throw fail(node, "more_data_hurts is an expectation of the sample-wise axis (size_by: samples)", hint: "set 'size_by: samples' and sweep task.n_train, or use peak_near_threshold and peak_prominent for a model-wise study")
        }
        if sampleWise && !["more_data_hurts", "converged_fraction", "fall_rise_fall"].contains(key) {
            throw fail(node, "\(key) measures the model-wise curve; this study has size_by: samples", hint: "use more_data_hurts (and converged_fraction) on the sample-wise axis")
        }
        switch key {
        case "more_data_hurts":
            if let (t, q) = scalar(v), !q, t == "true" || t == "false" { return .moreDataHurts(holds: t == "true", minRise: 0.02, gridSteps: nil) }
            let m = try mapping(v, "more_data_hurts", allowed: ["holds", "min_rise", "grid_steps"])
            var holds = true
            if let h = m["holds"] {
                guard let (t, q) = scalar(h), !q, t == "true" || t == "false" else { throw fail(h, "more_data_hurts.holds must be true or false") }
                holds = t == "true"
            }
            let rise = try m["min_rise"].map { try number($0, "more_data_hurts.min_rise") } ?? 0.02
            guard rise > 0, rise < 1 else { throw fail(v, "more_data_hurts.min_rise must be in (0, 1)") }
            let steps = try m["grid_steps"].map { try number($0, "more_data_hurts.grid_steps") }
            if let steps, steps < 0 || steps != steps.rounded() { throw fail(v, "more_data_hurts.grid_steps must be a whole number ≥ 0") }
            if steps != nil && !holds { throw fail(v, "more_data_hurts.grid_steps places a rise; with holds: false there is none to place") }
            return .moreDataHurts(holds: holds, minRise: rise, gridSteps: steps.map { Int($0) })
        case "peak_within":
            guard case .sequence(let seq) = v, seq.count == 2 else { throw fail(v, "peak_within: expected [a, b], multiples of task.n_train") }
            let a = try number(seq[0], "peak_within"), b = try number(seq[1], "peak_within")
            guard a > 0, a <= b else { throw fail(v, "peak_within: need 0 < a ≤ b, got [\(a), \(b)]") }
            return .peakWithin(lo: a, hi: b)
        case "peak_over_far_right":
            let k = try number(v, "peak_over_far_right")
            guard k > 0 else { throw fail(v, "peak_over_far_right must be > 0") }
            return .peakOverFarRight(atLeast: k)
        case "peak_higher":
            let m = try mapping(v, "peak_higher", allowed: ["where", "than"])
            guard let w = m["where"], let t = m["than"] else { throw fail(v, "peak_higher needs where and than") }
            return .peakHigher(higher: try equalities(w, "peak_higher.where"), lower: try equalities(t, "peak_higher.than"))
        case "peak_near_threshold":
            let m = try mapping(v, "peak_near_threshold", allowed: ["epsilon", "grid_steps"])
            let eps = try m["epsilon"].map { try number($0, "peak_near_threshold.epsilon") } ?? 0
            let steps = try m["grid_steps"].map { try number($0, "peak_near_threshold.grid_steps") } ?? 1
            guard eps >= 0, eps < 1, steps >= 0, steps == steps.rounded() else { throw fail(v, "peak_near_threshold: epsilon in [0, 1) and a whole grid_steps ≥ 0") }
            return .peakNearThreshold(epsilon: eps, gridSteps: Int(steps))
        case "peak_prominent":
            guard let (t, _) = scalar(v), t == "true" else { throw fail(v, "peak_prominent: write 'peak_prominent: true'") }
            return .peakProminent
        case "matches_theory":
            guard KeyValues(values: values).string(ModelKeys.family) == LinearFamily.name else {
                throw fail(node, "matches_theory needs model.family 'linear' (the exact finite-sample risk of minimum-norm least squares)")
            }
            guard KeyValues(values: values).string(ClosedFormKeys.method) == "min_norm" else { throw fail(node, "matches_theory: the exact formula is for solver.method 'min_norm'") }
            let m = try mapping(v, "matches_theory", allowed: ["z", "min_distance"])
            let z = try m["z"].map { try number($0, "matches_theory.z") } ?? 3
            let d = try m["min_distance"].map { try number($0, "matches_theory.min_distance") } ?? 5
            guard z > 0, d >= 2, d == d.rounded() else { throw fail(v, "matches_theory: z > 0 and a whole min_distance ≥ 2 (the risk is infinite at |p − n| ≤ 1)") }
            return .matchesTheory(z: z, minDistance: Int(d))
        case "fall_rise_fall":
            let m = try mapping(v, "fall_rise_fall", allowed: ["min_prominence"])
            let p = try m["min_prominence"].map { try number($0, "fall_rise_fall.min_prominence") } ?? 0.01
            guard p > 0, p < 1 else { throw fail(v, "fall_rise_fall.min_prominence must be in (0, 1)") }
            return .fallRiseFall(minProminence: p)
        default:
            return .convergedFraction(try fraction(v, "converged_fraction"))
        }
    }
}

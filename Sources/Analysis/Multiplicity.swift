// Multiplicity: Holm's step-down adjustment of a family of p-values (Holm 1979), which controls the
// family-wise error rate under any dependence between the tests:
//
//     sort p_(1) ≤ … ≤ p_(m);  p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))
//
// A test whose p-value is missing (undefined: no events, zero variance) is not part of the family.
import Foundation

/// Holm-adjusted p-values, in the order given; nil stays nil and does not count in m.
public func holm(_ p: [Double?]) -> [Double?] {
    var present: [(index: Int, p: Double)] = []
    for (i, v) in p.enumerated() { if let v { present.append((i, v)) } }
    present.sort { a, b in a.p != b.p ? a.p < b.p : a.index < b.index }
    let m = present.count
    var out = [Double?](repeating: nil, count: p.count)
    var running = 0.0
    for (rank, item) in present.enumerated() {
        let scaled: Double = Double(m - rank) * item.p
        running = Swift.max(running, Swift.min(1, scaled))
        out[item.index] = running
    }
    return out
}

// StableMax cross-entropy (Prieto et al. 2025, `stablemax_cross_entropy`): the softmax's exp replaced by
//
//     s(x) = x + 1 (x ≥ 0),   1 / (1 − x) (x < 0),      p_c = s(z_c) / S,   S = Σ_c s(z_c),
//
// which grows linearly rather than exponentially, so a large margin does not round p_y to 1. Computed in
// float64 from the logits, as the reference does:
//
//     ℓ_b = log S − log s(z_y),      dℓ_b/dz_c = s'(z_c) / S − [c = y] s'(z_y) / s(z_y),
//     s'(x) = 1 (x ≥ 0),  s(x)² (x < 0)   (s is continuously differentiable at 0).
//
// A row is counted as saturated when p_y rounds to 1 in float64.
import Foundation
import Linalg

enum StableMax {
    static let doc = "stablemax: −log of s(z)_y / Σ s(z), s(x) = x + 1 (x ≥ 0), 1/(1 − x) (x < 0), in float64 (Prieto et al. 2025)"

    @inline(__always) static func s(_ x: Double) -> Double { x >= 0 ? x + 1 : 1 / (1 - x) }
    @inline(__always) static func ds(_ x: Double) -> Double { x >= 0 ? 1 : 1 / ((1 - x) * (1 - x)) }

    static func rows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                dlogits: UnsafeMutablePointer<T>?, scale: T) -> LossSums {
        let k = Double(scale)
        return lossRows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits) { r in
            var total = 0.0
            for c in 0..<C { total += s(Double(r.z[c])) }
            let zy = Double(r.z[r.y]), sy = s(zy)
            if let d = r.d {
                for c in 0..<C { d[c] = T(k * ds(Double(r.z[c])) / total) }
                d[r.y] = T(k * (ds(zy) / total - ds(zy) / sy))
            }
            return (Foundation.log(total) - Foundation.log(sy), r.correct && (total - sy) / total < Double.ulpOfOne / 2)
        }
    }
}

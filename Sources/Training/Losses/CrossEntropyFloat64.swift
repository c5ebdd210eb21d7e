// Cross-entropy with the softmax computed in float64 whatever the model's precision (Prieto et al. 2025,
// `cross_entropy_float64`): the same loss as CrossEntropy.swift,
//
//     ℓ_b = log Σ_c exp(z_bc − m_b) + m_b − z_b,y_b,    dℓ_b/dz_bc = softmax(z_b)_c − [c = y_b],   m_b = max_c z_bc,
//
// but exp, the sum and the probabilities in Double, so a float32 model's correct-class probability
// rounds to 1 (its gradient to 0: softmax collapse) only when the others' mass is below 2⁻⁵³ rather
// than 2⁻²⁴. The gradient is rounded to the model's precision at the end.
import Foundation
import Linalg

enum CrossEntropyFloat64 {
    static let doc = "cross_entropy_float64: −log softmax(z)_y with the softmax in float64 (Prieto et al. 2025)"

    static func rows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                dlogits: UnsafeMutablePointer<T>?, scale: T) -> LossSums {
        let k = Double(scale)
        return lossRows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits) { r in
            let z = r.z, m = Double(r.max)
            var total = 0.0
            for c in 0..<C { total += Foundation.exp(Double(z[c]) - m) }
            if let d = r.d {
                for c in 0..<C { d[c] = T(k * (Foundation.exp(Double(z[c]) - m) / total - (c == r.y ? 1 : 0))) }
            }
            return (Foundation.log(total) + m - Double(z[r.y]), r.correct && total - 1 < Double.ulpOfOne / 2)
        }
    }
}

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
        var sums = LossSums()
        sums.rows = B
        let s = Double(scale)
        for b in 0..<B {
            let z = logits + b * C
            let y = Int(labels[b])
            let (argmax, maxT) = rowArgmax(z, C)
            if argmax == y { sums.correct += 1 }
            let m = Double(maxT)
            var total = 0.0
            for c in 0..<C { total += Foundation.exp(Double(z[c]) - m) }
            if let d = dlogits.map({ $0 + b * C }) {
                for c in 0..<C { d[c] = T(s * (Foundation.exp(Double(z[c]) - m) / total - (c == y ? 1 : 0))) }
            }
            sums.loss += Foundation.log(total) + m - Double(z[y])
            if argmax == y && total - 1 < Double.ulpOfOne / 2 { sums.saturated += 1 }
        }
        return sums
    }
}

// Cross-entropy over softmax(z) (the row max subtracted before exp):
//
//     ℓ_b = log Σ_c exp(z_bc) − z_b,y_b,        dℓ_b/dz_bc = softmax(z_b)_c − [c = y_b]
//
// It also counts the rows whose softmax has saturated in this precision (see LossSums.saturated).
import Foundation
import Linalg

enum CrossEntropy {
    static let doc = "cross_entropy: −log softmax(z)_y"

    static func rows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                dlogits: UnsafeMutablePointer<T>?, scale: T) -> LossSums {
        lossRows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits) { r in
            let z = r.z, maxv = r.max
            var total: Double = 0
            if let d = r.d {
                for c in 0..<C { let e = T.exp(z[c] - maxv); d[c] = e; total += Double(e) }
                let inv = scale / T(total)
                for c in 0..<C { d[c] *= inv }
                d[r.y] -= scale
            } else {
                for c in 0..<C { total += Double(T.exp(z[c] - maxv)) }
            }
            return (Foundation.log(total) + Double(maxv) - Double(z[r.y]), r.correct && total - 1 < Double(T.ulpOfOne) / 2)
        }
    }
}

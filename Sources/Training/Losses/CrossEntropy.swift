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
        var sums = LossSums()
        sums.rows = B
        for b in 0..<B {
            let z = logits + b * C
            let y = Int(labels[b])
            let (argmax, maxv) = rowArgmax(z, C)
            if argmax == y { sums.correct += 1 }
            var total: Double = 0
            if let d = dlogits.map({ $0 + b * C }) {
                for c in 0..<C { let e = T.exp(z[c] - maxv); d[c] = e; total += Double(e) }
                let inv = scale / T(total)
                for c in 0..<C { d[c] *= inv }
                d[y] -= scale
            } else {
                for c in 0..<C { total += Double(T.exp(z[c] - maxv)) }
            }
            sums.loss += Foundation.log(total) + Double(maxv) - Double(z[y])
            if argmax == y && total - 1 < Double(T.ulpOfOne) / 2 { sums.saturated += 1 }
        }
        return sums
    }
}

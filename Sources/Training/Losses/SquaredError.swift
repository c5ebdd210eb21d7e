// Squared error against one-hot targets:
//
//     ℓ_b = Σ_c (z_bc − [c = y_b])²,        dℓ_b/dz_bc = 2 (z_bc − [c = y_b])
import Linalg

enum SquaredError {
    static let doc = "mse: squared error against one-hot targets"

    static func rows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                dlogits: UnsafeMutablePointer<T>?, scale: T) -> LossSums {
        lossRows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits) { r in
            var s: Double = 0
            for c in 0..<C {
                let e = r.z[c] - (c == r.y ? 1 : 0)
                s += Double(e) * Double(e)
                r.d?[c] = 2 * e * scale
            }
            return (s, false)
        }
    }
}

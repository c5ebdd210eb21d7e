// Squared error against one-hot targets:
//
//     ℓ_b = Σ_c (z_bc − [c = y_b])²,        dℓ_b/dz_bc = 2 (z_bc − [c = y_b])
import Linalg

enum SquaredError {
    static let doc = "mse: squared error against one-hot targets"

    static func rows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                dlogits: UnsafeMutablePointer<T>?, scale: T) -> LossSums {
        var sums = LossSums()
        sums.rows = B
        for b in 0..<B {
            let z = logits + b * C
            let y = Int(labels[b])
            if rowArgmax(z, C).0 == y { sums.correct += 1 }
            var s: Double = 0
            let d = dlogits.map { $0 + b * C }
            for c in 0..<C {
                let r = z[c] - (c == y ? 1 : 0)
                s += Double(r) * Double(r)
                d?[c] = 2 * r * scale
            }
            sums.loss += s
        }
        return sums
    }
}

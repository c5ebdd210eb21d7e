// Losses over logits[B, C] with integer labels[B].
//
//   cross_entropy:  ℓ_b = log Σ_c exp(z_bc) − z_b,y_b          (softmax computed with the row max subtracted)
//                   dℓ_b/dz_bc = softmax(z_b)_c − [c = y_b]
//   mse:            ℓ_b = Σ_c (z_bc − [c = y_b])²              (squared error against one-hot targets)
//                   dℓ_b/dz_bc = 2 (z_bc − [c = y_b])
//
// The training loss is the mean over the batch, so dlogits carries the factor `scale` = 1/B.
import Linalg

public enum LossKind: String, CaseIterable, Sendable, Codable {
    case crossEntropy = "cross_entropy"
    case mse
}

public struct LossSums: Sendable {
    public var loss: Double = 0     // Σ_b ℓ_b
    public var correct: Int = 0     // rows whose arg-max logit is the label (ties: lowest class)
    public var rows: Int = 0
    /// Rows whose softmax has saturated in this precision: the other classes' probabilities sum to less
    /// than half an ulp of 1, so p(label) rounds to exactly 1, the loss to 0 and the gradient vanishes
    /// ("softmax collapse", a float32 failure mode of long grokking runs).
    public var saturated: Int = 0
    public init() {}
    public mutating func add(_ o: LossSums) { loss += o.loss; correct += o.correct; rows += o.rows; saturated += o.saturated }
    public var saturatedFraction: Double { rows == 0 ? 0 : Double(saturated) / Double(rows) }
    public var meanLoss: Double { rows == 0 ? 0 : loss / Double(rows) }
    public var accuracy: Double { rows == 0 ? 0 : Double(correct) / Double(rows) }
}

/// Sums of the loss and of correct predictions; with `dlogits`, also writes scale · dℓ_b/dz into it.
public func lossForwardBackward<T: Scalar>(
    _ kind: LossKind, logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
    dlogits: UnsafeMutablePointer<T>?, scale: T
) -> LossSums {
    var sums = LossSums()
    sums.rows = B
    for b in 0..<B {
        let z = logits + b * C
        let y = Int(labels[b])
        var argmax = 0
        var maxv = z[0]
        for c in 1..<C where z[c] > maxv { maxv = z[c]; argmax = c }
        if argmax == y { sums.correct += 1 }
        switch kind {
        case .crossEntropy:
            var total: Double = 0
            if let d = dlogits.map({ $0 + b * C }) {
                for c in 0..<C { let e = T.exp(z[c] - maxv); d[c] = e; total += Double(e) }
                let inv = scale / T(total)
                for c in 0..<C { d[c] *= inv }
                d[y] -= scale
            } else {
                for c in 0..<C { total += Double(T.exp(z[c] - maxv)) }
            }
            sums.loss += _logD(total) + Double(maxv) - Double(z[y])
            if argmax == y && total - 1 < Double(T.ulpOfOne) / 2 { sums.saturated += 1 }
        case .mse:
            var s: Double = 0
            let d = dlogits.map { $0 + b * C }
            for c in 0..<C {
                let r = z[c] - (c == y ? 1 : 0)
                s += Double(r) * Double(r)
                d?[c] = 2 * r * scale
            }
            sums.loss += s
        }
    }
    return sums
}

import Foundation
@inline(__always) private func _logD(_ x: Double) -> Double { Foundation.log(x) }

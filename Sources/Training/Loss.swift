// Losses over logits[B, C] with integer labels[B]: the registry, and what every loss reports. Each loss
// is one file in Losses/ (its formula, forward and gradient side by side); a new loss is that file plus
// its case and its line in `lossForwardBackward` below.
//
// The training loss is the mean over the batch, so dlogits carries the factor `scale` = 1/B.
import Linalg

public enum LossKind: String, CaseIterable, Sendable, Codable {
    case crossEntropy = "cross_entropy"
    case mse
    case crossEntropyFloat64 = "cross_entropy_float64"
    case stablemax

    /// One line for the study-file reference.
    public var doc: String {
        switch self {
        case .crossEntropy: return CrossEntropy.doc
        case .mse: return SquaredError.doc
        case .crossEntropyFloat64: return CrossEntropyFloat64.doc
        case .stablemax: return StableMax.doc
        }
    }
}

/// Sums of the loss and of correct predictions; with `dlogits`, also writes scale · dℓ_b/dz into it.
public func lossForwardBackward<T: Scalar>(
    _ kind: LossKind, logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
    dlogits: UnsafeMutablePointer<T>?, scale: T
) -> LossSums {
    switch kind {
    case .crossEntropy: return CrossEntropy.rows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits, scale: scale)
    case .mse: return SquaredError.rows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits, scale: scale)
    case .crossEntropyFloat64: return CrossEntropyFloat64.rows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits, scale: scale)
    case .stablemax: return StableMax.rows(logits: logits, labels: labels, B: B, C: C, dlogits: dlogits, scale: scale)
    }
}

public struct LossSums: Sendable {
    public var loss: Double = 0     // Σ_b ℓ_b
    public var correct: Int = 0     // rows whose arg-max logit is the label (ties: lowest class)
    public var rows: Int = 0
    /// Rows in softmax collapse (Prieto et al. 2025): the label is the arg-max and the denominator
    /// Σ_c exp(z_c − z_max) = 1 + Σ_{c≠y} exp(z_c − z_y) is below 1 + ulp(1)/2, so in this precision it
    /// rounds to 1: p(label) is exactly 1, the loss exactly 0 and the label's gradient vanishes. The
    /// sum is taken in float64, so the count does not depend on the order of summation.
    public var saturated: Int = 0
    public init() {}
    public mutating func add(_ o: LossSums) { loss += o.loss; correct += o.correct; rows += o.rows; saturated += o.saturated }
    public var saturatedFraction: Double { rows == 0 ? 0 : Double(saturated) / Double(rows) }
    public var meanLoss: Double { rows == 0 ? 0 : loss / Double(rows) }
    public var accuracy: Double { rows == 0 ? 0 : Double(correct) / Double(rows) }
}

/// One row of a loss: its logits z[C], its label y, its arg-max (ties: the lowest class) and the max logit,
/// and where its gradient goes (nil when only the loss is wanted).
struct LossRow<T: Scalar> {
    let z: UnsafePointer<T>
    let y: Int
    let argmax: Int
    let max: T
    let d: UnsafeMutablePointer<T>?
    var correct: Bool { argmax == y }
}

/// Runs a loss's `row` over the B rows of logits[B, C], counting the correct rows; `row` returns ℓ_b and
/// whether the row's probability has saturated.
@inline(__always) func lossRows<T: Scalar>(logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, B: Int, C: Int,
                                           dlogits: UnsafeMutablePointer<T>?, _ row: (LossRow<T>) -> (loss: Double, saturated: Bool)) -> LossSums {
    var sums = LossSums()
    sums.rows = B
    for b in 0..<B {
        let z = logits + b * C
        var argmax = 0
        var maxv = z[0]
        for c in 1..<C where z[c] > maxv { maxv = z[c]; argmax = c }
        let r = LossRow(z: z, y: Int(labels[b]), argmax: argmax, max: maxv, d: dlogits.map { $0 + b * C })
        if r.correct { sums.correct += 1 }
        let (loss, saturated) = row(r)
        sums.loss += loss
        if saturated { sums.saturated += 1 }
    }
    return sums
}

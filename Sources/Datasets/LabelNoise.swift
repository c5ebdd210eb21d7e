// LabelNoise: symmetric label noise for the double-descent studies (Nakkiran et al. 2019): each
// training label is, with probability q, replaced by a label drawn uniformly from the K − 1
// INCORRECT classes. The clean labels are kept, so test error is measured against clean labels and
// the error against the noisy labels stays available.
//
// Shapes: labels [n] in 0..<K.
import Linalg

/// Corrupts labels independently with probability `rate`: a corrupted label is drawn uniformly from
/// the `classes − 1` labels different from the clean one, so it is always incorrect.
///
/// Randomness: for every example i, in order, one uniform u_i (corrupt when u_i < rate) and one
/// offset o_i in 1..<K are drawn, whether or not the example is corrupted; the noisy label is
/// (clean + o_i) mod K. Hence (1) the noise is a function of the rng state only ("drawn once per
/// seed": pass `RNG(seed: s).split("label-noise")`), (2) with the same rng a higher rate corrupts a
/// superset of the examples a lower rate corrupts, with the same wrong labels (coupled sweeps).
///
/// - Parameters:
///   - labels: [n] clean labels in 0..<classes.
///   - classes: K >= 2.
///   - rate: q in [0, 1].
/// - Returns: [n] noisy labels.
public func corruptLabels(_ labels: [Int], classes: Int, rate: Double, rng: inout RNG) -> [Int] {
    precondition(classes >= 2, "corruptLabels: need at least 2 classes to draw an incorrect label, got \(classes)")
    precondition(rate >= 0 && rate <= 1, "corruptLabels: rate \(rate) is not in [0, 1]")
    return labels.map { clean in
        precondition((0..<classes).contains(clean), "corruptLabels: label \(clean) outside 0..<\(classes)")
        let u = rng.uniform()
        let offset = 1 + rng.int(below: classes - 1)
        return u < rate ? (clean + offset) % classes : clean
    }
}

/// The 0-1 error of predictions against both label sets.
public struct LabelErrors: Sendable, Equatable, Codable {
    /// Fraction of predictions that differ from the clean labels (what "test error" means).
    public var clean: Double
    /// Fraction of predictions that differ from the labels the model was trained on (noisy ones).
    public var observed: Double
}

extension ClassificationData {
    /// A copy whose `labels` carry label noise at `rate` (see `corruptLabels`), drawn from the clean
    /// labels (applying it twice does not compound). `cleanLabels` are unchanged.
    public func withLabelNoise(rate: Double, rng: inout RNG) -> ClassificationData {
        var copy = self
        copy.labels = corruptLabels(cleanLabels, classes: classes, rate: rate, rng: &rng)
        return copy
    }

    /// The fraction of examples whose training label was corrupted (the realized noise rate).
    public var corruptedFraction: Double {
        count == 0 ? 0 : Double(corrupted.filter { $0 }.count) / Double(count)
    }

    /// The 0-1 error of `predictions` [n] against the clean labels and against the training labels.
    public func errors(of predictions: [Int]) -> LabelErrors {
        precondition(predictions.count == count, "errors(of:): \(predictions.count) predictions for \(count) examples")
        guard count > 0 else { return LabelErrors(clean: 0, observed: 0) }
        var clean = 0, observed = 0
        for i in 0..<count {
            if predictions[i] != cleanLabels[i] { clean += 1 }
            if predictions[i] != labels[i] { observed += 1 }
        }
        return LabelErrors(clean: Double(clean) / Double(count), observed: Double(observed) / Double(count))
    }
}

/// Exact label noise on a fixed set (the operation tables: Hoogland et al.'s pattern-learning sweeps): of
/// n labels, exactly k = round(fraction · n) are replaced, each by a label drawn uniformly from the
/// `classes − 1` incorrect ones.
///
/// Randomness: one shuffle of 0..<n chooses the corrupted rows (the first k of it), then one offset in
/// 1..<K per row of 0..<n in order, whether or not the row is corrupted; the noisy label is
/// (clean + offset) mod K. So the noise is a function of the rng state ("fixed per seed"), and with the
/// same rng a larger fraction corrupts a superset of the rows a smaller one does, with the same wrong labels.
///
/// - Parameters:
///   - labels: [n] clean labels in 0..<classes.
///   - classes: K >= 2.
///   - fraction: in [0, 1].
/// - Returns: the [n] noisy labels and the corrupted rows, ascending.
public func corruptExactly(_ labels: [Int], classes: Int, fraction: Double, rng: inout RNG) -> (labels: [Int], corrupted: [Int]) {
    precondition(classes >= 2, "corruptExactly: need at least 2 classes to draw an incorrect label, got \(classes)")
    precondition(fraction >= 0 && fraction <= 1, "corruptExactly: fraction \(fraction) is not in [0, 1]")
    let n = labels.count, k = Int((fraction * Double(n)).rounded())
    var order = Array(0..<n)
    rng.shuffle(&order)
    let offsets = (0..<n).map { _ in 1 + rng.int(below: classes - 1) }
    let corrupted = order.prefix(k).sorted()
    var noisy = labels
    for i in corrupted {
        precondition((0..<classes).contains(labels[i]), "corruptExactly: label \(labels[i]) outside 0..<\(classes)")
        noisy[i] = (labels[i] + offsets[i]) % classes
    }
    return (noisy, corrupted)
}

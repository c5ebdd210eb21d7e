// Nanda et al.'s (2023) restricted and excluded losses, for a model of x + y mod p: the logits over the
// whole table, split into what they say through the Fourier components of a + b and the rest.
//
// For each class c, m_c(s) is the mean logit over the p pairs with a + b ≡ s (mod p): the projection of
// the logit table on the functions of a + b. Its component at frequency k (1 ≤ k < p/2) is
//   f_{c,k}(s) = (2/p) [C_{c,k} cos(2πks/p) + S_{c,k} sin(2πks/p)],  C_{c,k} = Σ_s m_c(s) cos(2πks/p), S likewise,
// the projection of the logits on cos(ω_k(a + b)) and sin(ω_k(a + b)) (ω_k = 2πk/p). For a set K of frequencies:
// - the excluded loss is the cross-entropy of the training rows with Σ_{k∈K} f_{c,k}(a + b) taken out of
//   every logit: the loss of whatever the model does besides those frequencies (memorization);
// - the restricted loss is the cross-entropy over the whole table of the logits made of the constant
//   (the mean of m_c) and Σ_{k∈K} f_{c,k}(a + b) alone: the loss of the Fourier algorithm by itself.
// A model that has built the algorithm on K has a low restricted loss and a high excluded loss; Nanda et al.
// see the excluded loss rise and the restricted loss fall before the test loss does.
import Foundation

public struct FrequencyLosses: Equatable, Sendable {
    public var excluded: Double
    public var restricted: Double
    /// The frequencies K, strongest first when chosen by `keyFrequencies`.
    public var frequencies: [Int]
}

/// The logits of every pair of an x + y mod p table: rows in any order, each pair (a, b) once.
public struct TableLogits {
    public let p: Int
    public let classes: Int
    /// [p², classes], row i for the pair (a[i], b[i]).
    public let logits: [Double]
    public let a: [Int], b: [Int]
    public let labels: [Int]
    public let isTrain: [Bool]

    /// Nil unless the rows cover each of the p² pairs exactly once with tokens below p and classes ≥ p.
    public init?(p: Int, classes: Int, logits: [Double], a: [Int], b: [Int], labels: [Int], isTrain: [Bool]) {
        let n = a.count
        guard p >= 3, classes >= p, n == p * p, b.count == n, labels.count == n, isTrain.count == n, logits.count == n * classes else { return nil }
        var seen = [Bool](repeating: false, count: n)
        for i in 0..<n {
            guard (0..<p).contains(a[i]), (0..<p).contains(b[i]), (0..<classes).contains(labels[i]), !seen[a[i] * p + b[i]] else { return nil }
            seen[a[i] * p + b[i]] = true
        }
        self.p = p; self.classes = classes; self.logits = logits; self.a = a; self.b = b; self.labels = labels; self.isTrain = isTrain
    }

    /// m_c(s): the mean logit of class c over the pairs with a + b ≡ s, as [p, classes].
    func diagonalMeans() -> [Double] {
        var m = [Double](repeating: 0, count: p * classes)
        for i in 0..<a.count {
            let s = (a[i] + b[i]) % p
            for c in 0..<classes { m[s * classes + c] += logits[i * classes + c] }
        }
        return m.map { $0 / Double(p) }
    }

    /// C_{c,k} and S_{c,k} for k = 1 ..< (p + 1)/2 (index k − 1), each [classes].
    func coefficients(_ m: [Double]) -> [(cos: [Double], sin: [Double])] {
        (1..<((p + 1) / 2)).map { k in
            var cs = [Double](repeating: 0, count: classes), sn = cs
            for s in 0..<p {
                let angle = 2 * Double.pi * Double(k * s % p) / Double(p)
                let co = cos(angle), si = sin(angle)
                for c in 0..<classes { cs[c] += m[s * classes + c] * co; sn[c] += m[s * classes + c] * si }
            }
            return (cs, sn)
        }
    }

    /// The `count` frequencies with the most power Σ_c (C² + S²) in the logits' a + b structure, strongest first.
    public func keyFrequencies(count: Int) -> [Int] { Self.strongest(count, coefficients(diagonalMeans())) }

    static func strongest(_ count: Int, _ coefficient: [(cos: [Double], sin: [Double])]) -> [Int] {
        let power = coefficient.map { co in zip(co.cos, co.sin).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } }
        return power.indices.sorted { power[$0] != power[$1] ? power[$0] > power[$1] : $0 < $1 }.prefix(count).map { $0 + 1 }
    }

    /// The restricted and excluded losses over the frequencies K (each 1 ≤ k < p/2; others are ignored).
    public func losses(frequencies K: [Int]) -> FrequencyLosses {
        let m = diagonalMeans()
        return losses(frequencies: K, m, coefficients(m))
    }

    /// The losses over the `count` key frequencies (`keyFrequencies`), the logits' projections computed once for both.
    public func losses(strongest count: Int) -> FrequencyLosses {
        let m = diagonalMeans(), coefficient = coefficients(m)
        return losses(frequencies: Self.strongest(count, coefficient), m, coefficient)
    }

    func losses(frequencies K: [Int], _ m: [Double], _ coefficient: [(cos: [Double], sin: [Double])]) -> FrequencyLosses {
        let keys = Set(K.filter { $0 >= 1 && $0 < (p + 1) / 2 })
        // part[s][c]: Σ_{k∈K} f_{c,k}(s); mean[c]: the constant.
        var part = [Double](repeating: 0, count: p * classes), mean = [Double](repeating: 0, count: classes)
        for s in 0..<p { for c in 0..<classes { mean[c] += m[s * classes + c] / Double(p) } }
        for k in keys.sorted() {
            let (cs, sn) = coefficient[k - 1]
            for s in 0..<p {
                let angle = 2 * Double.pi * Double(k * s % p) / Double(p)
                let cosine = cos(angle), sine = sin(angle)
                for c in 0..<classes { part[s * classes + c] += 2 / Double(p) * (cs[c] * cosine + sn[c] * sine) }
            }
        }
        var excluded = 0.0, trainRows = 0, restricted = 0.0
        var row = [Double](repeating: 0, count: classes)
        for i in 0..<a.count {
            let s = (a[i] + b[i]) % p
            if isTrain[i] {
                for c in 0..<classes { row[c] = logits[i * classes + c] - part[s * classes + c] }
                excluded += crossEntropy(row, labels[i]); trainRows += 1
            }
            for c in 0..<classes { row[c] = mean[c] + part[s * classes + c] }
            restricted += crossEntropy(row, labels[i])
        }
        return FrequencyLosses(excluded: trainRows > 0 ? excluded / Double(trainRows) : .nan, restricted: restricted / Double(a.count),
                               frequencies: K.filter { keys.contains($0) })
    }
}

/// −log softmax(z)[y], by log-sum-exp.
func crossEntropy(_ z: [Double], _ y: Int) -> Double {
    let top = z.max() ?? 0
    let sum = z.reduce(0) { $0 + exp($1 - top) }
    return top + log(sum) - z[y]
}

extension Trainer {
    /// The model's logits over the whole table of a two-token task, training and validation rows together,
    /// as `TableLogits` (nil when the splits are not a complete p × p table of token pairs).
    public func tableLogits(modulus p: Int) -> TableLogits? {
        guard data.train.isTokens, data.train.positions == 2, data.validation.positions == 2 else { return nil }
        var logits: [Double] = [], a: [Int] = [], b: [Int] = [], labels: [Int] = [], isTrain: [Bool] = []
        let C = model.classes
        onTeam {
            for (split, train) in [(data.train, true), (data.validation, false)] {
                var start = 0
                while start < split.count {
                    let n = min(model.capacity, split.count - start)
                    let out = model.forward(split.batch(from: start, count: n))
                    for i in 0..<(n * C) { logits.append(Double(out[i])) }
                    start += n
                }
                for i in 0..<split.count {
                    a.append(Int(split.tokens[2 * i])); b.append(Int(split.tokens[2 * i + 1]))
                    labels.append(Int(split.labels[i])); isTrain.append(train)
                }
            }
        }
        return TableLogits(p: p, classes: C, logits: logits, a: a, b: b, labels: labels, isTrain: isTrain)
    }
}

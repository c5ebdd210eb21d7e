// The Fourier spectrum of the operand embeddings: at every evaluation the share of the (non-constant)
// Fourier power in the five strongest frequencies and the strongest one (curve.csv columns); in each
// snapshot the whole spectrum. For x·y and x/y the rows are taken in the discrete logarithm's order,
// where multiplication becomes addition (FourierBasis).
import Datasets
import Training

struct EmbeddingSpectrum: EmbeddingProbe {
    var columns: [String] { ["fourier_top5_share", "fourier_strongest"] }
    var method: String { "spectrum: share of Σ_c |Σ_x E[x,c] e^(−2πikx/p)|² at each frequency k (k and p−k folded), operand embeddings E [p, C]; gini: the Gini coefficient of the shares of k ≥ 1" }

    func measure(_ c: ProbeContext) -> [Double] {
        guard let (e, p, w) = c.embeddings() else { return [] }
        let top = topFrequencies(c.basis.spectrum(e, p, w), count: 5)
        return [top.share, Double(top.frequencies.first ?? 0)]
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard let (e, p, w) = c.embeddings() else { return [] }
        let spectrum = c.basis.spectrum(e, p, w)
        let top = topFrequencies(spectrum, count: 5)
        return [("spectrum", .array(spectrum.map { .num($0) })), ("top5_share", .num(top.share)),
                ("top5_frequencies", .array(top.frequencies.map { .int($0) })), ("gini", .num(spectrumGini(spectrum)))]
    }
}

/// The order of the operand rows for the Fourier transform: the operation's cyclic structure.
struct FourierBasis {
    /// The operand rows in order (nil: all p in index order, the additive structure).
    let rows: [Int]?
    /// The basis's name for the report.
    let name: String

    init(operation: BinaryOperation?, modulus: Int) {
        switch operation {
        case .multiply?, .divide?:
            rows = discreteLogOrder(modulus)
            name = rows == nil ? "operand index" : "discrete logarithm (x = g^i for the smallest primitive root g; operand 0 left out): multiplication becomes addition mod p − 1"
        case .compose?, .conjugate?, .sandwich?:
            rows = nil
            name = "operand index: permutations have no cyclic order, so the spectrum is not meaningful for them"
        default:
            rows = nil
            name = "operand index x mod p"
        }
    }

    /// The embedding rows in the basis's order, and how many there are.
    func ordered(_ e: [Double], _ p: Int, _ w: Int) -> ([Double], Int) {
        guard let rows, rows.allSatisfy({ $0 < p }) else { return (e, p) }
        return (rows.flatMap { e[($0 * w)..<($0 * w + w)] }, rows.count)
    }

    /// The spectrum in this basis.
    func spectrum(_ e: [Double], _ p: Int, _ w: Int) -> [Double] {
        let (rows, n) = ordered(e, p, w)
        return embeddingSpectrum(rows, p: n, C: w)
    }
}

// The shape the operand embeddings take, in each snapshot: their projection on the two leading principal
// components, on the plane of their strongest Fourier frequency (the circle of Nanda et al. 2023), and
// an exact t-SNE map (the figure of Power et al. 2022).
import Training

struct EmbeddingGeometry: EmbeddingProbe {
    /// 30, the usual choice, or a third of the other points for small moduli.
    static func tsnePerplexity(_ p: Int) -> Double { min(30, Double(p - 1) / 3) }

    var method: String {
        "pca: projection on the two leading eigenvectors of E's covariance; fourier_plane: E's rows (in the Fourier basis's order) projected on the plane of the strongest frequency k (the unit vectors of Σ_x E[x,:] cos(2πkx/p) and sin); tsne: exact t-SNE of E's rows (perplexity min(30, (p−1)/3), 1000 iterations, seeded), tsne_kl its final KL(P‖Q)"
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard let (e, p, w) = c.embeddings() else { return [] }
        var fields: [(String, JSON)] = []
        if let (points, explained) = try? principalComponents2(e, rows: p, cols: w) {
            fields.append(("pca", .array(points.map { .array([.num($0.0), .num($0.1)]) })))
            fields.append(("pca_explained", .num(explained)))
        }
        if let k = topFrequencies(c.basis.spectrum(e, p, w), count: 5).frequencies.first {
            let (ordered, n) = c.basis.ordered(e, p, w)
            let points = fourierPlaneProjection(ordered, p: n, C: w, frequency: k)
            fields.append(("fourier_plane_frequency", .int(k)))
            fields.append(("fourier_plane", .array(points.map { .array([.num($0.0), .num($0.1)]) })))
        }
        let map = tsne(e, rows: p, cols: w, perplexity: Self.tsnePerplexity(p), rng: c.rng.split("tsne-" + name))
        fields.append(("tsne", .array(map.points.map { .array([.num($0.0), .num($0.1)]) })))
        fields.append(("tsne_kl", .num(map.klDivergence)))
        return fields
    }
}

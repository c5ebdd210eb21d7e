// Sharpness in each snapshot: the mean increase of the training loss when each parameter tensor moves by
// a random direction of norm `relative` × its norm, over `samples` seeded draws (Trainer.sharpness; a
// flatness measure in the sense of Keskar et al. 2017, which Power et al. 2022 relate to grokking).
import Training

struct Sharpness: EmbeddingProbe {
    static let relative = 0.01
    static let samples = 8

    var method: String {
        "sharpness: mean increase of the training loss when each parameter tensor moves by a random direction of norm \(Sharpness.relative) × its norm, over \(Sharpness.samples) seeded draws"
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard let s = c.sharpness(Sharpness.relative, Sharpness.samples, c.rng.split(name)) else { return [] }
        return [("sharpness", .num(s))]
    }
}

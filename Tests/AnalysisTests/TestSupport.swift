import Analysis
import Foundation

/// Deterministic standard normal draws (Box-Muller on the module's seeded generator).
struct Normal {
    var rng: BootstrapRNG
    init(seed: UInt64) { rng = BootstrapRNG(seed: seed) }
    mutating func next() -> Double {
        let u1 = (Double(rng.next() >> 11) + 0.5) / 9007199254740992
        let u2 = Double(rng.next() >> 11) / 9007199254740992
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

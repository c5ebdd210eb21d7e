// RNG: one seeded, splittable generator, so that every trial's randomness derives from
// (study seed, trial id) and each use (data split, initialization, batches, noise) gets its own stream.
//
// The generator is xoshiro256** (Blackman and Vigna 2018), seeded through SplitMix64. `split(label)`
// derives an independent child from the parent's seed and a label by hashing (FNV-1a, then SplitMix64),
// so adding a new use of randomness never shifts the streams of the existing ones.

public struct RNG: Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    /// The seed this generator was made from (children derive from it, not from the running state).
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var sm = seed
        state = (RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm))
    }

    /// Restores a generator from a saved state (checkpoints).
    public init(seed: UInt64, state: [UInt64]) {
        precondition(state.count == 4, "RNG state has four words")
        self.seed = seed
        self.state = (state[0], state[1], state[2], state[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (l: RNG, r: RNG) -> Bool { l.seed == r.seed && l.stateWords == r.stateWords }

    @inline(__always)
    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = RNG.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = RNG.rotl(state.3, 45)
        return result
    }

    /// A child generator for one named use, independent of how much the parent has been drawn from.
    public func split(_ label: String) -> RNG {
        var h = stableHash(label, seed: seed)
        return RNG(seed: RNG.splitMix(&h))
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n, without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "RNG.int(below:) needs n > 0")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal by the Box-Muller transform (one of the pair is used).
    public mutating func normal() -> Double { normalPair(scale: 1).0 }

    /// Two independent normals of standard deviation `scale` from one Box-Muller draw (r cos θ, r sin θ).
    public mutating func normalPair(scale: Double) -> (Double, Double) {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let r = scale * (-2 * _log(u1)).squareRoot(), angle = 2 * Double.pi * u2
        return (r * _cos(angle), r * _sin(angle))
    }

    /// Fisher-Yates shuffle.
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ c: inout C) where C.Index == Int {
        guard c.count > 1 else { return }
        for i in stride(from: c.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            c.swapAt(c.startIndex + i, c.startIndex + j)
        }
    }
}

/// FNV-1a over the UTF-8 bytes, mixed with a seed: stable across runs, platforms and Swift versions
/// (unlike `Hasher`, which is randomized per process).
public func stableHash(_ s: String, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }

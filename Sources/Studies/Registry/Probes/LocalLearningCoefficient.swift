// probes.llc*: the local learning coefficient in each snapshot (Lau et al. 2023; devinterp's estimator):
// SGLD chains around the current weights on the whole training set's loss, λ̂ = nβ (E[L] − L(w*)) with
// β = 1 / log n, its standard error over the chains, and the chains that diverged (Training/Curvature.swift).
// Snapshots only (initialization, each event's first evaluation, the end): each costs chains × steps
// gradients of the training set, so it has no column over training.
import Training

/// The SGLD settings of the estimate.
struct LLCSettings: Sendable {
    let chains: Int, steps: Int, burnIn: Int
    let epsilon: Double, gamma: Double
}

struct LocalLearningCoefficientProbe: ProbeKind, TrainingProbe {
    static let on = KeySpec(path: "probes.llc", type: .bool, defaultValue: .bool(false),
                            doc: "estimate the local learning coefficient by SGLD at each snapshot (Lau et al. 2023): λ̂ = nβ (E[L] − L(w*)), β = 1/log n, with its standard error over the chains (probes.json)")
    static let chains = KeySpec(path: "probes.llc_chains", type: .int(min: 1, max: 64), defaultValue: .int(4), doc: "llc: SGLD chains (the standard error is over them)")
    static let steps = KeySpec(path: "probes.llc_steps", type: .int(min: 2, max: 100_000), defaultValue: .int(200), doc: "llc: SGLD steps per chain")
    static let burnIn = KeySpec(path: "probes.llc_burn_in", type: .int(min: 0, max: 100_000), defaultValue: .int(50), doc: "llc: steps of each chain left out of the expectation (fewer than probes.llc_steps)")
    static let epsilon = KeySpec(path: "probes.llc_epsilon", type: .double(min: 0, minOpen: true, max: 1, maxOpen: false), defaultValue: .double(1e-4),
                                 doc: "llc: the SGLD step ε (noise variance ε); too large and the chains diverge, which the snapshot counts")
    static let gamma = KeySpec(path: "probes.llc_gamma", type: .double(min: 0, minOpen: false, max: 1e6, maxOpen: false), defaultValue: .double(100),
                               doc: "llc: the localization γ, the pull γ/2 ‖w − w*‖² towards the weights where it is measured")
    static let keys = [on, chains, steps, burnIn, epsilon, gamma]

    static func make(_ v: KeyValues) -> (any TrainingProbe)? {
        guard v.value(on) == .bool(true) else { return nil }
        return LocalLearningCoefficientProbe(settings: LLCSettings(chains: v.int(chains), steps: v.int(steps), burnIn: v.int(burnIn),
                                                                   epsilon: v.double(epsilon), gamma: v.double(gamma)))
    }

    static func isOff(_ values: [String: Value]) -> Bool { values[on.path] != .bool(true) }

    /// The burn-in must leave draws: every combination of the swept values of steps and burn-in.
    static func check(_ s: StudyDraft) throws {
        guard s.values(of: on).contains(.bool(true)) else { return }
        let stepValues = s.values(of: steps).compactMap(\.asInt), burnValues = s.values(of: burnIn).compactMap(\.asInt)
        guard let most = burnValues.max(), let fewest = stepValues.min(), most >= fewest else { return }
        let loc = s.locations[burnIn.path] ?? s.sweep.first(where: { $0.path == burnIn.path })?.location
            ?? s.locations[steps.path] ?? s.sweep.first(where: { $0.path == steps.path })?.location
        throw StudyError(loc, "probes.llc_burn_in (\(most)) must be below probes.llc_steps (\(fewest)): the chains would have no draws left",
                         hint: "lower probes.llc_burn_in or raise probes.llc_steps (defaults 50 and 200)")
    }

    let settings: LLCSettings

    var method: String {
        "llc: SGLD w ← w − (ε/2)(nβ∇L(w) + γ(w − w*)) + N(0, ε) on the whole training set, β = 1/log n, ε = \(settings.epsilon), γ = \(settings.gamma), \(settings.chains) chains of \(settings.steps) steps (the first \(settings.burnIn) left out); λ̂ = nβ(E[L] − L(w*)), the mean over chains that did not diverge, with its standard error"
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard let e = c.llc(settings, c.rng.split("llc-" + name)) else { return [] }
        return [("llc", .num(e.value)), ("llc_standard_error", .num(e.standardError)), ("llc_diverged", .int(e.diverged)),
                ("llc_chains", .array(e.chains.map { .num($0) }))]
    }
}

// Sharpness in each snapshot, two ways: the mean increase of the training loss when each parameter tensor
// moves by a random direction of norm `relative` × its norm, over `samples` seeded draws (Trainer.sharpness;
// a flatness measure in the sense of Keskar et al. 2017, which Power et al. 2022 relate to grokking); and
// the training loss's Hessian top eigenvalue by power iteration on central differences of gradients
// (Trainer.hessianTopEigenvalue, Training/Curvature.swift).
import Training

struct Sharpness: EmbeddingProbe {
    static let relative = 0.01
    static let samples = 8
    static let hessianIterations = 20
    static let hessianStep = 1e-3

    var method: String {
        "sharpness: mean increase of the training loss when each parameter tensor moves by a random direction of norm \(Sharpness.relative) × its norm, over \(Sharpness.samples) seeded draws; hessian_top_eigenvalue: power iteration (at most \(Sharpness.hessianIterations) iterations, stopping at a relative change below 1e-3) on Hv ≈ (∇L(θ + hv) − ∇L(θ − hv)) / 2h, h = \(Sharpness.hessianStep) × max(‖θ‖, 1), over the whole training set"
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] {
        guard let s = c.sharpness(Sharpness.relative, Sharpness.samples, c.rng.split(name)) else { return [] }
        var fields: [(String, JSON)] = [("sharpness", .num(s))]
        if let h = c.hessian(Sharpness.hessianIterations, Sharpness.hessianStep, c.rng.split("hessian-" + name)), h.value.isFinite {
            fields += [("hessian_top_eigenvalue", .num(h.value)), ("hessian_iterations", .int(h.iterations)), ("hessian_converged", .bool(h.converged))]
        }
        return fields
    }
}

// Keys of the networks trained by the step loop (the MLP and the transformer): the activation, the
// initial scale, and the regularizers compared at matched strength.
import Models

enum NetworkKeys {
    static let activation = KeySpec(path: "model.activation", type: .choice(Activation.allCases.map(\.rawValue)), defaultValue: .string("relu"), doc: "relu, gelu, quadratic (x², Gromov 2023), tanh or identity")
    static let initScale = KeySpec(path: "model.init_scale", type: .double(min: 0, minOpen: true, max: nil, maxOpen: false), defaultValue: .double(1), doc: "multiplies every initial weight (PyTorch defaults at 1)")
    static let regularizationKind = KeySpec(path: "regularization.kind", type: .choice(Regularization.kinds), defaultValue: .string("none"), doc: "one regularizer at a common strength s (sweep it against regularization.strength): weight_decay sets λ = s; dropout sets q/(1 − q) = s, the L2 coefficient dropout amounts to (Wager et al. 2013); gradient_noise sets the noise-to-signal ratio to s. The other two are off, whatever optimizer.weight_decay says")
    static let regularizationStrength = KeySpec(path: "regularization.strength", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(1), doc: "the common strength s of regularization.kind")

    static let all = [activation, initScale, regularizationKind, regularizationStrength]
}

/// One regularizer at a common strength s, so that weight decay, dropout and gradient noise can be
/// compared at matched strength: the trial's configuration holds the values it resolves to.
public enum Regularization {
    public static let kinds = ["none", "weight_decay", "dropout", "gradient_noise"]

    /// Writes the weight decay, dropout rate and gradient-noise ratio that `regularization.kind` and
    /// `regularization.strength` stand for into a trial's encoding; drops the keys that are off, dropout,
    /// every transform's and a task's (label noise on a table), so trials that predate them keep their ids.
    static func resolve(_ c: inout [String: Value]) {
        let kind = c[NetworkKeys.regularizationKind.path]?.asString ?? "none"
        if kind == "none" {
            c[NetworkKeys.regularizationKind.path] = nil; c[NetworkKeys.regularizationStrength.path] = nil
        } else {
            let s = c[NetworkKeys.regularizationStrength.path]?.asDouble ?? 0
            c[OptimizerKeys.weightDecay.path] = .double(kind == "weight_decay" ? s : 0)
            c[MLPFamily.dropout.path] = .double(kind == "dropout" ? s / (1 + s) : 0)
            c[GradientNoiseTransform.ratio.path] = .double(kind == "gradient_noise" ? s : 0)
        }
        if c[MLPFamily.dropout.path]?.asDouble == 0 { c[MLPFamily.dropout.path] = nil }
        for t in Registry.transforms { t.omitWhenOff(&c) }
        for t in Registry.tasks { t.omitWhenOff(&c) }
    }
}

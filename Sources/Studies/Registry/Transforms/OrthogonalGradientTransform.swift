// training.orthogonal_gradient: ⊥Grad (Prieto et al. 2025; Training/Transforms/OrthogonalGradient.swift).
import Training

enum OrthogonalGradientTransform: TransformKind {
    static let enabled = KeySpec(path: "training.orthogonal_gradient", type: .bool, defaultValue: .bool(false),
                                 doc: "⊥Grad (Prieto et al. 2025): per tensor, remove the gradient's component along the weights and rescale it to its norm, before the optimizer (⊥AdamW with adamw)")
    static let keys = [enabled]

    static func decode(_ v: KeyValues) -> (any GradientTransformation)? {
        v.value(enabled) == .bool(true) ? OrthogonalGradient() : nil
    }
}

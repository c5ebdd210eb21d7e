// training.gradient_noise: Gaussian gradient noise as a noise-to-signal ratio (Training/Transforms/GradientNoise.swift).
import Training

enum GradientNoiseTransform: TransformKind {
    static let ratio = KeySpec(path: "training.gradient_noise", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(0),
                               doc: "Gaussian gradient noise as a noise-to-signal ratio s: each step adds noise of standard deviation s · rms(gradient) to every gradient entry (Neelakantan et al. 2015)")
    static let keys = [ratio]

    static func decode(_ v: KeyValues) -> (any GradientTransformation)? {
        let s = v.double(ratio, orWhenAbsent: 0)   // absent when off (trials that predate the key keep their ids)
        return s > 0 ? GradientNoise(ratio: s) : nil
    }
}

// task.kind gaussian_linear: y = xᵀβ + σε on x ~ N(0, I) (Hastie et al. 2019), the regression task of
// the linear family; on the steps axis (gradient descent) with two feature scales, a slow group learned later.
import Datasets

public enum GaussianLinearTask: TaskKind {
    static let name = "gaussian_linear"
    static let summary = "y = xᵀβ + σε on x ~ N(0, I): least-squares regression"
    static let inputs = TaskInputs.regression

    static let dimension = KeySpec(path: "task.dimension", type: .int(min: 0, max: 1 << 20), defaultValue: .int(0), doc: "gaussian_linear: d, the model's dimension; 0: d = p for every p (well-specified, a fresh β per trial)",
                                   when: { $0.fit != .gradientDescent })
    static let signal = KeySpec(path: "task.signal", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(1), doc: "gaussian_linear: ‖β‖², the signal")
    static let noiseVariance = KeySpec(path: "task.noise_variance", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0.25), doc: "gaussian_linear: σ², the variance of the noise on y")
    static let slowFeatures = KeySpec(path: "task.slow_features", type: .int(min: 0, max: 1 << 20), defaultValue: .int(0), doc: "gaussian_linear, gradient descent: k, the last k features have standard deviation task.slow_scale (learned later); 0: isotropic",
                                      when: { $0.fit == .gradientDescent })
    static let slowScale = KeySpec(path: "task.slow_scale", type: .double(min: 0, minOpen: true, max: 1, maxOpen: false), defaultValue: .double(1), doc: "gradient descent: the slow features' standard deviation (the others have 1); their time scale is 1/scale² times longer",
                                   when: { $0.fit == .gradientDescent })
    static let slowSignal = KeySpec(path: "task.slow_signal", type: .double(min: 0, minOpen: false, max: 1, maxOpen: false), defaultValue: .double(0), doc: "gradient descent: the share of the signal variance Var(xᵀβ) carried by the slow features",
                                    when: { $0.fit == .gradientDescent })

    static let keys = [TaskKeys.nTrain, TaskKeys.nTest, dimension, signal, noiseVariance, slowFeatures, slowScale, slowSignal]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(nTrain: v.int(TaskKeys.nTrain), nTest: v.value(TaskKeys.nTest)?.asInt ?? 0, dimension: v.value(dimension)?.asInt ?? 0,
               signal: v.double(signal), noiseVariance: v.double(noiseVariance),
               slowFeatures: v.value(slowFeatures)?.asInt ?? 0, slowScale: v.value(slowScale)?.asDouble ?? 1, slowSignal: v.value(slowSignal)?.asDouble ?? 0)
    }

    /// The regression task's configuration (the slow-feature keys are gradient descent's; absent, the task is isotropic).
    public struct Config: TaskConfiguration {
        public var kind: String { GaussianLinearTask.name }
        public let nTrain: Int
        /// 0: 1000.
        public let nTest: Int
        /// d; 0: d = p for every p (well-specified).
        public let dimension: Int
        /// ‖β‖².
        public let signal: Double
        /// σ².
        public let noiseVariance: Double
        public let slowFeatures: Int
        public let slowScale: Double
        public let slowSignal: Double
        public var trainingExamples: Int? { nTrain }
    }
}

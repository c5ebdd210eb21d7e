// The keys of the training loop (every trial has them, fitted in closed form or not: a closed-form fit
// records them in its identity as it always has) and of the optimizer (families trained by steps).
import Training

enum TrainingKeys {
    static let batch = KeySpec(path: "training.batch", type: .fullOrInt, defaultValue: .string("full"), doc: "'full' (the whole training set each step) or a minibatch size")
    static let maxSteps = KeySpec(path: "training.max_steps", type: .int(min: 1, max: 100_000_000), defaultValue: .int(10_000), doc: "the step budget")
    static let loss = KeySpec(path: "training.loss", type: .choice(LossKind.allCases.map(\.rawValue)), defaultValue: .string("cross_entropy"),
                              doc: LossKind.allCases.map(\.doc).joined(separator: "; "), when: { $0.fit != .gradientDescent })
    static let precision = KeySpec(path: "training.precision", type: .choice(["float32", "float64"]), defaultValue: .string("float32"),
                                   doc: "float32 (fast) or float64 (for comparison)", when: { $0.fit != .gradientDescent })
    static let evalSchedule = KeySpec(path: "training.eval.schedule", type: .choice(EvalScheduleKind.allCases.map(\.rawValue)), defaultValue: .string("log"), doc: "log: dense early, sparse late; linear: evenly spaced")
    static let evalPoints = KeySpec(path: "training.eval.points", type: .int(min: 2, max: 100_000), defaultValue: .int(200), doc: "evaluation points over the budget")
    static let stopAfter = KeySpec(path: "training.stop_after", type: .text, defaultValue: .string("generalization"), doc: "an event name after which the trial stops (plus patience), or 'never'")
    static let probes = KeySpec(path: "training.probes", type: .bool, defaultValue: .bool(false),
                                doc: "log the operand embeddings' Fourier spectrum at every evaluation, and their spectrum, 2-D projection and the sharpness at each event (probes.json)",
                                when: { $0.fit != .gradientDescent })
    static let checkpointEvery = KeySpec(path: "training.checkpoint_every", type: .int(min: 0, max: nil), defaultValue: .int(2000), doc: "save a resumable checkpoint every this many steps (0: never); it does not change results", trialKey: false)
    static let patience = KeySpec(path: "training.patience", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "steps to keep training after the stop event")

    static let all = [batch, maxSteps, loss, precision, evalSchedule, evalPoints, stopAfter, probes, checkpointEvery, patience]

    /// The loop's settings for a trial (the loss is absent for gradient descent: squared error).
    static func decode(_ v: KeyValues) -> TrainingSpec {
        TrainingSpec(maxSteps: v.int(maxSteps), batchSize: v.value(batch)?.asInt,
                     loss: v.value(loss).flatMap { LossKind(rawValue: $0.asString!) } ?? .mse,
                     precision: v.value(precision)?.asString ?? "float64",
                     schedule: EvalScheduleKind(rawValue: v.string(evalSchedule))!, evalPoints: v.int(evalPoints),
                     stopAfter: v.string(stopAfter), patience: v.int(patience), probes: Registry.probes.compactMap { $0.make(v) },
                     transforms: Registry.transforms.compactMap { $0.decode(v) })
    }
}

enum OptimizerKeys {
    static let name = KeySpec(path: "optimizer.name", type: .choice(OptimizerKind.allCases.map(\.rawValue)), defaultValue: .string("adamw"), doc: "adamw (decoupled weight decay), adam (L2 in the gradient), sgd (momentum)")
    static let lr = KeySpec(path: "optimizer.lr", type: .double(min: 0, minOpen: true, max: 10, maxOpen: false), defaultValue: .double(1e-3), doc: "learning rate after warm-up")
    static let weightDecay = KeySpec(path: "optimizer.weight_decay", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(1), doc: "weight decay λ (Power et al. found λ = 1 best for grokking)")
    static let betas = KeySpec(path: "optimizer.betas", type: .doubles(count: 2, min: 0, max: 1, maxOpen: true), defaultValue: .list([.double(0.9), .double(0.98)]), doc: "Adam's β1, β2 (0.98 as in Power et al.)")
    static let eps = KeySpec(path: "optimizer.eps", type: .double(min: 0, minOpen: true, max: 1, maxOpen: false), defaultValue: .double(1e-8), doc: "Adam's ε")
    static let momentum = KeySpec(path: "optimizer.momentum", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0.9), doc: "SGD momentum")
    static let warmupSteps = KeySpec(path: "optimizer.warmup_steps", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "linear learning-rate warm-up (Power et al. use 10)")

    static let all = [name, lr, weightDecay, betas, eps, momentum, warmupSteps]

    static func decode(_ v: KeyValues) -> OptimizerConfig {
        var oc = OptimizerConfig()
        oc.kind = OptimizerKind(rawValue: v.string(name))!
        oc.learningRate = v.double(lr)
        oc.weightDecay = v.double(weightDecay)
        let b = v.doubles(betas)
        oc.beta1 = b[0]; oc.beta2 = b[1]
        oc.epsilon = v.double(eps)
        oc.momentum = v.double(momentum)
        oc.warmupSteps = v.int(warmupSteps)
        return oc
    }
}

/// The training loop's settings of a trial.
public struct TrainingSpec: Sendable {
    public let maxSteps: Int
    /// nil: full batch.
    public let batchSize: Int?
    public let loss: LossKind
    /// "float32" or "float64".
    public let precision: String
    public let schedule: EvalScheduleKind
    public let evalPoints: Int
    /// An event name, or "never".
    public let stopAfter: String
    public let patience: Int
    /// The measurements taken during training (empty: none).
    let probes: [any TrainingProbe]
    /// Whether the trial takes measurements during training.
    public var probing: Bool { !probes.isEmpty }
    /// The gradient transforms and constraints, in the order they apply (empty for fits without an optimizer).
    public let transforms: [any GradientTransformation]

    /// The loop's configuration, with the stop event looked up among the trial's events.
    func loopConfig(events: [(String, EventRule)]) -> TrainingConfig {
        var tc = TrainingConfig()
        tc.maxSteps = maxSteps
        tc.batchSize = batchSize
        tc.loss = loss
        tc.schedule = schedule
        tc.evalPoints = evalPoints
        if stopAfter != "never" { tc.stopEvent = events.first { $0.0 == stopAfter }?.1 }
        tc.patience = patience
        tc.transforms = transforms
        return tc
    }
}

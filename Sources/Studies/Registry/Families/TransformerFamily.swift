// model.family transformer: a decoder-only transformer on the sequence 'x op y =' or 'x y =', the loss
// on the answer token (Power et al. 2022; Nanda et al. 2023). Its size is its residual width.
import Linalg
import Models
import Training

public enum TransformerFamily: ModelFamily {
    static let name = "transformer"
    static let summary = "decoder-only, LayerNorm pre/post/none, learned or sinusoidal positions, loss on the answer token"

    static let layers = KeySpec(path: "model.layers", type: .int(min: 1, max: 64), defaultValue: .int(2), doc: "transformer: blocks (Power et al. 2, Nanda et al. 1)")
    static let dModel = KeySpec(path: "model.d_model", type: .int(min: 1, max: 65536), defaultValue: .int(128), doc: "transformer: residual width C")
    static let heads = KeySpec(path: "model.heads", type: .int(min: 1, max: 256), defaultValue: .int(4), doc: "transformer: attention heads")
    static let dHead = KeySpec(path: "model.d_head", type: .int(min: 0, max: 65536), defaultValue: .int(0), doc: "transformer: width of one head; 0: d_model / heads")
    static let dMLP = KeySpec(path: "model.d_mlp", type: .int(min: 1, max: 1 << 20), defaultValue: .int(512), doc: "transformer: hidden width of each block's MLP")
    static let layerNorm = KeySpec(path: "model.layer_norm", type: .choice(["pre", "post", "none"]), defaultValue: .string("pre"), doc: "transformer: LayerNorm before each sublayer (pre), after the residual sum (post), or none (Nanda et al.)")
    static let positions = KeySpec(path: "model.positions", type: .choice(["learned", "sinusoidal"]), defaultValue: .string("learned"), doc: "transformer: learned or fixed sinusoidal position embeddings")
    static let opToken = KeySpec(path: "model.op_token", type: .bool, defaultValue: .bool(true), doc: "transformer: the sequence is 'x op y =' (true, Power et al.) or 'x y =' (false, Nanda et al.)")

    static let keys = [layers, dModel, heads, dHead, dMLP, layerNorm, positions, opToken]
    static var sizeKey: KeySpec { dModel }
    static func fit(_ v: KeyValues) -> Fit { .optimizer }

    static func check(_ s: StudyDraft) throws {
        let v = s.keys
        if let task = Registry.task(v.string(TaskKeys.kind)), task.inputs != .tokens {
            throw StudyError(s.at(ModelKeys.family, or: TaskKeys.kind), "model.family 'transformer' reads token sequences; task.kind '\(task.name)' has feature vectors",
                             hint: "use task.kind: algorithmic, or model.family: mlp for \(task.name)")
        }
        if s.values(of: NetworkKeys.regularizationKind).contains(.string("dropout")) {
            throw StudyError(s.at(NetworkKeys.regularizationKind), "regularization.kind 'dropout' needs model.family 'mlp'", hint: "the transformer has no dropout; compare weight_decay and gradient_noise")
        }
        if v.int(dHead) == 0 && v.int(dModel) % v.int(heads) != 0 {
            throw StudyError(s.locations[heads.path] ?? s.locations[dModel.path] ?? s.start,
                             "model.d_model \(v.int(dModel)) is not divisible by model.heads \(v.int(heads))", hint: "choose heads dividing d_model, or set model.d_head")
        }
    }

    static func decode(_ v: KeyValues) -> any ModelConfiguration {
        Config(layers: v.int(layers), dModel: v.int(dModel), heads: v.int(heads), dHead: v.int(dHead) == 0 ? v.int(dModel) / v.int(heads) : v.int(dHead),
               dMLP: v.int(dMLP), activation: Activation(rawValue: v.string(NetworkKeys.activation))!,
               layerNorm: LayerNormPlacement(rawValue: v.string(layerNorm))!, positions: PositionKind(rawValue: v.string(positions))!,
               opToken: v.bool(opToken), initScale: v.double(NetworkKeys.initScale))
    }

    /// A transformer's configuration (d_head resolved).
    public struct Config: ModelConfiguration {
        public var family: String { TransformerFamily.name }
        public let layers: Int
        public let dModel: Int
        public let heads: Int
        public let dHead: Int
        public let dMLP: Int
        public let activation: Activation
        public let layerNorm: LayerNormPlacement
        public let positions: PositionKind
        public let opToken: Bool
        public let initScale: Double
        public var size: Int { dModel }
    }

    static func run(_ trial: Trial, _ context: TrialContext) throws -> TrialResult {
        let task = trial.spec.task as! any TokenTask
        return trial.spec.training.precision == "float64" ? try run(Double.self, trial, task, context) : try run(Float.self, trial, task, context)
    }

    static func run<T: Scalar>(_: T.Type, _ trial: Trial, _ task: any TokenTask, _ context: TrialContext) throws -> TrialResult {
        let m = trial.spec.model as! Config
        let rng = RNG(seed: trial.seed)
        let tokens = try TrialRunner.tokenData(T.self, task, trial)
        let capacity = min(trial.spec.training.batchSize ?? tokens.data.train.count, tokens.data.train.count)
        let cfg = TransformerConfig(operands: tokens.vocabulary, classes: tokens.data.classes, opToken: m.opToken, layers: m.layers, dModel: m.dModel,
                                    heads: m.heads, dHead: m.dHead, dMLP: m.dMLP, activation: m.activation, layerNorm: m.layerNorm,
                                    positions: m.positions, initScale: m.initScale)
        let model = Transformer<T>(config: cfg, capacity: capacity, rng: rng.split("init"))
        return TrialRunner.trainModel(model, trial, tokens, rng, context)
    }
}

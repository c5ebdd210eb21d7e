// The keys of the transformer family (Power et al. 2022; Nanda et al. 2023). They configure trials of
// model.family 'transformer' only and are left out of every other trial's configuration (so adding them
// changed no id of an MLP trial); setting one for another family is an error at its place.

public enum TransformerSchema {
    static let keys: [KeySpec] = [
        KeySpec(path: "model.layers", type: .int(min: 1, max: 64), defaultValue: .int(2), doc: "transformer: blocks (Power et al. 2, Nanda et al. 1)", trialKey: true),
        KeySpec(path: "model.d_model", type: .int(min: 1, max: 65536), defaultValue: .int(128), doc: "transformer: residual width C", trialKey: true),
        KeySpec(path: "model.heads", type: .int(min: 1, max: 256), defaultValue: .int(4), doc: "transformer: attention heads", trialKey: true),
        KeySpec(path: "model.d_head", type: .int(min: 0, max: 65536), defaultValue: .int(0), doc: "transformer: width of one head; 0: d_model / heads", trialKey: true),
        KeySpec(path: "model.d_mlp", type: .int(min: 1, max: 1 << 20), defaultValue: .int(512), doc: "transformer: hidden width of each block's MLP", trialKey: true),
        KeySpec(path: "model.layer_norm", type: .choice(["pre", "post", "none"]), defaultValue: .string("pre"), doc: "transformer: LayerNorm before each sublayer (pre), after the residual sum (post), or none (Nanda et al.)", trialKey: true),
        KeySpec(path: "model.positions", type: .choice(["learned", "sinusoidal"]), defaultValue: .string("learned"), doc: "transformer: learned or fixed sinusoidal position embeddings", trialKey: true),
        KeySpec(path: "model.op_token", type: .bool, defaultValue: .bool(true), doc: "transformer: the sequence is 'x op y =' (true, Power et al.) or 'x y =' (false, Nanda et al.)", trialKey: true),
    ]

    static let paths: Set<String> = Set(keys.map(\.path))
    /// MLP keys that a transformer does not use.
    static let mlpOnly: Set<String> = ["model.input", "model.embedding", "model.width", "model.depth", "model.dropout"]

    /// Whether a key applies to a trial, as far as the transformer family decides (nil: not its business).
    static func applies(_ path: String, family: String) -> Bool? {
        if paths.contains(path) { return family == "transformer" }
        if family == "transformer" && mlpOnly.contains(path) { return false }
        return nil
    }
}

extension Parser {
    /// Keys set for a family that does not use them, and impossible transformer shapes, at their place.
    func checkFamilyKeys() throws {
        let family = values["model.family"]?.asString ?? "mlp"
        let set = locations.map { ($0.key, $0.value) } + sweep.map { ($0.path, $0.location) }
        for (path, loc) in set.sorted(by: { $0.0 < $1.0 }) where TransformerSchema.applies(path, family: family) == false {
            let own = family == "transformer" ? "model.layers, model.d_model, model.heads, model.d_head, model.d_mlp, model.layer_norm, model.positions, model.op_token"
                                              : "model.input, model.embedding, model.width, model.depth, model.dropout"
            throw StudyError(loc, "\(path) does not apply to model.family '\(family)'", hint: "remove it; that family's own keys: " + own)
        }
        if family == "transformer" {
            let kinds = [values["regularization.kind"]].compactMap { $0 } + (sweep.first { $0.path == "regularization.kind" }?.values ?? [])
            if kinds.contains(.string("dropout")) {
                throw StudyError(sweep.first { $0.path == "regularization.kind" }?.location ?? locations["regularization.kind"] ?? SourceLocation(file: file, line: 1, column: 1),
                                 "regularization.kind 'dropout' needs model.family 'mlp'", hint: "the transformer has no dropout; compare weight_decay and gradient_noise")
            }
        }
        if family == "transformer", values["model.d_head"]?.asInt == 0 {
            let heads = values["model.heads"]!.asInt!, d = values["model.d_model"]!.asInt!
            if d % heads != 0 {
                throw StudyError(locations["model.heads"] ?? locations["model.d_model"] ?? SourceLocation(file: file, line: 1, column: 1),
                                 "model.d_model \(d) is not divisible by model.heads \(heads)", hint: "choose heads dividing d_model, or set model.d_head")
            }
        }
    }
}

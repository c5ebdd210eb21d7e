// The schema of a study: every key with its type, range, default and a one-line reason.
// A study file may set any of these (nested as YAML mappings or dotted); nothing else is accepted.
import Datasets
import Models
import Training

public enum KeyType: Sendable {
    case int(min: Int, max: Int?)
    /// Bounds are inclusive unless marked open.
    case double(min: Double?, minOpen: Bool, max: Double?, maxOpen: Bool)
    case choice([String])
    case text
    case bool
    case doubles(count: Int, min: Double, max: Double, maxOpen: Bool)
    /// The word "full" or a positive integer (batch size).
    case fullOrInt

    var name: String {
        switch self {
        case .int(let lo, let hi): return hi.map { "an integer in \(lo)...\($0)" } ?? "an integer ≥ \(lo)"
        case .double(let lo, let lo0, let hi, let hi0):
            switch (lo, hi) {
            case let (l?, h?): return "a number in \(lo0 ? "(" : "[")\(l), \(h)\(hi0 ? ")" : "]")"
            case let (l?, nil): return "a number \(lo0 ? ">" : "≥") \(l)"
            case let (nil, h?): return "a number \(hi0 ? "<" : "≤") \(h)"
            default: return "a number"
            }
        case .choice(let c): return "one of " + c.map { "'\($0)'" }.joined(separator: ", ")
        case .text: return "a string"
        case .bool: return "true or false"
        case .doubles(let n, let lo, let hi, let hi0): return "a list of \(n) numbers in [\(lo), \(hi)\(hi0 ? ")" : "]")"
        case .fullOrInt: return "'full' or a positive integer"
        }
    }
}

public struct KeySpec: Sendable {
    public let path: String
    public let type: KeyType
    public let defaultValue: Value
    public let doc: String
    /// Whether the key changes what a trial computes (part of the trial id), or only describes the study.
    public let trialKey: Bool
}

public enum Schema {
    static let operations = BinaryOperation.allCases.map(\.rawValue)

    public static let keys: [KeySpec] = [
        // The study itself.
        KeySpec(path: "name", type: .text, defaultValue: .string(""), doc: "the study's name (default: the file name); names the results folder", trialKey: false),
        KeySpec(path: "question", type: .text, defaultValue: .string(""), doc: "the one question this study answers", trialKey: false),
        KeySpec(path: "description", type: .text, defaultValue: .string(""), doc: "free text for the report", trialKey: false),
        KeySpec(path: "status", type: .choice(["reproduced", "not_reproduced"]), defaultValue: .string("reproduced"), doc: "not_reproduced marks a study whose gate is known to fail here (its description says by how much); its run still exits 1", trialKey: false),
        KeySpec(path: "axis", type: .choice(["steps", "size"]), defaultValue: .string("steps"), doc: "steps: curves over training time (grokking); size: models of growing size, each to convergence (double descent)", trialKey: false),
        KeySpec(path: "seeds", type: .int(min: 1, max: 1000), defaultValue: .int(3), doc: "repetitions of every configuration, each with its own data split, initialization and batches", trialKey: false),
        KeySpec(path: "seed", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "the study seed every trial's randomness derives from", trialKey: true),

        // The task.
        KeySpec(path: "task.kind", type: .choice(["algorithmic"] + SizeSchema.taskKinds), defaultValue: .string("algorithmic"), doc: "algorithmic: every pair (x, y) with x ∘ y (Power et al. 2022); digits, mnist1d: tabular classification; gaussian_linear: y = xᵀβ + σε on x ~ N(0, I); teacher: x ~ N(0, I_d) labelled by a random two-layer ReLU network", trialKey: true),
        KeySpec(path: "task.operation", type: .choice(operations), defaultValue: .string("x+y"), doc: "the binary operation; x.y, x.y.x^-1, x.y.x act on the permutation group S_n", trialKey: true),
        KeySpec(path: "task.modulus", type: .int(min: 2, max: 2048), defaultValue: .int(97), doc: "p for the modular operations (prime for division); the degree n of S_n for permutations", trialKey: true),
        KeySpec(path: "task.train_fraction", type: .double(min: 0, minOpen: true, max: 1, maxOpen: true), defaultValue: .double(0.5), doc: "share of all pairs used for training; the rest is the validation set", trialKey: true),

        // The model.
        KeySpec(path: "model.family", type: .choice(["mlp", "transformer"] + SizeSchema.closedFormFamilies), defaultValue: .string("mlp"), doc: "the model family: mlp or transformer (trained), random_features or linear (fitted in closed form)", trialKey: true),
        KeySpec(path: "model.input", type: .choice(["embedding", "onehot"]), defaultValue: .string("embedding"), doc: "learned token embeddings (concatenated) or one-hot codes", trialKey: true),
        KeySpec(path: "model.embedding", type: .int(min: 1, max: 65536), defaultValue: .int(128), doc: "embedding dimension per token", trialKey: true),
        KeySpec(path: "model.width", type: .int(min: 1, max: 1 << 20), defaultValue: .int(512), doc: "hidden units per layer", trialKey: true),
        KeySpec(path: "model.depth", type: .int(min: 1, max: 16), defaultValue: .int(1), doc: "hidden layers", trialKey: true),
        KeySpec(path: "model.activation", type: .choice(Activation.allCases.map(\.rawValue)), defaultValue: .string("relu"), doc: "relu, gelu, quadratic (x², Gromov 2023), tanh or identity", trialKey: true),
        KeySpec(path: "model.dropout", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "MLP: probability q of dropping each hidden activation in a training step (inverted dropout, as torch.nn.Dropout)", trialKey: true),
        KeySpec(path: "model.init_scale", type: .double(min: 0, minOpen: true, max: nil, maxOpen: false), defaultValue: .double(1), doc: "multiplies every initial weight (PyTorch defaults at 1)", trialKey: true),

        // The optimizer.
        KeySpec(path: "optimizer.name", type: .choice(OptimizerKind.allCases.map(\.rawValue)), defaultValue: .string("adamw"), doc: "adamw (decoupled weight decay), adam (L2 in the gradient), sgd (momentum)", trialKey: true),
        KeySpec(path: "optimizer.lr", type: .double(min: 0, minOpen: true, max: 10, maxOpen: false), defaultValue: .double(1e-3), doc: "learning rate after warm-up", trialKey: true),
        KeySpec(path: "optimizer.weight_decay", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(1), doc: "weight decay λ (Power et al. found λ = 1 best for grokking)", trialKey: true),
        KeySpec(path: "optimizer.betas", type: .doubles(count: 2, min: 0, max: 1, maxOpen: true), defaultValue: .list([.double(0.9), .double(0.98)]), doc: "Adam's β1, β2 (0.98 as in Power et al.)", trialKey: true),
        KeySpec(path: "optimizer.eps", type: .double(min: 0, minOpen: true, max: 1, maxOpen: false), defaultValue: .double(1e-8), doc: "Adam's ε", trialKey: true),
        KeySpec(path: "optimizer.momentum", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0.9), doc: "SGD momentum", trialKey: true),
        KeySpec(path: "optimizer.warmup_steps", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "linear learning-rate warm-up (Power et al. use 10)", trialKey: true),

        // Training.
        KeySpec(path: "training.batch", type: .fullOrInt, defaultValue: .string("full"), doc: "'full' (the whole training set each step) or a minibatch size", trialKey: true),
        KeySpec(path: "training.max_steps", type: .int(min: 1, max: 100_000_000), defaultValue: .int(10_000), doc: "the step budget", trialKey: true),
        KeySpec(path: "training.loss", type: .choice(LossKind.allCases.map(\.rawValue)), defaultValue: .string("cross_entropy"), doc: "cross_entropy, or mse against one-hot targets", trialKey: true),
        KeySpec(path: "training.precision", type: .choice(["float32", "float64"]), defaultValue: .string("float32"), doc: "float32 (fast) or float64 (for comparison)", trialKey: true),
        KeySpec(path: "training.eval.schedule", type: .choice(EvalScheduleKind.allCases.map(\.rawValue)), defaultValue: .string("log"), doc: "log: dense early, sparse late; linear: evenly spaced", trialKey: true),
        KeySpec(path: "training.eval.points", type: .int(min: 2, max: 100_000), defaultValue: .int(200), doc: "evaluation points over the budget", trialKey: true),
        KeySpec(path: "training.stop_after", type: .text, defaultValue: .string("generalization"), doc: "an event name after which the trial stops (plus patience), or 'never'", trialKey: true),
        KeySpec(path: "training.probes", type: .bool, defaultValue: .bool(false), doc: "log the operand embeddings' Fourier spectrum at every evaluation, and their spectrum, 2-D projection and the sharpness at each event (probes.json)", trialKey: true),
        KeySpec(path: "training.checkpoint_every", type: .int(min: 0, max: nil), defaultValue: .int(2000), doc: "save a resumable checkpoint every this many steps (0: never); it does not change results", trialKey: false),
        KeySpec(path: "training.gradient_noise", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(0), doc: "Gaussian gradient noise as a noise-to-signal ratio s: each step adds noise of standard deviation s · rms(gradient) to every gradient entry (Neelakantan et al. 2015)", trialKey: true),
        KeySpec(path: "regularization.kind", type: .choice(Regularization.kinds), defaultValue: .string("none"), doc: "one regularizer at a common strength s (sweep it against regularization.strength): weight_decay sets λ = s; dropout sets q/(1 − q) = s, the L2 coefficient dropout amounts to (Wager et al. 2013); gradient_noise sets the noise-to-signal ratio to s. The other two are off, whatever optimizer.weight_decay says", trialKey: true),
        KeySpec(path: "regularization.strength", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(1), doc: "the common strength s of regularization.kind", trialKey: true),
        KeySpec(path: "training.patience", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "steps to keep training after the stop event", trialKey: true),
    ] + TransformerSchema.keys + SizeSchema.keys

    public static let byPath: [String: KeySpec] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    /// Sections whose sub-keys are fixed by the schema.
    public static let sections: Set<String> = ["task", "model", "optimizer", "training", "training.eval", "solver", "regularization"]

    /// Top-level keys handled outside the schema table.
    public static let structural: Set<String> = ["sweep", "profiles", "events", "expect"]

    /// Keys a study may not sweep or override per profile (they describe, not configure).
    public static let descriptive: Set<String> = ["name", "question", "description", "axis", "status"]

    /// Closest known key, for "did you mean" hints: edit distance ≤ 3, or a truncation of a known key.
    public static func suggestion(for path: String, among candidates: [String]) -> String? {
        if path.count >= 4, let long = candidates.first(where: { $0.hasPrefix(path) }) { return long }
        var best: (String, Int)? = nil
        for c in candidates {
            let d = editDistance(path, c)
            if d <= 3, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    for i in 1...x.count {
        var cur = [i] + [Int](repeating: 0, count: y.count)
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[y.count]
}

extension KeyType {
    /// Converts a YAML scalar (its text and whether it was quoted) to a value of this type, or says why not.
    func convert(_ text: String, quoted: Bool) -> Conversion {
        let t = text.trimmingCharacters(in: .whitespaces)
        func number() -> Double? {
            if quoted { return nil }
            let s = t.replacingOccurrences(of: "_", with: "")
            if let d = Double(s), d.isFinite { return d }
            return nil
        }
        switch self {
        case .int:
            guard !quoted, let i = Int(t.replacingOccurrences(of: "_", with: "")) else {
                if let d = number(), d == d.rounded(), abs(d) < 1e15 { return check(.int(Int(d))) }
                return .bad("expected \(name), got \(quoted ? "the string " : "")'\(t)'")
            }
            return check(.int(i))
        case .double:
            guard let d = number() else { return .bad("expected \(name), got \(quoted ? "the string " : "")'\(t)'") }
            return check(.double(d))
        case .choice(let options):
            guard options.contains(t) else {
                if let s = Schema.suggestion(for: t, among: options) { return .bad("'\(t)' is not \(name); did you mean '\(s)'?") }
                return .bad("'\(t)' is not \(name)")
            }
            return .ok(.string(t))
        case .text:
            return .ok(.string(text))
        case .bool:
            switch t.lowercased() {
            case "true", "yes", "on": return quoted ? .bad("expected true or false, got the string '\(t)'") : .ok(.bool(true))
            case "false", "no", "off": return quoted ? .bad("expected true or false, got the string '\(t)'") : .ok(.bool(false))
            default: return .bad("expected true or false, got '\(t)'")
            }
        case .doubles:
            return .bad("expected \(name), got the single value '\(t)'")
        case .fullOrInt:
            if t == "full" { return .ok(.string("full")) }
            guard !quoted, let i = Int(t.replacingOccurrences(of: "_", with: "")) else { return .bad("expected \(name), got '\(t)'") }
            return check(.int(i))
        }
    }

    /// Range checks for a converted value.
    func check(_ v: Value) -> Conversion {
        switch (self, v) {
        case (.int(let lo, let hi), .int(let i)):
            if i < lo || (hi.map { i > $0 } ?? false) { return .bad("\(i) is out of range: expected \(name)") }
            return .ok(v)
        case (.fullOrInt, .int(let i)):
            if i < 1 { return .bad("\(i) is out of range: expected \(name)") }
            return .ok(v)
        case (.double(let lo, let loOpen, let hi, let hiOpen), .double(let d)):
            if let lo, loOpen ? !(d > lo) : !(d >= lo) { return .bad("\(d) is out of range: expected \(name)") }
            if let hi, hiOpen ? !(d < hi) : !(d <= hi) { return .bad("\(d) is out of range: expected \(name)") }
            return .ok(v)
        case (.doubles(let n, let lo, let hi, let hiOpen), .list(let items)):
            guard items.count == n else { return .bad("expected \(name), got \(items.count) values") }
            for item in items {
                guard let d = item.asDouble, d >= lo, hiOpen ? d < hi : d <= hi else { return .bad("\(item) is out of range: expected \(name)") }
            }
            return .ok(.list(items.map { .double($0.asDouble!) }))
        default:
            return .ok(v)
        }
    }
}

/// One regularizer at a common strength s, so that weight decay, dropout and gradient noise can be
/// compared at matched strength: the trial's configuration holds the values it resolves to.
public enum Regularization {
    public static let kinds = ["none", "weight_decay", "dropout", "gradient_noise"]
    /// The keys a regularization kind sets.
    static let resolvedKeys = ["optimizer.weight_decay", "model.dropout", "training.gradient_noise"]

    /// Writes the weight decay, dropout rate and gradient-noise ratio that `regularization.kind` and
    /// `regularization.strength` stand for into a trial configuration; without a kind, drops the keys
    /// that are off (so trials that predate them keep their ids).
    static func resolve(_ c: inout [String: Value]) {
        let kind = c["regularization.kind"]?.asString ?? "none"
        if kind == "none" {
            c["regularization.kind"] = nil; c["regularization.strength"] = nil
        } else {
            let s = c["regularization.strength"]?.asDouble ?? 0
            c["optimizer.weight_decay"] = .double(kind == "weight_decay" ? s : 0)
            c["model.dropout"] = .double(kind == "dropout" ? s / (1 + s) : 0)
            c["training.gradient_noise"] = .double(kind == "gradient_noise" ? s : 0)
        }
        for k in ["model.dropout", "training.gradient_noise"] where c[k]?.asDouble == 0 { c[k] = nil }
    }
}

/// The outcome of converting or checking one value: the value, or why it is not acceptable.
enum Conversion {
    case ok(Value)
    case bad(String)
}

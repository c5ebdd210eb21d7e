// The keys of the size axis (model-wise double descent): tabular and synthetic tasks, the closed-form
// families (random features, linear regression) and their solver, and which key applies to which
// task kind and model family.
//
// A key that does not apply to a trial's kind and family is left out of the trial's configuration
// (so adding these keys changed no id of an algorithmic trial), and setting it in a study file is an
// error that names the key and its place.
import Foundation

public enum SizeSchema {
    public static let tabularKinds = ["digits", "mnist1d"]
    public static let taskKinds = tabularKinds + ["gaussian_linear"]
    public static let closedFormFamilies = ["random_features", "linear"]

    static let keys: [KeySpec] = [
        // Tabular and synthetic tasks.
        KeySpec(path: "task.n_train", type: .int(min: 1, max: nil), defaultValue: .int(1000), doc: "n, the training examples (drawn once per seed)", trialKey: true),
        KeySpec(path: "task.n_test", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "test examples; 0: every example not used for training (digits), the whole test file (mnist1d), 1000 (gaussian_linear)", trialKey: true),
        KeySpec(path: "task.label_noise", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "share of training labels replaced by a uniformly random incorrect label (drawn once per seed); test labels stay clean", trialKey: true),
        KeySpec(path: "task.standardize", type: .bool, defaultValue: .bool(true), doc: "zero mean, unit variance per input, fitted on the training set (centred inputs keep every ReLU feature alive)", trialKey: true),
        KeySpec(path: "task.data", type: .text, defaultValue: .string(""), doc: "a folder holding the data files instead of studies/data (or $DESCENT_DATA); part of the trial's identity", trialKey: true),
        KeySpec(path: "task.dimension", type: .int(min: 0, max: 1 << 20), defaultValue: .int(0), doc: "gaussian_linear: d, the model's dimension; 0: d = p for every p (well-specified, a fresh β per trial)", trialKey: true),
        KeySpec(path: "task.signal", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(1), doc: "gaussian_linear: ‖β‖², the signal", trialKey: true),
        KeySpec(path: "task.noise_variance", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0.25), doc: "gaussian_linear: σ², the variance of the noise on y", trialKey: true),

        // Closed-form families.
        KeySpec(path: "model.features", type: .int(min: 1, max: 1 << 20), defaultValue: .int(100), doc: "random_features: N, the random features; linear: p, the first p inputs used (the size axis)", trialKey: true),
        KeySpec(path: "model.feature_map", type: .choice(["relu", "fourier"]), defaultValue: .string("relu"), doc: "random_features: max(⟨v,x⟩, 0) with v ~ N(0, I/d), or cos/sin⟨v,x⟩ with v ~ N(0, σ⁻²I)", trialKey: true),
        KeySpec(path: "model.bandwidth", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "fourier features: σ, the Gaussian kernel's width; 0: √(2d), about the distance between standardized inputs", trialKey: true),

        // The closed-form solver.
        KeySpec(path: "solver.method", type: .choice(["min_norm", "ridge"]), defaultValue: .string("min_norm"), doc: "minimum-norm least squares (SVD, LAPACK gelsd) or ridge", trialKey: true),
        KeySpec(path: "solver.lambda", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "ridge: λ in (1/n)‖Y − ΦW‖² + λ‖W‖² (must be > 0 for ridge)", trialKey: true),
        KeySpec(path: "solver.rcond", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "min_norm: relative cut-off for small singular values; 0: eps · max(n, N) of the precision (it regularizes, so it is recorded)", trialKey: true),
        KeySpec(path: "training.converge_tolerance", type: .double(min: 0, minOpen: false, max: 1, maxOpen: false), defaultValue: .double(0), doc: "size axis, MLP: a run that misses the stop event still counts as converged when its train loss changed by at most this fraction over the last quarter of the budget (a plateau); 0: only the stop event counts", trialKey: true),
        KeySpec(path: "solver.precision", type: .choice(["float32", "float64"]), defaultValue: .string("float64"), doc: "float64 resolves the near-singular design at the threshold (float32 halved the digits peak)", trialKey: true),
    ]

    static let sizeKeyPaths: Set<String> = Set(keys.map(\.path))
    static let algorithmicOnly: Set<String> = ["task.operation", "task.modulus", "task.train_fraction", "model.input", "model.embedding"]
    static let mlpOnly: Set<String> = ["model.width", "model.depth", "model.activation", "model.init_scale"]

    static func kind(_ values: [String: Value]) -> String { values["task.kind"]?.asString ?? "algorithmic" }
    static func family(_ values: [String: Value]) -> String { values["model.family"]?.asString ?? "mlp" }

    /// Whether a key configures trials of this task kind and model family.
    public static func applies(_ path: String, to values: [String: Value]) -> Bool {
        let kind = kind(values), family = family(values)
        if kind == "algorithmic" { return !sizeKeyPaths.contains(path) }
        if algorithmicOnly.contains(path) { return false }
        let closed = closedFormFamilies.contains(family)
        if mlpOnly.contains(path) || path.hasPrefix("optimizer.") || path == "training.converge_tolerance" { return !closed }
        switch path {
        case "task.dimension", "task.signal", "task.noise_variance": return kind == "gaussian_linear"
        case "task.label_noise", "task.standardize", "task.data": return tabularKinds.contains(kind)
        case "model.features", "solver.method", "solver.lambda", "solver.rcond", "solver.precision": return closed
        case "model.feature_map", "model.bandwidth": return family == "random_features"
        default: return true
        }
    }

    /// The key whose sweep is the size axis: N or p for the closed-form families, the width for an MLP.
    public static func sizeKey(_ s: Study) -> String {
        closedFormFamilies.contains(family(s.values)) ? "model.features" : "model.width"
    }
}

extension Parser {
    /// Combinations that make no sense, reported at the key that makes them so.
    func checkSizeCombinations(sweep: [SweepAxis]) throws {
        let kind = SizeSchema.kind(values), family = SizeSchema.family(values)
        let start = SourceLocation(file: file, line: 1, column: 1)
        let familyLoc = locations["model.family"] ?? locations["task.kind"] ?? start
        switch (kind, family) {
        case ("algorithmic", "random_features"), ("algorithmic", "linear"):
            throw StudyError(familyLoc, "model.family '\(family)' is fitted in closed form and needs a tabular or synthetic task, not task.kind 'algorithmic'",
                             hint: "set task.kind to digits or mnist1d (random_features) or gaussian_linear (linear), or use model.family: mlp")
        case ("gaussian_linear", "mlp"), ("gaussian_linear", "random_features"):
            throw StudyError(familyLoc, "task.kind 'gaussian_linear' is a regression task; model.family '\(family)' classifies",
                             hint: "use model.family: linear for gaussian_linear, or a classification task (digits, mnist1d)")
        case (_, "linear") where kind != "gaussian_linear":
            throw StudyError(familyLoc, "model.family 'linear' is least-squares regression and needs task.kind 'gaussian_linear', not '\(kind)'",
                             hint: "use model.family: random_features for digits or mnist1d")
        default: break
        }
        var set = locations.map { ($0.key, $0.value) }
        set += sweep.map { ($0.path, $0.location) }
        for (path, loc) in set.sorted(by: { $0.0 < $1.0 }) where Schema.byPath[path]?.trialKey == true {
            if !SizeSchema.applies(path, to: values) {
                throw StudyError(loc, "\(path) does not apply to task.kind '\(kind)' with model.family '\(family)'",
                                 hint: "remove it; keys of this kind and family: " + Schema.keys.map(\.path).filter { SizeSchema.applies($0, to: values) && Schema.byPath[$0]!.trialKey && $0 != "seed" }.joined(separator: ", "))
            }
        }
        if values["solver.method"]?.asString == "ridge" && family != "mlp" && (values["solver.lambda"]?.asDouble ?? 0) <= 0
            && !sweep.contains(where: { $0.path == "solver.lambda" }) {
            throw StudyError(locations["solver.lambda"] ?? locations["solver.method"] ?? start, "solver.method 'ridge' needs solver.lambda > 0",
                             hint: "set solver.lambda (e.g. 1e-3), or use solver.method: min_norm for the ridgeless fit")
        }
        if (values["solver.rcond"]?.asDouble ?? 0) > 0 && values["solver.method"]?.asString == "ridge", let loc = locations["solver.rcond"] {
            throw StudyError(loc, "solver.rcond is the minimum-norm cut-off; it does not apply to solver.method 'ridge'", hint: "remove solver.rcond or use solver.method: min_norm")
        }
    }
}

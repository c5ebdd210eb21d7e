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
    public static let taskKinds = tabularKinds + ["gaussian_linear", "teacher"]
    /// Classification tasks: the tabular files and the teacher network.
    public static let classificationKinds = tabularKinds + ["teacher"]
    public static let closedFormFamilies = ["random_features", "linear"]

    static let keys: [KeySpec] = [
        // Tabular and synthetic tasks.
        KeySpec(path: "task.n_train", type: .int(min: 1, max: nil), defaultValue: .int(1000), doc: "n, the training examples (drawn once per seed)", trialKey: true),
        KeySpec(path: "task.n_test", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "test examples; 0: every example not used for training (digits), the whole test file (mnist1d), 1000 (gaussian_linear, teacher)", trialKey: true),
        KeySpec(path: "task.label_noise", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "share of training labels replaced by a uniformly random incorrect label (drawn once per seed); test labels stay clean", trialKey: true),
        KeySpec(path: "task.standardize", type: .bool, defaultValue: .bool(true), doc: "zero mean, unit variance per input, fitted on the training set (centred inputs keep every ReLU feature alive)", trialKey: true),
        KeySpec(path: "task.data", type: .text, defaultValue: .string(""), doc: "a folder holding the data files instead of studies/data (or $DESCENT_DATA); part of the trial's identity", trialKey: true),
        KeySpec(path: "task.dimension", type: .int(min: 0, max: 1 << 20), defaultValue: .int(0), doc: "gaussian_linear: d, the model's dimension; 0: d = p for every p (well-specified, a fresh β per trial)", trialKey: true),
        KeySpec(path: "task.signal", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(1), doc: "gaussian_linear: ‖β‖², the signal", trialKey: true),
        KeySpec(path: "task.noise_variance", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0.25), doc: "gaussian_linear: σ², the variance of the noise on y", trialKey: true),
        KeySpec(path: "task.slow_features", type: .int(min: 0, max: 1 << 20), defaultValue: .int(0), doc: "gaussian_linear, gradient descent: k, the last k features have standard deviation task.slow_scale (learned later); 0: isotropic", trialKey: true),
        KeySpec(path: "task.slow_scale", type: .double(min: 0, minOpen: true, max: 1, maxOpen: false), defaultValue: .double(1), doc: "gradient descent: the slow features' standard deviation (the others have 1); their time scale is 1/scale² times longer", trialKey: true),
        KeySpec(path: "task.slow_signal", type: .double(min: 0, minOpen: false, max: 1, maxOpen: false), defaultValue: .double(0), doc: "gradient descent: the share of the signal variance Var(xᵀβ) carried by the slow features", trialKey: true),

        KeySpec(path: "task.input_dimension", type: .int(min: 1, max: 1 << 16), defaultValue: .int(20), doc: "teacher: d, the Gaussian inputs' dimension", trialKey: true),
        KeySpec(path: "task.teacher_width", type: .int(min: 1, max: 1 << 16), defaultValue: .int(100), doc: "teacher: h, the hidden ReLU units of the fixed random teacher (drawn from the study seed, the same for every seed)", trialKey: true),
        KeySpec(path: "task.classes", type: .int(min: 2, max: 1000), defaultValue: .int(10), doc: "teacher: K, the classes (arg-max of the teacher's K outputs)", trialKey: true),

        // Closed-form families.
        KeySpec(path: "model.features", type: .int(min: 1, max: 1 << 20), defaultValue: .int(100), doc: "random_features: N, the random features; linear: p, the first p inputs used (the size axis)", trialKey: true),
        KeySpec(path: "model.feature_map", type: .choice(["relu", "fourier"]), defaultValue: .string("relu"), doc: "random_features: max(⟨v,x⟩, 0) with v ~ N(0, I/d), or cos/sin⟨v,x⟩ with v ~ N(0, σ⁻²I)", trialKey: true),
        KeySpec(path: "model.bandwidth", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "fourier features: σ, the Gaussian kernel's width; 0: √(2d), about the distance between standardized inputs", trialKey: true),

        // The closed-form solver.
        KeySpec(path: "solver.method", type: .choice(["min_norm", "ridge", "gradient_descent"]), defaultValue: .string("min_norm"), doc: "minimum-norm least squares (SVD, LAPACK gelsd) or ridge; linear on the steps axis: gradient_descent (full batch, optimizer.lr, from zero)", trialKey: true),
        KeySpec(path: "solver.lambda", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0), doc: "ridge: λ in (1/n)‖Y − ΦW‖² + λ‖W‖² (must be > 0 for ridge)", trialKey: true),
        KeySpec(path: "solver.rcond", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "min_norm: relative cut-off for small singular values; 0: eps · max(n, N) of the precision (it regularizes, so it is recorded)", trialKey: true),
        KeySpec(path: "training.converge_tolerance", type: .double(min: 0, minOpen: false, max: 1, maxOpen: false), defaultValue: .double(0), doc: "size axis, MLP: a run that misses the stop event still counts as converged when its train loss changed by at most this fraction over the last quarter of the budget (a plateau); 0: only the stop event counts", trialKey: true),
        KeySpec(path: "solver.precision", type: .choice(["float32", "float64"]), defaultValue: .string("float64"), doc: "float64 resolves the near-singular design at the threshold (float32 halved the digits peak)", trialKey: true),
    ]

    static let sizeKeyPaths: Set<String> = Set(keys.map(\.path))
    static let algorithmicOnly: Set<String> = ["task.operation", "task.modulus", "task.train_fraction", "model.input", "model.embedding"]
    static let mlpOnly: Set<String> = ["model.width", "model.depth", "model.activation", "model.init_scale", "model.dropout",
                                       "training.gradient_noise", "regularization.kind", "regularization.strength"]

    static func kind(_ values: [String: Value]) -> String { values["task.kind"]?.asString ?? "algorithmic" }
    static func family(_ values: [String: Value]) -> String { values["model.family"]?.asString ?? "mlp" }
    /// The linear family trained by gradient descent over steps (epoch-wise double descent), not solved in closed form.
    static func gradientDescent(_ values: [String: Value]) -> Bool { family(values) == "linear" && values["solver.method"]?.asString == "gradient_descent" }
    static let gradientDescentOnly: Set<String> = ["task.slow_features", "task.slow_scale", "task.slow_signal"]
    /// Keys a gradient-descent trial does not read: the closed-form solver's, the held-out sample's (its risk is exact), the
    /// classifier's loss and precision (squared error in Double), and the misspecified dimension (d = p).
    static let notForGradientDescent: Set<String> = ["solver.lambda", "solver.rcond", "solver.precision", "task.n_test", "task.dimension",
                                                     "training.loss", "training.precision", "training.probes"]

    /// Whether a key configures trials of this task kind and model family.
    public static func applies(_ path: String, to values: [String: Value]) -> Bool {
        let kind = kind(values), family = family(values)
        if kind == "algorithmic" { return !sizeKeyPaths.contains(path) }
        if algorithmicOnly.contains(path) { return false }
        let closed = closedFormFamilies.contains(family)
        if SizeSchema.gradientDescent(values) {
            if gradientDescentOnly.contains(path) || path.hasPrefix("optimizer.") { return true }
            if notForGradientDescent.contains(path) { return false }
        } else if gradientDescentOnly.contains(path) { return false }
        if mlpOnly.contains(path) || path.hasPrefix("optimizer.") || path == "training.converge_tolerance" { return !closed }
        switch path {
        case "task.dimension", "task.signal", "task.noise_variance": return kind == "gaussian_linear"
        case "task.label_noise", "task.standardize": return classificationKinds.contains(kind)
        case "task.data": return tabularKinds.contains(kind)
        case "task.input_dimension", "task.teacher_width", "task.classes": return kind == "teacher"
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
        let axis = values["axis"]?.asString ?? "steps", method = values["solver.method"]?.asString ?? "min_norm"
        if family == "linear" && method == "gradient_descent" && axis != "steps" {
            throw StudyError(locations["solver.method"] ?? familyLoc, "solver.method 'gradient_descent' trains over steps; this study has axis '\(axis)'",
                             hint: "set 'axis: steps' (epoch-wise curves), or use solver.method min_norm or ridge for the size axis")
        }
        if SizeSchema.closedFormFamilies.contains(family) && axis == "steps" && !(family == "linear" && method == "gradient_descent") {
            throw StudyError(locations["axis"] ?? familyLoc, "model.family '\(family)' with solver.method '\(method)' is one closed-form solve: it has no curve over steps",
                             hint: family == "linear" ? "set 'axis: size', or solver.method: gradient_descent for curves over steps" : "set 'axis: size'")
        }
        if method == "gradient_descent" && family != "linear" {
            throw StudyError(locations["solver.method"] ?? familyLoc, "solver.method 'gradient_descent' is for model.family 'linear', not '\(family)'",
                             hint: "use min_norm or ridge")
        }
        if SizeSchema.gradientDescent(values) {
            try checkGradientDescent(sweep: sweep, start: start)
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

extension Parser {
    /// The linear family on the steps axis: plain full-batch gradient descent (the exact expected curve is
    /// for that), and two feature groups that fit in the model.
    func checkGradientDescent(sweep: [SweepAxis], start: SourceLocation) throws {
        func at(_ key: String) -> SourceLocation { locations[key] ?? sweep.first { $0.path == key }?.location ?? start }
        let why = "the exact expected risk is that of plain full-batch gradient descent"
        if values["optimizer.name"]?.asString != "sgd" {
            throw StudyError(at("optimizer.name"), "gradient descent on the linear model uses optimizer.name 'sgd', not '\(values["optimizer.name"]?.asString ?? "")'",
                             hint: "set optimizer: { name: sgd, momentum: 0, weight_decay: 0 } (\(why))")
        }
        for key in ["optimizer.momentum", "optimizer.weight_decay"] where (values[key]?.asDouble ?? 0) != 0 {
            throw StudyError(at(key), "\(key) is \(values[key]!.asDouble!); gradient descent on the linear model needs 0", hint: "set \(key): 0 (\(why))")
        }
        if (values["optimizer.warmup_steps"]?.asInt ?? 0) != 0 {
            throw StudyError(at("optimizer.warmup_steps"), "optimizer.warmup_steps must be 0 for gradient descent on the linear model", hint: "remove it (\(why))")
        }
        if values["training.batch"]?.asString != "full" {
            throw StudyError(at("training.batch"), "training.batch must be 'full' for gradient descent on the linear model", hint: "remove it (\(why))")
        }
        let k = values["task.slow_features"]?.asInt ?? 0, share = values["task.slow_signal"]?.asDouble ?? 0
        let sizes = sweep.first { $0.path == "model.features" }?.values.compactMap(\.asInt) ?? [values["model.features"]?.asInt ?? 0]
        if let p = sizes.first(where: { $0 < k }) {
            throw StudyError(at("task.slow_features"), "task.slow_features \(k) exceeds model.features \(p) (the model's d features, the last k of them slow)",
                             hint: "use task.slow_features ≤ model.features")
        }
        if k == 0 && share > 0 {
            throw StudyError(at("task.slow_signal"), "task.slow_signal \(share) puts signal in the slow features, but task.slow_features is 0", hint: "set task.slow_features, or task.slow_signal: 0")
        }
        if share < 1, let p = sizes.first(where: { $0 == k }) {
            throw StudyError(at("task.slow_signal"), "every one of the \(p) features is slow, so task.slow_signal must be 1, not \(share)", hint: "use task.slow_features < model.features")
        }
    }
}

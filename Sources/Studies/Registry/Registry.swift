// The registry: every task kind and model family a study can name, one line each. Each entry is one
// file (Registry/Tasks/*.swift, Registry/Families/*.swift) that declares its keys, checks them, decodes
// them into its typed configuration and, for a family, runs a trial. Adding a task kind or a family is
// that file plus one line here.
//
// Which keys configure a trial (and so enter its identity) follows from the registry: a key applies
// when its owner is part of the trial (the study, the training loop, the chosen task kind, the chosen
// family, the way that family is fitted) and its own `when` holds. Keys that do not apply are left
// out of the trial's canonical encoding, so adding a key to one family changes no id of another.
import Foundation
import Training

public enum Registry {
    /// The task kinds (`task.kind`).
    static let tasks: [any TaskKind.Type] = [
        AlgorithmicTask.self,
        DigitsTask.self,
        MNIST1DTask.self,
        GaussianLinearTask.self,
        TeacherTask.self,
    ]

    /// The model families (`model.family`).
    static let families: [any ModelFamily.Type] = [
        MLPFamily.self,
        TransformerFamily.self,
        RandomFeaturesFamily.self,
        LinearFamily.self,
    ]

    /// The gradient transforms and constraints of networks trained by steps, in the order they apply.
    static let transforms: [any TransformKind.Type] = [
        GradientNoiseTransform.self,
        GrokfastTransform.self,
        OrthogonalGradientTransform.self,
        WeightNormTransform.self,
    ]

    /// The measurements taken during training, in the order their columns and snapshot fields are written.
    static let probes: [any ProbeKind.Type] = [
        EmbeddingSpectrum.self,
        EmbeddingGeometry.self,
        Sharpness.self,
        LocalLearningCoefficientProbe.self,
        FrequencyLossesProbe.self,
        CurvatureOverTraining.self,
    ]

    static func task(_ name: String) -> (any TaskKind.Type)? { tasks.first { $0.name == name } }
    static func family(_ name: String) -> (any ModelFamily.Type)? { families.first { $0.name == name } }

    /// Names and one-line summaries, for `descent list`.
    public static var taskSummaries: [(name: String, summary: String)] { tasks.map { ($0.name, $0.summary) } }
    public static var familySummaries: [(name: String, summary: String)] { families.map { ($0.name, $0.summary) } }
}

/// How a family fits its parameters: by the step loop with an optimizer (networks), in closed form
/// (one least-squares solve), or by plain full-batch gradient descent with an exact expected curve.
public enum Fit: Sendable, Equatable {
    case optimizer, closedForm, gradientDescent
}

/// What a trial is made of, as far as the keys that configure it are concerned.
public struct TrialShape: @unchecked Sendable {   // metatypes of registry entries: immutable
    let task: any TaskKind.Type
    let family: any ModelFamily.Type
    public let fit: Fit
    /// Whether the task's inputs are tokens (operation tables) rather than feature vectors.
    public var tokens: Bool { task.inputs == .tokens }
    public var taskName: String { task.name }
    public var familyName: String { family.name }
}

/// What a task gives a model to read.
public enum TaskInputs: Sendable, Equatable {
    /// Pairs of tokens from a vocabulary (operation tables): classification.
    case tokens
    /// Feature vectors with class labels.
    case features
    /// Feature vectors with real targets (least squares).
    case regression
}

/// A task kind: one file declares its keys, checks them and builds its typed configuration.
protocol TaskKind {
    static var name: String { get }
    /// One line for `descent list`.
    static var summary: String { get }
    static var inputs: TaskInputs { get }
    /// The keys this kind owns (a key shared with another kind is declared once and listed by both).
    static var keys: [KeySpec] { get }
    /// The typed configuration of a trial's task.
    static func decode(_ v: KeyValues) -> any TaskConfiguration
    /// Leaves keys that are off out of a trial's encoding (a key added after trials were run keeps their ids).
    static func omitWhenOff(_ c: inout [String: Value])
}

extension TaskKind {
    static func omitWhenOff(_ c: inout [String: Value]) {}
}

/// A model family: one file declares its keys, checks a study's combination of task and settings,
/// decodes its typed configuration, names its size key, and runs a trial.
protocol ModelFamily {
    static var name: String { get }
    static var summary: String { get }
    static var keys: [KeySpec] { get }
    /// The key whose sweep is the size axis (the width of a network, the number of features).
    static var sizeKey: KeySpec { get }
    /// How a study's settings fit this family's parameters.
    static func fit(_ v: KeyValues) -> Fit
    /// Combinations of task, axis and settings that make no sense, reported at the key that makes them so.
    static func check(_ study: StudyDraft) throws
    static func decode(_ v: KeyValues) -> any ModelConfiguration
    /// What can be checked of a trial without loading data (beyond its task's own checks).
    static func validate(_ spec: TrialSpec) throws
    /// Trains or fits one trial.
    static func run(_ trial: Trial, _ context: TrialContext) throws -> TrialResult
}

extension ModelFamily {
    static func check(_ study: StudyDraft) throws {}
    static func validate(_ spec: TrialSpec) throws {}
}

/// A gradient transform or constraint (Training/Transforms/*.swift): one file declares its keys and
/// decodes them into the transform a trial applies (nil when off). Its keys configure the networks trained
/// by the step loop; while it is off they are left out of a trial's encoding, so trials that do not use
/// it keep the ids they had before it existed.
protocol TransformKind {
    static var keys: [KeySpec] { get }
    static func decode(_ v: KeyValues) -> (any GradientTransformation)?
    /// Combinations that make no sense, at their key.
    static func check(_ study: StudyDraft) throws
}

extension TransformKind {
    static func check(_ study: StudyDraft) throws {}
    /// Leaves the transform's keys out of a trial's encoding when it is off.
    static func omitWhenOff(_ c: inout [String: Value]) {
        if decode(KeyValues(values: c)) == nil { for k in keys { c[k.path] = nil } }
    }
}

/// A task's typed configuration. Families read it through the protocols of what they need
/// (`TokenTask`, `FeatureTask`, `RegressionTask`).
public protocol TaskConfiguration: Sendable {
    /// The task kind's name (`task.kind`).
    var kind: String { get }
    /// Training examples when fixed by a key (`task.n_train`), else nil.
    var trainingExamples: Int? { get }
    /// Share of training labels replaced by wrong ones (0 without label noise).
    var labelNoise: Double { get }
    /// What can be checked without loading data (sizes the data files can serve); errors name the key.
    func validate() throws
}

extension TaskConfiguration {
    public var trainingExamples: Int? { nil }
    public var labelNoise: Double { 0 }
    public func validate() throws {}
}

/// A model family's typed configuration.
public protocol ModelConfiguration: Sendable {
    var family: String { get }
    /// The value of the family's size key.
    var size: Int { get }
}

/// A study as the parser holds it while checking: its resolved values (defaults, file, profile), where
/// each came from, and its sweep.
struct StudyDraft {
    let file: String
    let values: [String: Value]
    let locations: [String: SourceLocation]
    let sweep: [SweepAxis]

    var keys: KeyValues { KeyValues(values: values) }
    var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }
    /// Where a key was set (in the file, a profile or a sweep), else the first of `fallbacks` that was, else the file's start.
    func at(_ key: KeySpec, or fallbacks: KeySpec...) -> SourceLocation {
        for k in [key] + fallbacks {
            if let l = locations[k.path] ?? sweep.first(where: { $0.path == k.path })?.location { return l }
        }
        return start
    }
    /// The values a key takes in the study: its swept values, or its one value.
    func values(of key: KeySpec) -> [Value] {
        sweep.first { $0.path == key.path }?.values ?? [values[key.path]!]
    }
}

// MARK: - The schema: every key, and which apply to a trial

public enum Schema {
    /// Every key a study may set, each once, in the order of the reference: the study's, the task's,
    /// the model's, the optimizer's, the training loop's, the regularizers', the solver's.
    public static let keys: [KeySpec] = {
        let owned = StudyKeys.all + [TaskKeys.kind] + Registry.tasks.flatMap { $0.keys } + [ModelKeys.family] + NetworkKeys.all
            + OptimizerKeys.all + TrainingKeys.all + Registry.families.flatMap { $0.keys } + Registry.transforms.flatMap { $0.keys } + Registry.probes.flatMap { $0.keys } + ClosedFormKeys.all
        var seen = Set<String>()
        let unique = owned.filter { seen.insert($0.path).inserted }
        let order = ["", "task", "model", "optimizer", "training", "regularization", "solver"]
        return unique.enumerated().sorted { a, b in
            let ia = order.firstIndex(of: a.element.section) ?? order.count, ib = order.firstIndex(of: b.element.section) ?? order.count
            return ia != ib ? ia < ib : a.offset < b.offset
        }.map(\.element)
    }()

    public static let byPath: [String: KeySpec] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    /// Sections whose sub-keys are fixed by the schema.
    public static let sections: Set<String> = Set(keys.compactMap { k in k.path.contains(".") ? String(k.path[..<k.path.lastIndex(of: ".")!]) : nil })

    /// Top-level keys handled outside the schema table.
    public static let structural: Set<String> = ["sweep", "arms", "baseline", "profiles", "events", "expect"]

    /// Keys a study may not sweep or override per profile (they describe, not configure).
    public static let descriptive: Set<String> = ["name", "question", "description", "axis", "status", "size_by"]

    /// The shape of a study's trials, from its resolved values (nil when the kind or family is unknown).
    static func shape(_ v: KeyValues) -> TrialShape? {
        guard let task = Registry.task(v.string(TaskKeys.kind)), let family = Registry.family(v.string(ModelKeys.family)) else { return nil }
        return TrialShape(task: task, family: family, fit: family.fit(v))
    }

    /// The keys that configure trials of this shape (their owners are part of the trial and their `when` holds).
    static func applicable(_ shape: TrialShape) -> [KeySpec] {
        var owned: [KeySpec] = StudyKeys.all + [TaskKeys.kind, ModelKeys.family] + shape.task.keys + shape.family.keys + TrainingKeys.all
        if shape.fit == .optimizer || shape.fit == .gradientDescent { owned += OptimizerKeys.all }
        if shape.fit == .optimizer { owned += NetworkKeys.all + Registry.transforms.flatMap { $0.keys } + Registry.probes.flatMap { $0.keys } }
        if shape.fit == .closedForm { owned += ClosedFormKeys.all }
        var seen = Set<String>()
        return owned.filter { $0.trialKey && ($0.when?(shape) ?? true) && seen.insert($0.path).inserted }
    }

    /// Whether a key configures trials of this shape.
    static func applies(_ path: String, to shape: TrialShape) -> Bool {
        applicable(shape).contains { $0.path == path }
    }

    /// The key whose sweep is the size axis of a study: the family's size (model-wise), or the training
    /// examples with `size_by: samples` (sample-wise).
    public static func sizeKey(_ s: Study) -> String { sizeKey(s.values, s.shape) }
    static func sizeKey(_ values: [String: Value], _ shape: TrialShape) -> String {
        KeyValues(values: values).string(StudyKeys.sizeBy) == "samples" ? TaskKeys.nTrain.path : shape.family.sizeKey.path
    }
}

// MARK: - Keys every trial has

enum StudyKeys {
    static let axis = KeySpec(path: "axis", type: .choice(["steps", "size"]), defaultValue: .string("steps"), doc: "steps: curves over training time (grokking); size: models of growing size, each to convergence (double descent)", trialKey: false)
    static let status = KeySpec(path: "status", type: .choice(["reproduced", "not_reproduced"]), defaultValue: .string("reproduced"), doc: "not_reproduced marks a study whose gate is known to fail here (its description says by how much); its run still exits 1", trialKey: false)
    static let sizeBy = KeySpec(path: "size_by", type: .choice(["model", "samples"]), defaultValue: .string("model"), doc: "size axis: model sweeps the family's size (model-wise double descent); samples sweeps task.n_train at a fixed model (sample-wise: where more data hurts)", trialKey: false)
    static let seed = KeySpec(path: "seed", type: .int(min: 0, max: nil), defaultValue: .int(0), doc: "the study seed every trial's randomness derives from")
    static let all: [KeySpec] = [
        KeySpec(path: "name", type: .text, defaultValue: .string(""), doc: "the study's name (default: the file name); names the results folder", trialKey: false),
        KeySpec(path: "question", type: .text, defaultValue: .string(""), doc: "the one question this study answers", trialKey: false),
        KeySpec(path: "description", type: .text, defaultValue: .string(""), doc: "free text for the report", trialKey: false),
        status,
        axis,
        sizeBy,
        KeySpec(path: "seeds", type: .int(min: 1, max: 1000), defaultValue: .int(3), doc: "repetitions of every configuration, each with its own data split, initialization and batches", trialKey: false),
        seed,
    ]
}

enum TaskKeys {
    static let kind = KeySpec(path: "task.kind", type: .choice(Registry.tasks.map { $0.name }), defaultValue: .string("algorithmic"),
                              doc: Registry.tasks.map { "\($0.name): \($0.summary)" }.joined(separator: "; "))
    /// Training examples drawn once per seed: shared by the kinds that sample their data.
    static let nTrain = KeySpec(path: "task.n_train", type: .int(min: 1, max: nil), defaultValue: .int(1000), doc: "n, the training examples (drawn once per seed)")
    static let nTest = KeySpec(path: "task.n_test", type: .int(min: 0, max: nil), defaultValue: .int(0),
                               doc: "test examples; 0: every example not used for training (digits), the whole test file (mnist1d), 1000 (gaussian_linear, teacher)",
                               when: { $0.fit != .gradientDescent })   // gradient descent's risk is exact: no test sample
    static let labelNoise = KeySpec(path: "task.label_noise", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0), doc: "share of training labels replaced by a uniformly random incorrect label (drawn once per seed); test and validation labels stay clean. Feature data: each label independently with this probability; an operation table: exactly round(q·n) of its n training pairs")
    static let standardize = KeySpec(path: "task.standardize", type: .bool, defaultValue: .bool(true), doc: "zero mean, unit variance per input, fitted on the training set (centred inputs keep every ReLU feature alive)")
}

enum ModelKeys {
    static let family = KeySpec(path: "model.family", type: .choice(Registry.families.map { $0.name }), defaultValue: .string("mlp"),
                                doc: "the model family: " + Registry.families.map { "\($0.name) (\($0.summary))" }.joined(separator: "; "))
}

// A study: the parsed, validated and resolved study file (defaults applied, a profile applied),
// ready to expand into trials. Nothing here trains.
import Foundation
import Training
import Yams

public struct EventSpec: Sendable, Equatable {
    public let name: String
    public let rule: EventRule
    /// The event that must have happened first (its condition is the rule's `after`), or nil.
    public var after: String? = nil
}

/// A comparison on a swept key, from `where:` ("≥ 0.5", ">= 0.5", "< 3", "== 97" or a bare value).
public struct Condition: Sendable, Equatable, CustomStringConvertible {
    public enum Op: String, Sendable { case ge = ">=", le = "<=", gt = ">", lt = "<", eq = "==", ne = "!=" }
    public let path: String
    public let op: Op
    public let value: Value
    public func holds(_ v: Value?) -> Bool {
        guard let v else { return false }
        if let a = v.asDouble, let b = value.asDouble {
            switch op {
            case .ge: return a >= b
            case .le: return a <= b
            case .gt: return a > b
            case .lt: return a < b
            case .eq: return a == b
            case .ne: return a != b
            }
        }
        switch op {
        case .eq: return v.description == value.description
        case .ne: return v.description != value.description
        default: return false
        }
    }
    public var description: String { "\(path) \(op.rawValue) \(value)" }
}

public struct Expectation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The event is reached in at least `fraction` of the matching trials.
        case reached(event: String, fraction: Double)
        /// In at least `fraction` of the matching trials, `first` is reached strictly before `then`.
        case order(first: String, then: String, fraction: Double)
        /// At the evaluation where `event` is first reached, the metric satisfies the bound,
        /// in at least `fraction` of the trials that reach the event.
        case atEvent(event: String, metric: Metric, atLeast: Double?, atMost: Double?, fraction: Double)
        /// y (an event step, or a final metric) moves with x in the given direction, at the confidence level.
        case trend(x: String, y: String, direction: String, confidence: Double)
        /// A measure of the size axis or of the test-error curve's shape (see SizeExpectations.swift).
        case size(SizeExpectation)
    }
    public let kind: Kind
    public let conditions: [Condition]
    public let location: SourceLocation
    public let text: String   // the expectation as written, for messages and reports
}

public struct SweepAxis: Sendable, Equatable {
    public let path: String
    public let values: [Value]
    public let location: SourceLocation
}

/// A named arm of an interventions study: a set of key overrides applied to every sweep point, compared
/// with a matched arm (`vs`, default the study's baseline) in the interventions table.
public struct Arm: Sendable, Equatable {
    public let name: String
    /// Dotted trial keys and their values, as written.
    public let overrides: [(path: String, value: Value)]
    /// The arm this one is compared with (nil for the baseline itself).
    public let vs: String?
    /// The published figure this arm is set beside (free text, with its source), if any.
    public let published: String?
    public let location: SourceLocation

    public static func == (a: Arm, b: Arm) -> Bool {
        a.name == b.name && a.vs == b.vs && a.published == b.published && a.overrides.elementsEqual(b.overrides) { $0.path == $1.path && $0.value == $1.value }
    }
    /// Reserved words of an arm's body (everything else is a dotted trial key).
    static let fields = ["vs", "published"]
}

public struct Study: Sendable {
    public let file: String
    public let name: String
    public let question: String
    public let description: String
    public let axis: String
    public let profile: String?
    public let profileNames: [String]
    /// Every schema key, resolved: defaults, then the file, then the profile.
    public let values: [String: Value]
    /// Where each key that the file or profile set came from.
    public let locations: [String: SourceLocation]
    public let sweep: [SweepAxis]
    /// The arms (empty for a study without `arms:`), crossed with the sweep, slowest first; each trial's
    /// point starts with ("arm", name).
    public let arms: [Arm]
    /// The arm the others are compared with unless they name their own (`baseline:`, default the first).
    public let baseline: String?
    public let seeds: Int
    public let events: [EventSpec]
    public let expectations: [Expectation]
    /// The task kind, family and fit of every trial.
    public let shape: TrialShape

    public func value(_ path: String) -> Value { values[path]! }
    /// Whether the study is marked as not reproducing its claim here.
    public var notReproduced: Bool { KeyValues(values: values).string(StudyKeys.status) == "not_reproduced" }
    /// Whether the size axis sweeps the training examples at a fixed model (`size_by: samples`).
    public var sampleWise: Bool { KeyValues(values: values).string(StudyKeys.sizeBy) == "samples" }
    /// Checkpoint interval in steps (0: never).
    public var checkpointEvery: Int { KeyValues(values: values).int(TrainingKeys.checkpointEvery) }
}

// MARK: - Parsing

public enum StudyParser {
    /// Reads, parses, validates and resolves a study file, applying `profile` if given.
    public static func load(path: String, profile: String? = nil) throws -> Study {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StudyError(nil, "no study file at '\(path)'", hint: "run 'descent list' to see the shipped studies in studies/")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StudyError(SourceLocation(file: path, line: 1, column: 1), "cannot read the file as UTF-8 text")
        }
        return try parse(text, file: path, profile: profile)
    }

    public static func parse(_ text: String, file: String, profile: String? = nil) throws -> Study {
        var p = Parser(file: file)
        return try p.parse(text, profile: profile)
    }
}

struct Parser {
    let file: String
    var values: [String: Value] = Dictionary(uniqueKeysWithValues: Schema.keys.map { ($0.path, $0.defaultValue) })
    var locations: [String: SourceLocation] = [:]
    var sweep: [SweepAxis] = []
    var arms: [Arm] = []
    var baseline: (String, SourceLocation)? = nil
    var events: [String: (EventSpec, SourceLocation)] = [:]
    var eventsGiven = false
    /// Events that follow another (`after:`), with where it was written.
    var afterNames: [String: (String, SourceLocation)] = [:]
    var eventOrder: [String] = []
    var expectations: [(Node, SourceLocation)] = []
    var profiles: [String: (Node, SourceLocation)] = [:]
    var profileOrder: [String] = []

    init(file: String) { self.file = file }

    func loc(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    func fail(_ node: Node, _ message: String, hint: String? = nil) -> StudyError { StudyError(loc(node), message, hint: hint) }

    mutating func parse(_ text: String, profile: String?) throws -> Study {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw yamlError(e)
        }
        guard let root else {
            throw StudyError(SourceLocation(file: file, line: 1, column: 1), "the study file is empty", hint: "a study needs at least a task; see studies/grokking-modular-addition.yaml")
        }
        try rejectUnsupportedYAML(root)
        guard case .mapping(let map) = root else {
            throw fail(root, "a study file must be a mapping of keys (task:, model:, ...), not a \(kind(root))")
        }
        for (k, v) in map where (try? keyString(k)) == "axis" && scalar(v)?.0 == "contrast" {
            throw fail(v, "this is a contrast study (axis: contrast), which names two studies rather than trials",
                       hint: "run it with 'descent run \(file)'; 'descent stats' and 'descent slurm' take the size or steps study it names")
        }
        for (k, v) in map {
            let key = try keyString(k)
            switch key {
            case "sweep": try parseSweep(v)
            case "arms": try parseArms(v)
            case "baseline":
                guard let (t, _) = scalar(v) else { throw fail(v, "baseline: expected the name of an arm") }
                baseline = (t, loc(v))
            case "profiles": try collectProfiles(v)
            case "events": try parseEvents(v); eventsGiven = true
            case "expect":
                guard case .sequence(let seq) = v else { throw fail(v, "expect: must be a list of expectations", hint: "write each expectation as '- { event: generalization, reached_in_fraction_of_trials: 0.8 }'") }
                for item in seq { expectations.append((item, loc(item))) }
            default: try assign(key, v, prefix: "", at: k)
            }
        }
        // Memorization and generalization unless the study says otherwise (`events: {}` for none, as a
        // regression trained over steps, which has no accuracy to reach).
        if events.isEmpty && !eventsGiven {
            addDefaultEvents()
        }
        // Every profile is validated, used or not, so that a typo never waits for the day it is used.
        var chosen: String? = nil
        for name in profileOrder {
            var trial = self
            try trial.applyProfile(name)
            try trial.checkCombinations()
            try trial.checkArms()
            if name == profile { chosen = name; self = trial }
        }
        if let profile, chosen == nil {
            throw StudyError(SourceLocation(file: file, line: 1, column: 1), "the study has no profile '\(profile)'",
                             hint: profileOrder.isEmpty ? "this study defines no profiles; run it without --profile" : "available profiles: " + profileOrder.joined(separator: ", "))
        }
        try checkCombinations()
        try checkArms()
        let exps = try expectations.map { try parseExpectation($0.0) }
        try checkNoiseMetrics(exps)
        let stop = KeyValues(values: values).string(TrainingKeys.stopAfter)
        if stop != "never" && events[stop] == nil {
            throw StudyError(locations[TrainingKeys.stopAfter.path] ?? SourceLocation(file: file, line: 1, column: 1),
                             "training.stop_after names the event '\(stop)', which the study does not define",
                             hint: "use 'never' or one of: " + eventOrder.joined(separator: ", "))
        }
        let fileName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = values["name"]!.asString!.isEmpty ? fileName : values["name"]!.asString!
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".") else {
            throw StudyError(locations["name"], "the study name '\(name)' cannot name a results folder", hint: "use letters, digits, '-', '_' and '.' only, not starting with '.'")
        }
        return Study(file: file, name: name, question: values["question"]!.asString!, description: values["description"]!.asString!,
                     axis: values["axis"]!.asString!, profile: chosen, profileNames: profileOrder, values: values, locations: locations,
                     sweep: sweep, arms: arms, baseline: arms.isEmpty ? nil : (baseline?.0 ?? arms[0].name), seeds: values["seeds"]!.asInt!, events: eventOrder.map { events[$0]!.0 }, expectations: exps,
                     shape: Schema.shape(KeyValues(values: values))!)
    }

    /// Combinations that make no sense (the family says which) and keys set that do not configure this
    /// study's trials, each reported at its place.
    func checkCombinations() throws {
        let draft = StudyDraft(file: file, values: values, locations: locations, sweep: sweep)
        guard let shape = Schema.shape(draft.keys) else { return }   // kind and family are checked choices
        try checkSizeBy(draft)
        try shape.family.check(draft)
        if shape.fit == .optimizer { for t in Registry.transforms { try t.check(draft) }; for p in Registry.probes { try p.check(draft) } }
        let applicable = Schema.applicable(shape)
        let paths = Set(applicable.map(\.path))
        let set = locations.map { ($0.key, $0.value) } + sweep.map { ($0.path, $0.location) }
        for (path, loc) in set.sorted(by: { $0.0 < $1.0 }) where Schema.byPath[path]?.trialKey == true && !paths.contains(path) {
            let fit = shape.fit == .closedForm ? " (fitted in closed form)" : shape.fit == .gradientDescent ? " (trained by gradient descent)" : ""
            throw StudyError(loc, "\(path) does not apply to model.family '\(shape.familyName)' with task.kind '\(shape.taskName)'\(fit)",
                             hint: "remove it; keys of this kind and family: " + applicable.map(\.path).filter { $0 != StudyKeys.seed.path }.joined(separator: ", "))
        }
    }

    mutating func addDefaultEvents() {
        for (n, m) in [("memorization", Metric.trainAccuracy), ("generalization", Metric.valAccuracy)] {
            events[n] = (EventSpec(name: n, rule: EventRule(metric: m, atLeast: 0.99)), SourceLocation(file: file, line: 1, column: 1))
            eventOrder.append(n)
        }
    }

    func yamlError(_ e: YamlError) -> StudyError {
        switch e {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _), .composer(let ctx, let problem, let mark, _):
            let where_ = ctx.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return StudyError(SourceLocation(file: file, line: mark.line, column: mark.column), "YAML syntax: \(problem)\(where_)",
                              hint: "check the indentation and that every mapping entry is 'key: value'")
        case .duplicatedKeysInMapping(let dups, let ctx):
            return StudyError(SourceLocation(file: file, line: ctx.mark.line, column: ctx.mark.column), "duplicated keys: \(dups.joined(separator: ", "))", hint: "give each key once")
        case .reader(let problem, _, _, _):
            return StudyError(SourceLocation(file: file, line: 1, column: 1), "cannot read the YAML: \(problem)")
        default:
            return StudyError(SourceLocation(file: file, line: 1, column: 1), "YAML: \(e)")
        }
    }

    func kind(_ n: Node) -> String {
        switch n {
        case .scalar: return "single value"
        case .mapping: return "mapping"
        case .sequence: return "list"
        case .alias: return "alias"
        }
    }

    /// A tag outside YAML's core schema (`!!python/object`, a local `!tag`) and a merge key (`<<:`) are
    /// refused at their place rather than ignored or taken for a key.
    func rejectUnsupportedYAML(_ n: Node) throws {
        let core = Set(["", "!"] + ["str", "seq", "map", "bool", "float", "null", "int", "timestamp"].map { "tag:yaml.org,2002:" + $0 })
        let tag = n.tag.rawValue
        if !core.contains(tag) {
            let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
            throw fail(n, "the YAML tag '\(shown)' is not supported", hint: "a study file holds plain numbers, strings, lists and mappings; remove the tag")
        }
        switch n {
        case .mapping(let m):
            for (k, v) in m {
                if case .scalar(let s) = k, s.string == "<<", s.style == .plain {
                    throw fail(k, "YAML merge keys ('<<:') are not supported", hint: "write the keys out")
                }
                try rejectUnsupportedYAML(k); try rejectUnsupportedYAML(v)
            }
        case .sequence(let seq): for x in seq { try rejectUnsupportedYAML(x) }
        default: break
        }
    }

    func keyString(_ k: Node) throws -> String {
        guard case .scalar(let s) = k else { throw fail(k, "a key must be a plain word, not a \(kind(k))") }
        return s.string
    }

    func scalar(_ n: Node) -> (String, Bool)? {
        guard case .scalar(let s) = n else { return nil }
        return (s.string, s.style == .singleQuoted || s.style == .doubleQuoted)
    }

    /// Converts a node to a value of the key's type, with the key named in errors.
    func convert(_ spec: KeySpec, _ n: Node) throws -> Value {
        if case .doubles = spec.type, case .sequence(let seq) = n {
            var items: [Value] = []
            for item in seq {
                guard let (t, q) = scalar(item), !q, let d = Double(t), d.isFinite else {
                    throw fail(item, "\(spec.path): expected a number in the list, got \(scalar(item).map { "'\($0.0)'" } ?? "a \(kind(item))")")
                }
                items.append(.double(d))
            }
            switch spec.type.check(.list(items)) {
            case .ok(let v): return v
            case .bad(let m): throw fail(n, "\(spec.path): \(m)", hint: spec.doc)
            }
        }
        guard let (text, quoted) = scalar(n) else {
            throw fail(n, "\(spec.path): expected \(spec.type.name), got a \(kind(n))", hint: spec.doc)
        }
        switch spec.type.convert(text, quoted: quoted) {
        case .ok(let v): return v
        case .bad(let m): throw fail(n, "\(spec.path): \(m)", hint: spec.doc)
        }
    }

    /// Sets a key (or a section of keys) from the file.
    mutating func assign(_ key: String, _ v: Node, prefix: String, at keyNode: Node? = nil) throws {
        let path = prefix.isEmpty ? key : prefix + "." + key
        if Schema.sections.contains(path) {
            guard case .mapping(let m) = v else {
                throw fail(v, "\(path): expected a mapping of keys, got a \(kind(v))", hint: "write '\(path):' followed by indented 'key: value' lines")
            }
            for (k2, v2) in m { try assign(try keyString(k2), v2, prefix: path, at: k2) }
            return
        }
        guard let spec = Schema.byPath[path] else {
            let candidates = Schema.keys.map(\.path).filter { prefix.isEmpty || $0.hasPrefix(prefix + ".") }
                + (prefix.isEmpty ? Array(Schema.structural) + Schema.sections.filter { !$0.contains(".") } : [])
            let hint = Schema.suggestion(for: path, among: candidates).map { "did you mean '\($0)'?" }
                ?? "known keys here: " + candidates.map { prefix.isEmpty ? $0 : String($0.dropFirst(prefix.count + 1)) }.sorted().joined(separator: ", ")
            throw StudyError(loc(keyNode ?? v), "unknown key '\(path)'", hint: hint)
        }
        values[path] = try convert(spec, v)
        locations[path] = loc(v)
    }

    mutating func parseSweep(_ v: Node) throws {
        guard case .mapping(let m) = v else { throw fail(v, "sweep: expected a mapping of key: [values]", hint: "for example 'sweep: { task.train_fraction: [0.3, 0.5, 0.7] }'") }
        for (k, list) in m {
            let path = try keyString(k)
            try addSweep(path, list, at: k)
        }
    }

    mutating func addSweep(_ path: String, _ list: Node, at k: Node) throws {
        guard let spec = Schema.byPath[path] else {
            throw fail(k, "sweep: unknown key '\(path)'", hint: Schema.suggestion(for: path, among: Schema.keys.map(\.path)).map { "did you mean '\($0)'?" } ?? "sweep keys are dotted paths such as task.train_fraction or model.width")
        }
        guard spec.trialKey, path != "seed" else {
            throw fail(k, "sweep: '\(path)' cannot be swept", hint: path == "seed" ? "use 'seeds: N' for repetitions" : "only keys that configure a trial can be swept")
        }
        guard case .sequence(let seq) = list, !seq.isEmpty else {
            throw fail(list, "sweep: '\(path)' needs a non-empty list of values", hint: "for example '\(path): [\(spec.defaultValue)]'")
        }
        var vals: [Value] = []
        for item in seq {
            let val = try convert(spec, item)
            if vals.contains(val) { throw fail(item, "sweep: '\(path)' lists \(val) twice") }
            vals.append(val)
        }
        sweep.removeAll { $0.path == path }
        sweep.append(SweepAxis(path: path, values: vals, location: loc(list)))
    }

    mutating func parseArms(_ v: Node) throws {
        guard case .mapping(let m) = v, !m.isEmpty else {
            throw fail(v, "arms: expected a mapping of arm names to key overrides", hint: "for example 'arms: { none: { optimizer.weight_decay: 0 }, weight_decay: { optimizer.weight_decay: 1 } }'")
        }
        for (k, body) in m {
            let name = try keyString(k)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw fail(k, "arm name '\(name)' must be a word of letters, digits and '_'")
            }
            guard case .mapping(let fields) = body else {
                throw fail(body, "arm '\(name)': expected a mapping of key: value overrides (or {} for none)")
            }
            var overrides: [(path: String, value: Value)] = [], vs: String? = nil, published: String? = nil
            for (fk, fv) in fields {
                let path = try keyString(fk)
                if path == "vs" || path == "published" {
                    guard let (t, _) = scalar(fv), !t.isEmpty else { throw fail(fv, "arm '\(name)': \(path) must be a single value") }
                    if path == "vs" { vs = t } else { published = t }
                    continue
                }
                guard let spec = Schema.byPath[path] else {
                    throw fail(fk, "arm '\(name)': unknown key '\(path)'", hint: Schema.suggestion(for: path, among: Schema.keys.map(\.path) + Arm.fields).map { "did you mean '\($0)'?" } ?? "an arm sets dotted trial keys such as optimizer.weight_decay, and optionally vs and published")
                }
                guard spec.trialKey, path != "seed", path != TaskKeys.kind.path, path != ModelKeys.family.path else {
                    throw fail(fk, "arm '\(name)': '\(path)' cannot differ between arms", hint: "arms change how one model is trained; the task kind, the model family and the seed are the study's")
                }
                overrides.append((path, try convert(spec, fv)))
                locations["arms.\(name).\(path)"] = loc(fv)
            }
            guard !arms.contains(where: { $0.name == name }) else { throw fail(k, "arms: '\(name)' is given twice") }
            arms.append(Arm(name: name, overrides: overrides, vs: vs, published: published, location: loc(k)))
        }
    }

    /// A profile's `arms: [names]`: keeps those arms (the baseline and every kept arm's `vs` among them).
    mutating func selectArms(_ v: Node, profile: String) throws {
        guard case .sequence(let seq) = v, !seq.isEmpty else { throw fail(v, "profile '\(profile)': arms must be a non-empty list of arm names") }
        var keep: [String] = []
        for item in seq {
            guard let (t, _) = scalar(item), arms.contains(where: { $0.name == t }) else {
                throw fail(item, "profile '\(profile)': no arm '\(scalar(item)?.0 ?? "?")'", hint: "arms of this study: " + arms.map(\.name).joined(separator: ", "))
            }
            keep.append(t)
        }
        let base = baseline?.0 ?? arms.first?.name
        for name in keep {
            let arm = arms.first { $0.name == name }!
            for needed in [arm.vs ?? base].compactMap({ $0 }) where needed != name && !keep.contains(needed) {
                throw fail(v, "profile '\(profile)': arm '\(name)' is compared with '\(needed)', which the profile leaves out", hint: "keep '\(needed)' too")
            }
        }
        arms = arms.filter { keep.contains($0.name) }
    }

    /// The arms' rules: a known baseline and `vs`, no key both swept and set by an arm, no two arms
    /// alike, and every arm a valid study of the same shape.
    func checkArms() throws {
        guard !arms.isEmpty else {
            if let (b, l) = baseline { throw StudyError(l, "baseline: '\(b)' names an arm, but the study has no arms:") }
            return
        }
        let names = arms.map(\.name)
        if let (b, l) = baseline, !names.contains(b) { throw StudyError(l, "baseline: no arm '\(b)'", hint: "arms: " + names.joined(separator: ", ")) }
        var seen: [String: String] = [:]
        for arm in arms {
            if let vs = arm.vs, !names.contains(vs) || vs == arm.name {
                throw StudyError(arm.location, "arm '\(arm.name)': vs: '\(vs)' is not another arm", hint: "arms: " + names.joined(separator: ", "))
            }
            for o in arm.overrides where sweep.contains(where: { $0.path == o.path }) {
                throw StudyError(locations["arms.\(arm.name).\(o.path)"] ?? arm.location, "arm '\(arm.name)' sets \(o.path), which the sweep also sets", hint: "set it in every arm or sweep it, not both")
            }
            var draft = self
            for o in arm.overrides { draft.values[o.path] = o.value; draft.locations[o.path] = locations["arms.\(arm.name).\(o.path)"] }
            draft.arms = []
            guard let shape = Schema.shape(KeyValues(values: values)), Schema.shape(KeyValues(values: draft.values))?.fit == shape.fit else {
                throw StudyError(arm.location, "arm '\(arm.name)' changes how the model is fitted", hint: "arms must train the study's model the same way (an optimizer, gradient descent or a closed form)")
            }
            try draft.checkCombinations()
            var c: [String: Value] = [:]
            for spec in Schema.applicable(shape) { c[spec.path] = draft.values[spec.path]! }
            Regularization.resolve(&c)
            let key = nestedJSON(c).render(indent: nil)
            if let other = seen[key] { throw StudyError(arm.location, "arms '\(other)' and '\(arm.name)' train the same model", hint: "give each arm a different setting, or remove one") }
            seen[key] = arm.name
        }
    }

    mutating func collectProfiles(_ v: Node) throws {
        guard case .mapping(let m) = v else { throw fail(v, "profiles: expected a mapping of profile names to overrides", hint: "for example 'profiles: { ci: { task.modulus: 31, seeds: 2 } }'") }
        for (k, body) in m {
            let name = try keyString(k)
            guard case .mapping = body else { throw fail(body, "profile '\(name)': expected a mapping of key: value overrides") }
            profiles[name] = (body, loc(k))
            profileOrder.append(name)
        }
    }

    mutating func applyProfile(_ name: String) throws {
        guard let (body, _) = profiles[name], case .mapping(let m) = body else { return }
        for (k, v) in m {
            let path = try keyString(k)
            if path.hasPrefix("sweep.") {
                try addSweep(String(path.dropFirst(6)), v, at: k)
                continue
            }
            if path == "arms" {
                try selectArms(v, profile: name)
                continue
            }
            if Schema.descriptive.contains(path) || Schema.structural.contains(path) {
                throw fail(k, "profile '\(name)': '\(path)' cannot be overridden by a profile", hint: "profiles override configuration keys, 'seeds', or 'sweep.<key>' lists")
            }
            if case .mapping = v, Schema.sections.contains(path) {
                try assign(path, v, prefix: "")
                continue
            }
            guard Schema.byPath[path] != nil else {
                throw fail(k, "profile '\(name)': unknown key '\(path)'", hint: Schema.suggestion(for: path, among: Schema.keys.map(\.path)).map { "did you mean '\($0)'?" } ?? "profiles use dotted keys such as task.modulus or training.max_steps")
            }
            try assign(path, v, prefix: "")
            // A profile that fixes a swept key removes that axis.
            sweep.removeAll { $0.path == path }
        }
    }

    mutating func parseEvents(_ v: Node) throws {
        guard case .mapping(let m) = v else { throw fail(v, "events: expected a mapping of event names", hint: "for example 'events: { generalization: { metric: val_accuracy, at_least: 0.99 } }'") }
        for (k, body) in m {
            let name = try keyString(k)
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty, name != "never" else {
                throw fail(k, "event name '\(name)' must be a word of letters, digits and '_'")
            }
            guard case .mapping(let fields) = body else { throw fail(body, "event '\(name)': expected { metric: ..., at_least: ... }") }
            var metric: Metric? = nil, atLeast: Double? = nil, atMost: Double? = nil
            for (fk, fv) in fields {
                let f = try keyString(fk)
                switch f {
                case "after":
                    guard let (t, q) = scalar(fv), !t.isEmpty || q else { throw fail(fv, "event '\(name)': after must name another event") }
                    afterNames[name] = (t, loc(fv))
                case "metric":
                    guard let (t, _) = scalar(fv), let mm = Metric(rawValue: t) else {
                        throw fail(fv, "event '\(name)': metric must be one of \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    metric = mm
                case "at_least", "at_most":
                    guard let (t, q) = scalar(fv), !q, let d = Double(t), d.isFinite else { throw fail(fv, "event '\(name)': \(f) must be a number") }
                    if f == "at_least" { atLeast = d } else { atMost = d }
                default:
                    throw fail(fk, "event '\(name)': unknown key '\(f)'", hint: "an event has metric, at_least or at_most, and optionally after (another event's name)")
                }
            }
            guard let metric else { throw fail(body, "event '\(name)': metric is missing", hint: "for example 'metric: val_accuracy'") }
            guard atLeast != nil || atMost != nil else { throw fail(body, "event '\(name)': give at_least or at_most") }
            if events[name] == nil { eventOrder.append(name) }
            events[name] = (EventSpec(name: name, rule: EventRule(metric: metric, atLeast: atLeast, atMost: atMost)), loc(k))
        }
        // `after` names an event of the same block, which has no `after` of its own (one level).
        for (name, (other, at)) in afterNames.sorted(by: { $0.key < $1.key }) {
            guard let first = events[other]?.0, other != name else {
                throw StudyError(at, "event '\(name)': after: '\(other)' is not another event of the study", hint: "events: " + eventOrder.filter { $0 != name }.joined(separator: ", "))
            }
            guard afterNames[other] == nil else {
                throw StudyError(at, "event '\(name)': after: '\(other)' has an after of its own", hint: "an event may follow one event that has none")
            }
            var rule = events[name]!.0.rule
            rule.after = first.rule.condition
            events[name]!.0 = EventSpec(name: name, rule: rule, after: other)
        }
    }

    /// `size_by: samples` needs the size axis, a task that draws n_train examples, and a sweep of task.n_train.
    func checkSizeBy(_ draft: StudyDraft) throws {
        guard draft.keys.string(StudyKeys.sizeBy) == "samples" else { return }
        let at = draft.at(StudyKeys.sizeBy)
        guard draft.keys.string(StudyKeys.axis) == "size" else {
            throw StudyError(at, "size_by: samples orders the trials of a size-axis study by task.n_train; this study has axis 'steps'",
                             hint: "set 'axis: size', or remove size_by (a steps study may sweep task.n_train as any other key)")
        }
        let drawing = Registry.tasks.filter { $0.keys.contains { $0.path == TaskKeys.nTrain.path } }.map { $0.name }
        let kind = draft.keys.string(TaskKeys.kind)
        guard drawing.contains(kind) else {
            throw StudyError(at, "size_by: samples sweeps task.n_train, which task.kind '\(kind)' does not have",
                             hint: "use a task that draws its training examples: " + drawing.joined(separator: ", "))
        }
        guard let axis = draft.sweep.first(where: { $0.path == TaskKeys.nTrain.path }), axis.values.count >= 2 else {
            throw StudyError(draft.at(TaskKeys.nTrain, or: StudyKeys.sizeBy), "size_by: samples needs a sweep of task.n_train over at least 2 values", hint: "add 'sweep: { task.n_train: [100, 200, 400, 800] }'")
        }
    }

    /// Metrics that exist only with label noise on an operation table (the corrupted and clean rows' accuracy) need it:
    /// in an event's rule or its `after`, an `at_event` expectation and a trend's y.
    func checkNoiseMetrics(_ exps: [Expectation]) throws {
        let noise = TaskKeys.labelNoise
        let taken = StudyDraft(file: file, values: values, locations: locations, sweep: sweep).values(of: noise)
            + arms.flatMap { $0.overrides.filter { $0.path == noise.path }.map(\.value) }
        let noisy = values[TaskKeys.kind.path] == .string(AlgorithmicTask.name) && taken.contains { ($0.asDouble ?? 0) > 0 }
        guard !noisy else { return }
        let why = "reads the accuracy on corrupted or clean training rows, which only an operation table with label noise has"
        let hint = "set task.label_noise above 0 (task.kind: algorithmic), or use train_accuracy"
        let used = events.values.filter { $0.0.rule.needsCorruptedRows }
        if let (e, at) = used.sorted(by: { $0.0.name < $1.0.name }).first { throw StudyError(at, "event '\(e.name)' \(why)", hint: hint) }
        for (e, (_, at)) in zip(exps, expectations) {
            switch e.kind {
            case .atEvent(_, let m, _, _, _) where m.needsCorruptedRows: throw StudyError(at, "at_event metric \(m.rawValue) \(why)", hint: hint)
            case .trend(_, let y, _, _) where Metric(rawValue: y)?.needsCorruptedRows == true: throw StudyError(at, "trend y = \(y) \(why)", hint: hint)
            default: continue
            }
        }
    }

    func fraction(_ n: Node, _ what: String) throws -> Double {
        guard let (t, q) = scalar(n), !q, let d = Double(t), d >= 0, d <= 1 else { throw fail(n, "\(what) must be a number in [0, 1]") }
        return d
    }

    func eventName(_ n: Node) throws -> String {
        guard let (t, _) = scalar(n) else { throw fail(n, "expected an event name") }
        guard events[t] != nil else {
            throw fail(n, "unknown event '\(t)'", hint: "events of this study: " + eventOrder.joined(separator: ", "))
        }
        return t
    }

    /// Every key an expectation may have (the kinds and their options).
    static let expectationKeys = ["event", "reached_in_fraction_of_trials", "order", "in_fraction_of_trials", "at_event",
                                  "trend", "direction", "confidence", "where"]

    func parseExpectation(_ node: Node) throws -> Expectation {
        guard case .mapping(let m) = node else { throw fail(node, "an expectation must be a mapping such as { event: generalization, reached_in_fraction_of_trials: 0.8 }") }
        var fields: [String: Node] = [:]
        for (k, v) in m { fields[try keyString(k)] = v }
        var conditions: [Condition] = []
        if let w = fields.removeValue(forKey: "where") {
            guard case .mapping(let wm) = w else { throw fail(w, "where: expected a mapping such as { task.train_fraction: \">= 0.5\" }") }
            for (k, v) in wm {
                let path = try keyString(k)
                guard let (t, _) = scalar(v) else { throw fail(v, "where: expected a comparison such as \">= 0.5\"") }
                if path == "arm" {
                    let name = t.trimmingCharacters(in: .whitespaces)
                    guard arms.contains(where: { $0.name == name }) else {
                        throw fail(v, "where: no arm '\(name)'", hint: arms.isEmpty ? "the study has no arms:" : "arms: " + arms.map(\.name).joined(separator: ", "))
                    }
                    conditions.append(Condition(path: path, op: .eq, value: .string(name)))
                    continue
                }
                guard let spec = Schema.byPath[path] else { throw fail(k, "where: unknown key '\(path)'") }
                var op = Condition.Op.eq
                var rest = t.trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: "≥", with: ">=").replacingOccurrences(of: "≤", with: "<=").replacingOccurrences(of: "≠", with: "!=")
                for candidate in [Condition.Op.ge, .le, .ne, .eq, .gt, .lt] where rest.hasPrefix(candidate.rawValue) {
                    op = candidate; rest = String(rest.dropFirst(candidate.rawValue.count)).trimmingCharacters(in: .whitespaces); break
                }
                let value: Value
                switch spec.type.convert(rest, quoted: false) {
                case .ok(let v2): value = v2
                case .bad(let msg): throw fail(v, "where: \(path): \(msg)")
                }
                conditions.append(Condition(path: path, op: op, value: value))
            }
        }
        for (k, v) in m {
            let key = try keyString(k)
            if !Parser.expectationKeys.contains(key) && !SizeExpectation.keys.contains(key) {
                let hint = Schema.suggestion(for: key, among: Parser.expectationKeys + SizeExpectation.keys).map { "did you mean '\($0)'?" }
                    ?? "an expectation has one of event, order, at_event, trend, with their options"
                throw fail(k, "expectation: unknown key '\(key)'", hint: hint)
            }
            _ = v
        }
        let text = describe(node)
        func frac(_ key: String) throws -> Double {
            guard let n = fields.removeValue(forKey: key) else { return 1 }
            return try fraction(n, key)
        }
        func finish(_ kind: Expectation.Kind) throws -> Expectation {
            if let (k, _) = fields.first {
                throw fail(node, "expectation: unknown key '\(k)'", hint: "see the expect keys in README.md")
            }
            return Expectation(kind: kind, conditions: conditions, location: loc(node), text: text)
        }
        if let e = fields.removeValue(forKey: "event") {
            let name = try eventName(e)
            guard let f = fields.removeValue(forKey: "reached_in_fraction_of_trials") else {
                throw fail(node, "expectation on event '\(name)' needs reached_in_fraction_of_trials")
            }
            return try finish(.reached(event: name, fraction: try fraction(f, "reached_in_fraction_of_trials")))
        }
        if let o = fields.removeValue(forKey: "order") {
            guard case .sequence(let seq) = o, seq.count == 2 else { throw fail(o, "order: expected a list of two event names, such as [memorization, generalization]") }
            let a = try eventName(seq[0]), b = try eventName(seq[1])
            return try finish(.order(first: a, then: b, fraction: try frac("in_fraction_of_trials")))
        }
        if let at = fields.removeValue(forKey: "at_event") {
            guard case .mapping(let am) = at else { throw fail(at, "at_event: expected { event: ..., metric: ..., at_most: ... }") }
            var event: String? = nil, metric: Metric? = nil, lo: Double? = nil, hi: Double? = nil
            for (k, v) in am {
                switch try keyString(k) {
                case "event": event = try eventName(v)
                case "metric":
                    guard let (t, _) = scalar(v), let mm = Metric(rawValue: t) else { throw fail(v, "at_event: metric must be one of \(Metric.allCases.map(\.rawValue).joined(separator: ", "))") }
                    metric = mm
                case "at_least", "at_most":
                    guard let (t, q) = scalar(v), !q, let d = Double(t) else { throw fail(v, "at_event: bounds must be numbers") }
                    if try keyString(k) == "at_least" { lo = d } else { hi = d }
                default: throw fail(k, "at_event: unknown key '\(try keyString(k))'", hint: "at_event has event, metric, at_least or at_most")
                }
            }
            guard let event, let metric, lo != nil || hi != nil else { throw fail(at, "at_event needs event, metric and at_least or at_most") }
            return try finish(.atEvent(event: event, metric: metric, atLeast: lo, atMost: hi, fraction: try frac("in_fraction_of_trials")))
        }
        if let t = fields.removeValue(forKey: "trend") {
            guard case .mapping(let tm) = t else { throw fail(t, "trend: expected { x: <swept key>, y: <event>_step }") }
            var x: String? = nil, y: String? = nil
            for (k, v) in tm {
                let key = try keyString(k)
                guard let (s, _) = scalar(v) else { throw fail(v, "trend: \(key) must be a name") }
                if key == "x" { x = s } else if key == "y" { y = s } else { throw fail(k, "trend: unknown key '\(key)'") }
            }
            guard let x, let y else { throw fail(t, "trend needs x and y") }
            guard sweep.contains(where: { $0.path == x }) else { throw fail(t, "trend: x = '\(x)' is not a swept key", hint: "swept keys: " + sweep.map(\.path).joined(separator: ", ")) }
            let yEvent = y.hasSuffix("_step") ? String(y.dropLast(5)) : y
            guard events[yEvent] != nil || Metric(rawValue: y) != nil else { throw fail(t, "trend: y = '\(y)' is neither <event>_step nor a metric") }
            let dir = fields.removeValue(forKey: "direction").flatMap { scalar($0)?.0 } ?? ""
            guard dir == "increasing" || dir == "decreasing" else { throw fail(node, "trend: direction must be increasing or decreasing") }
            let conf = try fields.removeValue(forKey: "confidence").map { try fraction($0, "confidence") } ?? 0.95
            return try finish(.trend(x: x, y: y, direction: dir, confidence: conf))
        }
        if let kind = try parseSizeExpectation(&fields, node) { return try finish(.size(kind)) }
        throw fail(node, "an expectation needs one of event, order, at_event, trend or a size-axis kind (\(SizeExpectation.keys.joined(separator: ", ")))")
    }

    /// The expectation as one line of flow YAML, for messages.
    func describe(_ n: Node) -> String {
        switch n {
        case .scalar(let s): return s.string
        case .sequence(let seq): return "[" + seq.map(describe).joined(separator: ", ") + "]"
        case .mapping(let m): return "{ " + m.map { "\(describe($0.key)): \(describe($0.value))" }.joined(separator: ", ") + " }"
        case .alias: return "*alias"
        }
    }
}

// MARK: - Contrast studies

/// A contrast study: one size-axis study and one steps-axis study (and optionally an epoch-wise steps
/// study as the bridge), run with their own results folders and reported side by side.
///
/// ```yaml
/// axis: contrast
/// size: studies/double-descent-mlp-mnist1d.yaml
/// steps: studies/grokking-modular-addition.yaml
/// bridge: studies/epochwise-double-descent.yaml     # optional
/// more_data: studies/grokking-vs-fraction.yaml       # optional: a study that sweeps the amount of data
/// profiles: { ci: { size: ci, steps: ci } }          # a name maps to each study's profile (default: the same name)
/// expect:
///   - { overfitting: both }                          # size: interior peak at a threshold; steps: memorization reached
///   - { recovery: both }                             # size: peak / largest model > 1 (interval); steps: generalization reached
/// ```
public struct ContrastStudy: Sendable {
    public enum Side: String, Sendable, CaseIterable { case size, steps, both }
    public struct Expectation: Sendable {
        public enum Kind: String, Sendable { case overfitting, recovery }
        public let kind: Kind
        public let side: Side
        public let location: SourceLocation
        public let text: String
    }

    public let file: String
    public let name: String
    public let question: String
    public let profile: String?
    public let profileNames: [String]
    public let size: Study
    public let steps: Study
    public let bridge: Study?
    /// A study of either axis that sweeps the amount of training data (task.train_fraction or task.n_train).
    public let moreData: Study?
    public let expectations: [Expectation]
    /// `status: not_reproduced`: the contrast's gate is known to fail here (its description says by how much); its run still exits 1.
    public let notReproduced: Bool

    /// Whether the file at `path` declares `axis: contrast` (false when it cannot be read or parsed:
    /// the study parser then reports the problem).
    public static func isContrast(path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let root = try? Yams.compose(yaml: text),
              case .mapping(let m) = root else { return false }
        return m.contains { k, v in k.string == "axis" && v.string == "contrast" }
    }

    /// Reads a contrast study and the studies it names, with the profile each gets under `profile`.
    public static func load(path: String, profile: String? = nil) throws -> ContrastStudy {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StudyError(nil, "cannot read the contrast study '\(path)'", hint: "check the path; shipped studies are in studies/")
        }
        return try parse(text, file: path, profile: profile)
    }

    public static func parse(_ text: String, file: String, profile: String?) throws -> ContrastStudy {
        let p = Parser(file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError { throw p.yamlError(e) }
        if let root { try p.rejectUnsupportedYAML(root) }
        guard let root, case .mapping(let map) = root else {
            throw StudyError(SourceLocation(file: file, line: 1, column: 1), "a contrast study must be a mapping with axis: contrast, size: and steps:")
        }
        var name = "", question = ""
        var notReproduced = false
        var paths: [String: (String, Node)] = [:]
        var profiles: [String: [String: String]] = [:]
        var profileOrder: [String] = []
        var expectNodes: [Node] = []
        for (k, v) in map {
            let key = try p.keyString(k)
            switch key {
            case "axis": break
            case "status":
                guard let (t, _) = p.scalar(v), ["reproduced", "not_reproduced"].contains(t) else { throw p.fail(v, "status: expected reproduced or not_reproduced") }
                notReproduced = t == "not_reproduced"
            case "name", "question", "description":
                guard let (t, _) = p.scalar(v) else { throw p.fail(v, "\(key): expected text") }
                if key == "name" { name = t } else if key == "question" { question = t }
            case "size", "steps", "bridge", "more_data":
                guard let (t, _) = p.scalar(v), !t.isEmpty else { throw p.fail(v, "\(key): expected the path of a study file", hint: "for example '\(key): studies/\(key == "size" ? "double-descent-mlp-mnist1d" : "grokking-modular-addition").yaml'") }
                paths[key] = (t, v)
            case "profiles":
                guard case .mapping(let pm) = v else { throw p.fail(v, "profiles: expected a mapping such as { ci: { size: ci, steps: ci } }") }
                for (pk, pv) in pm {
                    let pname = try p.keyString(pk)
                    var sides: [String: String] = [:]
                    if case .mapping(let sm) = pv {
                        for (sk, sv) in sm {
                            let side = try p.keyString(sk)
                            guard ["size", "steps", "bridge", "more_data"].contains(side) else { throw p.fail(sk, "profile '\(pname)': unknown key '\(side)'", hint: "a contrast profile names the profile of each study: size, steps, bridge, more_data") }
                            guard let (t, _) = p.scalar(sv) else { throw p.fail(sv, "profile '\(pname)': \(side) must be a profile name") }
                            sides[side] = t
                        }
                    } else if case .scalar(let sc) = pv, sc.string.isEmpty || sc.string == "null" || sc.string == "~" {
                    } else {
                        throw p.fail(pv, "profile '\(pname)': expected a mapping such as { size: ci, steps: ci }")
                    }
                    profiles[pname] = sides
                    profileOrder.append(pname)
                }
            case "expect":
                guard case .sequence(let seq) = v else { throw p.fail(v, "expect: must be a list such as [{ overfitting: both }, { recovery: both }]") }
                expectNodes = Array(seq)
            default:
                let known = ["name", "question", "description", "axis", "status", "size", "steps", "bridge", "more_data", "profiles", "expect"]
                throw p.fail(k, "unknown key '\(key)' in a contrast study", hint: Schema.suggestion(for: key, among: known).map { "did you mean '\($0)'?" } ?? "known keys: " + known.joined(separator: ", "))
            }
        }
        if let profile, profiles[profile] == nil {
            throw StudyError(SourceLocation(file: file, line: 1, column: 1), "the contrast study has no profile '\(profile)'",
                             hint: profileOrder.isEmpty ? "it defines no profiles; run it without --profile" : "available profiles: " + profileOrder.joined(separator: ", "))
        }
        func load(_ side: String, axis: String?) throws -> Study? {
            guard let (path, node) = paths[side] else {
                if side == "bridge" || side == "more_data" { return nil }
                throw StudyError(SourceLocation(file: file, line: 1, column: 1), "a contrast study needs '\(side):', the \(axis ?? side)-axis study to contrast")
            }
            // Relative paths: from the working directory (as the shipped studies are written), else from the contrast file's folder.
            let dir = (file as NSString).deletingLastPathComponent
            let candidates = [path, (dir as NSString).appendingPathComponent(path), ((dir as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)]
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw p.fail(node, "\(side): no study file at '\(path)'", hint: "paths are relative to the working directory or to the contrast study's folder")
            }
            if URL(fileURLWithPath: found).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath() {
                throw p.fail(node, "\(side): '\(path)' is this contrast study itself", hint: "name the \(axis ?? side)-axis study to contrast, such as studies/\(side == "size" ? "double-descent-mlp-mnist1d" : "grokking-modular-addition").yaml")
            }
            let sub = profile.map { profiles[$0]?[side] ?? $0 }
            let study = try StudyParser.load(path: found, profile: sub)
            if side == "more_data" {
                let keys = ["task.train_fraction", "task.n_train"]
                guard study.sweep.contains(where: { keys.contains($0.path) }) else {
                    throw p.fail(node, "more_data: '\(path)' does not sweep the amount of data", hint: "name a study that sweeps task.train_fraction or task.n_train, e.g. studies/grokking-vs-fraction.yaml")
                }
                return study
            }
            guard study.axis == axis else {
                throw p.fail(node, "\(side): '\(path)' has axis '\(study.axis)', not \(axis ?? "")", hint: side == "size" ? "name a study with 'axis: size' (double-descent-*.yaml)" : "name a study with 'axis: steps' (grokking-*.yaml, epochwise-double-descent.yaml)")
            }
            return study
        }
        let size = try load("size", axis: "size")!, steps = try load("steps", axis: "steps")!
        let bridge = try load("bridge", axis: "steps")
        let moreData = try load("more_data", axis: nil)
        var exps: [Expectation] = []
        for n in expectNodes {
            guard case .mapping(let em) = n, em.count == 1, let (k, v) = em.first.map({ ($0.key, $0.value) }) else {
                throw p.fail(n, "a contrast expectation is one key: { overfitting: both } or { recovery: size }")
            }
            let key = try p.keyString(k)
            guard let kind = Expectation.Kind(rawValue: key) else {
                throw p.fail(k, "unknown contrast expectation '\(key)'", hint: "overfitting (size: an interior peak at an interpolation threshold; steps: memorization reached) or recovery (size: the largest model below the peak; steps: generalization reached)")
            }
            guard let (t, _) = p.scalar(v), let side = Side(rawValue: t) else { throw p.fail(v, "\(key): expected size, steps or both") }
            exps.append(Expectation(kind: kind, side: side, location: p.loc(n), text: p.describe(n)))
        }
        let fileName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let resolved = name.isEmpty ? fileName : name
        guard resolved.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !resolved.hasPrefix(".") else {
            throw StudyError(SourceLocation(file: file, line: 1, column: 1), "the study name '\(resolved)' cannot name a results folder", hint: "use letters, digits, '-', '_' and '.' only, not starting with '.'")
        }
        return ContrastStudy(file: file, name: resolved, question: question, profile: profile, profileNames: profileOrder, size: size, steps: steps, bridge: bridge, moreData: moreData, expectations: exps,
                             notReproduced: notReproduced)
    }
}

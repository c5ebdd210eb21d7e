// The keys of a study: their types, ranges, defaults and one-line reasons, and how a YAML scalar
// becomes a value of a key's type. The keys themselves are declared by the registry files that own them
// (Registry/*.swift); Schema.keys is their union.

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
    /// Beyond its owner being part of the trial: when the key configures it (nil: always).
    let when: (@Sendable (TrialShape) -> Bool)?

    init(path: String, type: KeyType, defaultValue: Value, doc: String, trialKey: Bool = true,
         when: (@Sendable (TrialShape) -> Bool)? = nil) {
        self.path = path; self.type = type; self.defaultValue = defaultValue; self.doc = doc; self.trialKey = trialKey; self.when = when
    }

    /// The section a key belongs to ("task" for task.kind, "" for top-level keys).
    public var section: String { path.firstIndex(of: ".").map { String(path[..<$0]) } ?? "" }
}

/// The resolved keys of one trial (or of a study before its sweep), read by the registry files that
/// declare them: the one place where a key is looked up by its path.
struct KeyValues {
    let values: [String: Value]
    func value(_ k: KeySpec) -> Value? { values[k.path] }
    func int(_ k: KeySpec) -> Int { values[k.path]!.asInt! }
    func double(_ k: KeySpec) -> Double { values[k.path]!.asDouble! }
    func string(_ k: KeySpec) -> String { values[k.path]!.asString! }
    func bool(_ k: KeySpec) -> Bool { values[k.path]!.asBool! }
    func doubles(_ k: KeySpec) -> [Double] { values[k.path]!.asList!.map { $0.asDouble! } }
    /// A key that is absent when off (dropout, gradient noise): its value, or `off`.
    func double(_ k: KeySpec, orWhenAbsent off: Double) -> Double { values[k.path]?.asDouble ?? off }
}

extension Schema {
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

/// The outcome of converting or checking one value: the value, or why it is not acceptable.
enum Conversion {
    case ok(Value)
    case bad(String)
}

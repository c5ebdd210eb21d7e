// A small JSON value with deterministic output: keys in the order given, numbers in Swift's shortest
// round-trip form, and never NaN or infinity (those become null).
import Foundation

public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])
    /// JSON text produced elsewhere (e.g. by JSONEncoder), embedded as it is.
    case raw(String)

    public static func == (a: JSON, b: JSON) -> Bool { a.render() == b.render() }

    public static func num(_ d: Double?) -> JSON {
        guard let d, d.isFinite else { return .null }
        return .number(d)
    }

    public func render(indent: Int? = 2, level: Int = 0) -> String {
        let nl = indent == nil ? "" : "\n"
        let pad = String(repeating: " ", count: (indent ?? 0) * (level + 1))
        let close = String(repeating: " ", count: (indent ?? 0) * level)
        let sep = indent == nil ? ":" : ": "
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : d.description) : "null"
        case .string(let s): return jsonString(s)
        case .raw(let text): return text
        case .array(let a):
            if a.isEmpty { return "[]" }
            let scalars = a.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            if scalars { return "[" + a.map { $0.render(indent: nil) }.joined(separator: indent == nil ? "," : ", ") + "]" }
            return "[" + nl + a.map { pad + $0.render(indent: indent, level: level + 1) }.joined(separator: "," + nl) + nl + close + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{" + nl + o.map { pad + jsonString($0.0) + sep + $0.1.render(indent: indent, level: level + 1) }.joined(separator: "," + nl) + nl + close + "}"
        }
    }

    /// Parses JSON text into Foundation objects (for reading results back).
    public static func parse(_ data: Data) -> Any? { try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
}

extension Value {
    public var jsonValue: JSON {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .num(d)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .list(let l): return .array(l.map(\.jsonValue))
        }
    }
}

/// Nests dotted keys into objects, with keys sorted at every level (the canonical form).
public func nestedJSON(_ flat: [String: Value]) -> JSON {
    var groups: [String: [String: Value]] = [:]
    var leaves: [String: Value] = [:]
    for (k, v) in flat {
        if let dot = k.firstIndex(of: ".") {
            groups[String(k[..<dot]), default: [:]][String(k[k.index(after: dot)...])] = v
        } else {
            leaves[k] = v
        }
    }
    var out: [(String, JSON)] = []
    for k in Set(groups.keys).union(leaves.keys).sorted() {
        if let g = groups[k] { out.append((k, nestedJSON(g))) } else { out.append((k, leaves[k]!.jsonValue)) }
    }
    return .object(out)
}

/// Writes text atomically: a temporary file in the same folder, then a rename.
public func writeAtomically(_ text: String, to url: URL) throws {
    try writeAtomically(Data(text.utf8), to: url)
}

/// Writes data atomically: `.tmp-<host>-<pid>-<name>` beside the destination, then a rename over it.
/// The temporary name records its writer, so a later process removes it only when that writer is dead
/// (`removeStaleTemporaries`), never while another shard is writing it. A failure throws a `WriteError`
/// naming the file, the reason and, when the disk is full, the bytes needed and free (Writes.swift).
public func writeAtomically(_ data: Data, to url: URL) throws {
    try writeFileAtomically(data, to: url)
}

// Values of a study's keys, with where they came from (file:line:column) for error messages.
import Foundation

/// A typed configuration value. Doubles print in Swift's shortest round-trip form, so the canonical
/// JSON (and the trial ids hashed from it) is stable across runs and platforms.
public indirect enum Value: Equatable, Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case list([Value])

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return d.description
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// JSON text of the value (strings escaped).
    public var json: String {
        switch self {
        case .int, .bool: return description
        case .double(let d): return d.isFinite ? d.description : "null"
        case .string(let s): return jsonString(s)
        case .list(let l): return "[" + l.map(\.json).joined(separator: ",") + "]"
        }
    }

    public var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var asInt: Int? { if case .int(let i) = self { return i }; return nil }
    public var asString: String? { if case .string(let s) = self { return s }; return nil }
    public var asBool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var asList: [Value]? { if case .list(let l) = self { return l }; return nil }
}

public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// A place in a study file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// An error in a study file: where, what, and a hint for the fix.
public struct StudyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let location: SourceLocation?
    public let message: String
    public let hint: String?
    public init(_ location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.location = location; self.message = message; self.hint = hint
    }
    public var description: String {
        var s = (location.map { "\($0): " } ?? "") + "error: " + message
        if let hint { s += "\n  HINT: " + hint }
        return s
    }
}

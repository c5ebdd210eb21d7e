// Where a results folder came from: every `descent run` that trained into it appends one line to
// <root>/runs.jsonl (the command, the commit of the code, the machine, the wall time, the trials it
// trained). The report puts them at its top, so a committed reference report says how it was made.
import Foundation

public struct RunRecord: Sendable {
    public var command: String
    public var started: Date
    public var wallSeconds: Double
    public var trained: Int
    public var skipped: Int
    public var jobs: Int
    public var blasKernel: String
    public var commit: String
    public var machine: String

    public init(command: String, started: Date, wallSeconds: Double, trained: Int, skipped: Int, jobs: Int,
                blasKernel: String, commit: String = RunRecord.currentCommit(), machine: String = RunRecord.currentMachine()) {
        self.command = command; self.started = started; self.wallSeconds = wallSeconds; self.trained = trained
        self.skipped = skipped; self.jobs = jobs; self.blasKernel = blasKernel; self.commit = commit; self.machine = machine
    }

    nonisolated(unsafe) public static let dateFormat: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime]; return f
    }()

    public var json: JSON {
        .object([("command", .string(command)), ("started", .string(RunRecord.dateFormat.string(from: started))),
                 ("wall_seconds", .num((wallSeconds * 10).rounded() / 10)), ("trials_trained", .int(trained)),
                 ("trials_already_done", .int(skipped)), ("jobs", .int(jobs)), ("blas_kernel", .string(blasKernel)),
                 ("commit", .string(commit)), ("machine", .string(machine))])
    }

    public init?(json: Any) {
        guard let o = json as? [String: Any], let command = o["command"] as? String,
              let started = (o["started"] as? String).flatMap(RunRecord.dateFormat.date(from:)),
              let wall = (o["wall_seconds"] as? NSNumber)?.doubleValue else { return nil }
        self.init(command: command, started: started, wallSeconds: wall, trained: o["trials_trained"] as? Int ?? 0,
                  skipped: o["trials_already_done"] as? Int ?? 0, jobs: o["jobs"] as? Int ?? 1,
                  blasKernel: o["blas_kernel"] as? String ?? "unknown", commit: o["commit"] as? String ?? "unknown",
                  machine: o["machine"] as? String ?? "unknown")
    }

    /// The commit of the git checkout in the working directory, "+ uncommitted changes" when it differs
    /// from it, or "unknown (not a git checkout)".
    public static func currentCommit() -> String {
        guard let head = git(["rev-parse", "--short=12", "HEAD"]), !head.isEmpty else { return "unknown (not a git checkout)" }
        let dirty = git(["status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift", "studies"]) ?? ""
        return dirty.isEmpty ? head : head + " + uncommitted changes"
    }

    static func git(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// CPU model, cores, memory and kernel, e.g. "AMD EPYC, 2 cores, 24 GiB, Linux 6.1.0".
    public static func currentMachine() -> String {
        let info = ProcessInfo.processInfo
        var cpu = "unknown CPU"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let gib = Double(info.physicalMemory) / 1_073_741_824
        return "\(cpu), \(info.activeProcessorCount) cores, \(String(format: "%.0f", gib)) GiB, Linux \(release)"
    }
}

extension ResultsStore {
    public var runLog: URL { root.appendingPathComponent("runs.jsonl") }

    /// Appends one run to runs.jsonl (a line is written whole or, if the process dies, not at all).
    public func appendRun(_ r: RunRecord) throws {
        var line = Data((r.json.render(indent: nil) + "\n").utf8)
        if !fm.fileExists(atPath: runLog.path) { _ = fm.createFile(atPath: runLog.path, contents: nil) }
        let h = try FileHandle(forUpdating: runLog)
        defer { try? h.close() }
        // A line cut short by an earlier failed append (a full disk) ends where this one starts, not inside it.
        let end = try h.seekToEnd()
        if end > 0 {
            try h.seek(toOffset: end - 1)
            if try h.read(upToCount: 1) != Data("\n".utf8) { line.insert(UInt8(ascii: "\n"), at: 0) }
            try h.seekToEnd()
        }
        try h.write(contentsOf: line)
    }

    /// The runs recorded in runs.jsonl, oldest first; lines that do not parse are skipped.
    public func runs() -> [RunRecord] {
        guard let text = try? String(contentsOf: runLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { JSON.parse(Data($0.utf8)).flatMap(RunRecord.init(json:)) }
    }
}

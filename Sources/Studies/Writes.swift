// Writing files of the results store so that a failure is plain: which file, why, and on a full disk how
// many bytes were needed and how many are free. Every file of a results folder (trial files, checkpoints,
// study copies, trials.csv) goes through `writeFileAtomically`.
//
// Test hook: with DESCENT_TEST_DISK_FULL_AFTER=N in the environment, the first N atomic writes of the
// process succeed and every later one fails with ENOSPC, as if the disk had just filled up. The fault
// injection tests use it where a small tmpfs cannot be mounted; it changes nothing when unset.
import Foundation
import Synchronization

/// A file of the results folder could not be written.
public struct WriteError: Error, LocalizedError, CustomStringConvertible, Sendable {
    /// The file (or folder) that could not be written.
    public let path: String
    /// The bytes it was to hold (0 when unknown, such as for a folder).
    public let bytes: Int
    /// The errno value, when the system gave one.
    public let code: Int32?
    /// The reason in words, when there is no errno value.
    public let reason: String?
    /// Free bytes on the file system of `path`, read when the write failed.
    public let freeBytes: Int?

    public init(path: String, bytes: Int, code: Int32?, reason: String? = nil) {
        self.init(path: path, bytes: bytes, code: code, reason: reason, freeBytes: WriteError.freeSpace(near: path))
    }

    init(path: String, bytes: Int, code: Int32?, reason: String?, freeBytes: Int?) {
        self.path = path; self.bytes = bytes; self.code = code; self.reason = reason; self.freeBytes = freeBytes
    }

    /// The same failure, naming the file where it was headed: a file of a hidden temporary folder is
    /// named at its place in the folder that the temporary one was to become.
    public func at(_ temporary: String, becoming final: String) -> WriteError {
        guard path.hasPrefix(temporary) else { return self }
        return WriteError(path: final + path.dropFirst(temporary.count), bytes: bytes, code: code, reason: reason, freeBytes: freeBytes)
    }

    /// Wraps whatever a Foundation call threw, keeping the POSIX error underneath it when there is one
    /// (a full disk surfaces as NSCocoaErrorDomain 640 over POSIX ENOSPC).
    public init(path: String, bytes: Int, error: Error) {
        if let w = error as? WriteError { self = w; return }
        let ns = error as NSError
        var code: Int32? = ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : nil
        if code == nil, let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain { code = Int32(under.code) }
        if code == nil, ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { code = ENOSPC }
        self.init(path: path, bytes: bytes, code: code, reason: code == nil ? ns.localizedDescription : nil)
    }

    /// The disk (or the user's quota) is full.
    public var outOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    /// Why, in words: the system's text for the errno value, or the reason given.
    public var why: String { code.map { String(cString: strerror($0)) } ?? reason ?? "unknown error" }

    public var description: String {
        var s = "cannot write '\(path)': \(why)"
        if outOfSpace {
            s += " (\(bytes > 0 ? WriteError.size(bytes) + " to write" : "space needed"), \(freeBytes.map(WriteError.size) ?? "an unknown amount") free on that file system)"
        }
        return s
    }

    public var errorDescription: String? { description }

    /// What to do about it.
    public var hint: String {
        if outOfSpace { return "free space on that file system (or pass --out to a folder on another one), then run the same command again: finished trials are kept and unfinished ones resume from their last checkpoint" }
        if code == EACCES || code == EPERM || code == EROFS { return "make the folder writable (or pass --out to a writable folder), then run the same command again" }
        return "fix the cause above, then run the same command again: finished trials are kept"
    }

    /// Bytes available to this user on the file system holding `path` (or its nearest existing parent).
    static func freeSpace(near path: String) -> Int? {
        var dir = path
        var st = statvfs()
        for _ in 0..<64 {
            if statvfs(dir, &st) == 0 { return Int(st.f_bavail) * Int(st.f_frsize) }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { break }
            dir = parent
        }
        return nil
    }

    static func size(_ b: Int) -> String {
        if b < 1024 { return "\(b) B" }
        let units = ["kB", "MB", "GB", "TB"]
        var v = Double(b) / 1024, i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return String(format: "%.1f %@", v, units[i])
    }
}

/// The test hook: how many atomic writes may still succeed (nil when the hook is off).
enum InjectedDiskFull {
    static let limit: Int? = ProcessInfo.processInfo.environment["DESCENT_TEST_DISK_FULL_AFTER"].flatMap { Int($0) }
    static let count = Atomic<Int>(0)
    /// True when this write must fail as if the disk were full.
    static func failsNext() -> Bool {
        guard let limit else { return false }
        return count.add(1, ordering: .relaxed).newValue > limit
    }
}

/// Writes `data` to `.tmp-<host>-<pid>-<name>` beside `url` and renames it over `url`. On any failure
/// the temporary is removed and a `WriteError` names the destination.
func writeFileAtomically(_ data: Data, to url: URL) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent(".tmp-\(ResultsStore.hostName)-\(getpid())-\(url.lastPathComponent)")
    func failure(_ code: Int32) -> WriteError {
        unlink(tmp.path)
        return WriteError(path: url.path, bytes: data.count, code: code)
    }
    if InjectedDiskFull.failsNext() { throw failure(ENOSPC) }
    let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw failure(errno) }
    var code: Int32 = 0
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                code = errno; return
            }
            done += n
        }
    }
    // Network file systems may report a full disk only when the file is closed.
    if close(fd) != 0 && code == 0 { code = errno }
    if code != 0 { throw failure(code) }
    if rename(tmp.path, url.path) != 0 { throw failure(errno) }
}

// Who may train into a results folder at once: one run of the whole study, or the shards of one split
// (--shard i/n with the same n, each i once), never a mix, since a whole-study run, or shards of
// another split, would train the same trials again. Advisory locks (flock) on hidden files of the
// folder, held for the life of the process; the kernel releases them however the process ends:
//
//   .lock                 a whole-study run holds it exclusively; each shard holds it shared
//   .lock-shards-of-<n>   each shard of an n-way split holds it shared; a shard of another split checks
//                         that nobody holds it (announce first, then check: of two splits starting at
//                         once at least one sees the other)
//   .lock-shard-<i>-of-<n> shard i/n holds it exclusively
//
// The last holder of a lock file removes it when it is done (refused or finished), so neither a run
// nor a refusal leaves lock files behind; whoever locks a file checks that it is still the one at its
// path (not one removed meanwhile) and starts over otherwise.
import Foundation
import Studies

final class RunLock {
    private var held: [(fd: Int32, path: String)] = []
    let folder: URL

    init(folder: URL, shard: (Int, Int)?) throws {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StudyError(nil, "cannot create the results folder '\(folder.path)': \(WriteError(path: folder.path, bytes: 0, error: error).why)",
                             hint: "check that the parent folder exists and is writable, or pass --out")
        }
        do {
            try acquire(shard)
        } catch {
            release()
            throw error
        }
    }

    private func acquire(_ shard: (Int, Int)?) throws {
        guard let (i, n) = shard else {
            guard let fd = try lock(".lock", LOCK_EX) else {
                // Held: by another whole-study run (exclusive), or by shards (shared, so a shared probe succeeds).
                let shards = probeShared(".lock")
                throw StudyError(nil, shards ? "shards of this study (--shard i/n) are training in '\(folder.path)'; a run of the whole study now would train their trials a second time"
                                             : "another descent run is using '\(folder.path)' (lock .lock)",
                                 hint: shards ? "wait for the shards to finish, or run the shards that are missing with --shard; a run without --shard is for a folder nobody else is training into"
                                              : "wait for it to finish, or pass --out to use another folder; shards of one study may run at once with --shard i/n")
            }
            held.append((fd, path(".lock")))
            return
        }
        guard let all = try lock(".lock", LOCK_SH) else {
            throw StudyError(nil, "a run of the whole study (without --shard) is training in '\(folder.path)'; shard \(i)/\(n) would train its trials a second time",
                             hint: "wait for that run to finish (it trains every trial), or stop it and run the shards instead")
        }
        held.append((all, path(".lock")))
        // Announce this split, then check that no other split is running.
        guard let split = try lock(".lock-shards-of-\(n)", LOCK_SH, wait: true) else { return }
        held.append((split, path(".lock-shards-of-\(n)")))
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix(".lock-shards-of-") && $0 != ".lock-shards-of-\(n)" }.sorted()
        for other in others where !isFree(other) {
            let m = other.dropFirst(".lock-shards-of-".count)
            throw StudyError(nil, "shards of a \(m)-way split (--shard i/\(m)) are training in '\(folder.path)'; shard \(i)/\(n) splits the trials differently and would train some of theirs a second time",
                             hint: "run the shards with --shard i/\(m), or wait for those to finish")
        }
        guard let mine = try lock(".lock-shard-\(i)-of-\(n)", LOCK_EX) else {
            throw StudyError(nil, "another descent run of shard \(i)/\(n) is using '\(folder.path)' (lock .lock-shard-\(i)-of-\(n))",
                             hint: "wait for it to finish, or pass --out to use another folder; other shards of the study may run at once")
        }
        held.append((mine, path(".lock-shard-\(i)-of-\(n)")))
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Opens (creating) and locks a lock file; nil when someone else holds it. Retries when the file it
    /// locked was removed from its path meanwhile by its last holder.
    private func lock(_ name: String, _ op: Int32, wait: Bool = false) throws -> Int32? {
        let p = path(name)
        for _ in 0..<100 {
            let fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw StudyError(nil, "cannot open the lock file '\(p)': \(String(cString: strerror(errno)))", hint: "check that the results folder is writable")
            }
            if flock(fd, op | (wait ? 0 : LOCK_NB)) != 0 {
                let e = errno
                close(fd)
                if e == EINTR { continue }
                if e == EWOULDBLOCK { return nil }
                throw StudyError(nil, "cannot lock '\(p)': \(String(cString: strerror(e)))", hint: "the results folder must be on a file system that supports flock")
            }
            if sameFile(fd, p) { return fd }
            close(fd)   // removed by its last holder after we opened it: start over on the new one
        }
        throw StudyError(nil, "cannot lock '\(p)': it keeps being replaced", hint: "check what else is using the results folder")
    }

    /// Whether the descriptor is the file now at `path`.
    private func sameFile(_ fd: Int32, _ path: String) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Nobody holds the lock file (or it is gone).
    private func isFree(_ name: String) -> Bool {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) == 0   // released when fd closes
    }

    /// A shared lock could be taken now (so no exclusive holder), released at once.
    private func probeShared(_ name: String) -> Bool {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) == 0
    }

    /// Releases every lock, removing each lock file of which this process is the last holder.
    func release() {
        for (fd, p) in held.reversed() {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 && sameFile(fd, p) { unlink(p) }
            close(fd)
        }
        held = []
    }

    deinit { release() }
}

// WorkerTeam: a fixed set of threads that run the tasks of one parallel region together, for the
// data-parallel training step (a batch cut into fixed row shards, one task per shard).
//
// Member 0 is the calling thread; members 1 ..< size are threads the team starts once and parks on a
// semaphore between regions, so a region costs two semaphore hand-offs per helper and no allocation.
// Task t runs on member t % size, members taking their tasks in increasing order. Inside a region with
// more than one member OpenBLAS runs on one thread, so the members' products run side by side instead of
// contending for OpenBLAS's own thread pool. A region sets that and restores the old count after, but
// OpenBLAS allocates when its thread count changes, so a caller that opens many regions should hold
// OpenBLAS at one thread around them all (`withSingleThreadedBLAS`).
//
// What a task computes must not depend on which member runs it or on the team's size: results are then
// the same, bit for bit, on one thread or several.
import Foundation

public final class WorkerTeam: @unchecked Sendable {
    public let size: Int

    /// State shared with the helper threads (which must not keep the team itself alive).
    private final class Shared: @unchecked Sendable {
        /// The region's body, kept only while the region runs.
        var body: (Int) -> Void = { _ in }
        var tasks = 0
        var stopping = false
        let wake: [DispatchSemaphore]
        let done = DispatchSemaphore(value: 0)
        init(helpers: Int) { wake = (0..<helpers).map { _ in DispatchSemaphore(value: 0) } }
    }

    private let shared: Shared
    /// Set while a region runs; a region opened from inside another runs its tasks in order on the caller.
    private var running = false

    public init(size: Int) {
        precondition(size >= 1, "WorkerTeam needs at least one member")
        self.size = size
        shared = Shared(helpers: size - 1)
        for member in 1..<size {
            let s = shared
            let thread = Thread {
                while true {
                    s.wake[member - 1].wait()
                    if s.stopping { return }
                    let body = s.body
                    var t = member
                    while t < s.tasks { body(t); t += size }
                    s.done.signal()
                }
            }
            thread.name = "descent-worker-\(member)"
            thread.start()
        }
    }

    deinit {
        shared.stopping = true
        shared.wake.forEach { $0.signal() }
    }

    /// Runs body(0), ..., body(tasks − 1), spread over the members, and returns when all have finished.
    ///
    /// The body reaches the helpers as a stored closure, so a closure built once and kept (a stored
    /// property reading its inputs from its owner) makes a region allocation-free; a closure written at
    /// the call site costs one small allocation per call.
    public func run(tasks: Int, _ body: @escaping (Int) -> Void) {
        guard size > 1, tasks > 1, !running else {
            for t in 0..<tasks { body(t) }
            return
        }
        running = true
        withSingleThreadedBLAS {
            shared.body = body
            shared.tasks = tasks
            let helpers = min(size, tasks) - 1
            for h in 0..<helpers { shared.wake[h].signal() }
            var t = 0
            while t < tasks { body(t); t += size }
            for _ in 0..<helpers { shared.done.wait() }
            shared.body = WorkerTeam.idle
        }
        running = false
    }

    private static let idle: (Int) -> Void = { _ in }
}

/// Runs body with OpenBLAS at one thread (restored after): the setting under which a team's regions
/// make no allocation and no change of OpenBLAS's threads.
public func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
    let threads = BLAS.threads
    if threads != 1 { BLAS.setThreads(1) }
    defer { if threads != 1 { BLAS.setThreads(threads) } }
    return try body()
}

/// Rows of shard s when `rows` rows are cut into `count` contiguous shards of nearly equal size.
@inline(__always)
public func shardRows(_ s: Int, of count: Int, rows: Int) -> Range<Int> {
    (rows * s / count) ..< (rows * (s + 1) / count)
}

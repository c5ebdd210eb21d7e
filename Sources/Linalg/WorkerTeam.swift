// WorkerTeam: a fixed set of threads that run the tasks of one parallel region together, for the
// data-parallel training step (a batch cut into fixed row shards, one task per shard).
//
// Member 0 is the calling thread; members 1 ..< size are threads the team starts once. A region is
// announced by advancing an atomic epoch: a helper that finished the last region less than
// `spinNanoseconds` (1 ms) ago is still watching it and starts at once; one that has waited longer sleeps
// on its semaphore and is woken by it. The caller waits for the helpers the same way (watching a count,
// then sleeping). A training step opens several regions well within a millisecond of each other, so a
// hand-off costs a few microseconds where a sleeping thread's wake-up cost 20-80 µs on the 2-core machine
// of docs/performance.md (several per cent of a transformer-power step); a team left idle sleeps after
// 1 ms and takes no processor time, and sooner when OpenBLAS is back on several threads (outside a
// trainer's steps), whose own threads would otherwise compete with the watching helper for the cores.
// No allocation either way.
//
// Task t runs on member t % size, members taking their tasks in increasing order. Inside a region with
// more than one member OpenBLAS runs on one thread, so the members' products run side by side instead of
// contending for OpenBLAS's own thread pool. A region sets that and restores the old count after, but
// OpenBLAS allocates when its thread count changes, so a caller that opens many regions should hold
// OpenBLAS at one thread around them all (`withSingleThreadedBLAS`).
//
// What a task computes must not depend on which member runs it or on the team's size: results are then
// the same, bit for bit, on one thread or several.
import CKernels
import Foundation
import Synchronization

public final class WorkerTeam: @unchecked Sendable {
    public let size: Int

    /// How long a waiting thread watches for the next region (or the helpers' end) before it sleeps.
    static let spinNanoseconds: UInt64 = 1_000_000

    /// A flag a sleeping thread raises before it sleeps: whoever lowers it owes the sleeper a signal.
    final class Sleeper: @unchecked Sendable {
        let asleep = Atomic<Int>(0)
        let semaphore = DispatchSemaphore(value: 0)

        /// Waits until `ready()`: watching for spinNanoseconds, then asleep until `wake()` is called. The
        /// flag is raised before ready() is looked at again, so a wake() that comes in between is not lost.
        func wait(until ready: () -> Bool) {
            if ready() { return }
            let start = DispatchTime.now().uptimeNanoseconds
            var k = 0
            while true {
                descent_cpu_relax()
                if ready() { return }
                k += 1
                // Stop watching after spinNanoseconds, or at once when OpenBLAS runs on several threads
                // again (the caller has left its single-threaded stretch): its threads need the cores.
                if k & 63 == 0 && (DispatchTime.now().uptimeNanoseconds - start > WorkerTeam.spinNanoseconds || BLAS.threads > 1) { break }
            }
            asleep.store(1, ordering: .sequentiallyConsistent)
            if ready() {
                // Take the flag back; if the waker lowered it first, its signal is on its way: consume it.
                if !asleep.compareExchange(expected: 1, desired: 0, ordering: .sequentiallyConsistent).exchanged { semaphore.wait() }
                return
            }
            semaphore.wait()
        }

        /// After making the sleeper's condition true: signals it if it sleeps (or is about to).
        func wake() {
            if asleep.exchange(0, ordering: .sequentiallyConsistent) == 1 { semaphore.signal() }
        }
    }

    /// State shared with the helper threads (which must not keep the team itself alive).
    private final class Shared: @unchecked Sendable {
        /// The region's body, kept only while the region runs.
        var body: (Int) -> Void = { _ in }
        var tasks = 0
        var stopping = false
        /// Regions announced so far; a helper runs its tasks of region e once it sees epoch e.
        let epoch = Atomic<Int>(0)
        /// Helpers done with the current region.
        let finished = Atomic<Int>(0)
        let helpers: [Sleeper]
        let caller = Sleeper()
        init(helpers: Int) { self.helpers = (0..<helpers).map { _ in Sleeper() } }
    }

    private let shared: Shared
    /// Set while a region runs; a region opened from inside another runs its tasks in order on the caller.
    private var running = false

    public init(size: Int) {
        precondition(size >= 1, "WorkerTeam needs at least one member")
        self.size = size
        shared = Shared(helpers: size - 1)
        for member in 1..<size {
            let s = shared, me = s.helpers[member - 1], helpers = size - 1
            let thread = Thread {
                var seen = 0
                while true {
                    me.wait { s.epoch.load(ordering: .sequentiallyConsistent) != seen }
                    seen = s.epoch.load(ordering: .acquiring)
                    if s.stopping { return }
                    let body = s.body
                    var t = member
                    while t < s.tasks { body(t); t += size }
                    if s.finished.add(1, ordering: .sequentiallyConsistent).newValue == helpers { s.caller.wake() }
                }
            }
            thread.name = "descent-worker-\(member)"
            thread.start()
        }
    }

    deinit {
        shared.stopping = true
        shared.epoch.add(1, ordering: .sequentiallyConsistent)
        shared.helpers.forEach { $0.wake() }
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
            shared.finished.store(0, ordering: .relaxed)
            // Every helper takes part (one without a task reports at once).
            shared.epoch.add(1, ordering: .sequentiallyConsistent)
            for h in shared.helpers { h.wake() }
            var t = 0
            while t < tasks { body(t); t += size }
            let s = shared, helpers = size - 1
            s.caller.wait { s.finished.load(ordering: .sequentiallyConsistent) == helpers }
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

/// Rows 0 ..< cut (part 0) or cut ..< n (part 1) of a product's n output rows, for the two members of a
/// team: the cut is a multiple of 48 near n / 2. OpenBLAS's sgemm kernels take output rows in blocks (16
/// rows with AVX-512, 24 with AVX2, shorter paths for the rows left over), and a row's bits depend on the
/// path that computes it; cut at a multiple of both, every row takes the path it takes in one whole
/// product, so the two parts give the whole product's bits (GemmCutTests).
@inline(__always)
public func productHalf(_ part: Int, of n: Int) -> Range<Int> {
    let cut = min(n, (n / 2 + 24) / 48 * 48)
    return part == 0 ? 0..<cut : cut..<n
}

/// Member `half`'s (0 or 1) share of count entries of an elementwise pass run by two members of a team,
/// as ranges given to body: chunks of 8192 entries, taken in turn (member 0 the first, 1 the second, 0
/// the third...). Interleaved, each member's share holds a like mix of the array's parts: with two
/// contiguous halves, the AdamW update of a transformer-power step took twice as long on the half with
/// the first block's parameters as on the other (what the caches held differed), and one member waited.
@inline(__always)
public func forEachChunk(ofHalf half: Int, count: Int, _ body: (Range<Int>) -> Void) {
    let chunk = 8192
    var lo = half * chunk
    while lo < count {
        body(lo..<min(lo + chunk, count))
        lo += 2 * chunk
    }
}

/// Half `half` (0 or 1) of dst[0 ..< count] += src's same entries (`forEachChunk`): the two members of a
/// team add the second shard's gradients into the first's.
@inline(__always)
public func addHalf<T: Scalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, count: Int, half: Int) {
    forEachChunk(ofHalf: half, count: count) { r in addAssign(dst + r.lowerBound, src + r.lowerBound, N: r.count) }
}

/// addHalf, then those entries of src zeroed: a model's second shard adds its gradients into a buffer
/// that is all zeros outside a backward pass (zeroed when made, and here after each use), so neither
/// shard's pass carries the zeroing and each member zeroes the chunks it has just read.
@inline(__always)
public func addHalfAndZero<T: Scalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafeMutablePointer<T>, count: Int, half: Int) {
    forEachChunk(ofHalf: half, count: count) { r in
        addAssign(dst + r.lowerBound, src + r.lowerBound, N: r.count)
        (src + r.lowerBound).update(repeating: 0, count: r.count)
    }
}

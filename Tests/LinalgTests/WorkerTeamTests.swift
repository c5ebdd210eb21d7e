// WorkerTeam: every task of a region runs exactly once, on the member the layout names, the region
// returns only after all have finished, nested regions run in order, and OpenBLAS's thread count is
// restored after a region.
import Foundation
import XCTest
import Linalg

final class WorkerTeamTests: XCTestCase {
    func testEveryTaskRunsOnceOnItsMember() {
        for size in 1...3 {
            let team = WorkerTeam(size: size)
            for tasks in [0, 1, 2, 5, 8] {
                for _ in 0..<20 {
                    let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, tasks))
                    let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: max(1, tasks))
                    counts.initialize(repeating: 0, count: max(1, tasks))
                    defer { counts.deallocate(); threads.deallocate() }
                    team.run(tasks: tasks) { t in
                        counts[t] += 1
                        threads[t] = pthread_self()
                        if t % 2 == 1 { usleep(200) }   // helpers that finish late must still be waited for
                    }
                    for t in 0..<tasks {
                        XCTAssertEqual(counts[t], 1, "size \(size), task \(t) of \(tasks)")
                        // Task t runs on member t % size; member 0 is the caller.
                        XCTAssertEqual(pthread_equal(threads[t], pthread_self()) != 0, t % size == 0 || tasks == 1, "size \(size), task \(t) of \(tasks)")
                        if t >= size { XCTAssertNotEqual(pthread_equal(threads[t], threads[t % size]), 0, "task \(t) shares member \(t % size)'s thread") }
                    }
                }
            }
        }
    }

    /// The hand-offs both ways when the waiting side has gone to sleep (the helpers between regions 3 ms
    /// apart, the caller while a helper's task takes 3 ms) and when it is still watching (regions back to
    /// back): every region runs all its tasks and returns only after them. A lost wake-up would hang here.
    func testHandOffsWhetherTheWaitingThreadSleepsOrWatches() {
        for size in [2, 3] {
            let team = WorkerTeam(size: size)
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
            defer { counts.deallocate() }
            for region in 0..<60 {
                counts.initialize(repeating: 0, count: 4)
                let helperSleeps = region % 3 == 1
                team.run(tasks: 4) { t in
                    if helperSleeps && t % size != 0 { usleep(3_000) }
                    counts[t] += 1
                }
                XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: 4)), [1, 1, 1, 1], "size \(size), region \(region)")
                if region % 3 == 2 { usleep(3_000) }
            }
        }
    }

    func testNestedRegionsRunInOrderOnTheCaller() {
        let team = WorkerTeam(size: 2)
        let order = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 3)
        defer { order.deallocate() }
        team.run(tasks: 2) { outer in
            var k = 0
            team.run(tasks: 3) { inner in order[outer * 3 + k] = inner; k += 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: order, count: 6)), [0, 1, 2, 0, 1, 2])
    }

    func testOpenBLASThreadsAreRestored() {
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        BLAS.setThreads(2)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { seen.deallocate() }
        WorkerTeam(size: 2).run(tasks: 2) { t in seen[t] = BLAS.threads }
        XCTAssertEqual(seen[0], 1, "inside a region OpenBLAS runs on one thread")
        XCTAssertEqual(BLAS.threads, 2, "and gets its thread count back after it")
        withSingleThreadedBLAS { XCTAssertEqual(BLAS.threads, 1) }
        XCTAssertEqual(BLAS.threads, 2)
    }

    func testShardRowsCoverTheBatch() {
        for rows in [0, 1, 2, 5, 4705] {
            for count in 1...3 {
                let ranges = (0..<count).map { shardRows($0, of: count, rows: rows) }
                XCTAssertEqual(ranges.first!.lowerBound, 0)
                XCTAssertEqual(ranges.last!.upperBound, rows)
                for i in 1..<count { XCTAssertEqual(ranges[i].lowerBound, ranges[i - 1].upperBound) }
                XCTAssertLessThanOrEqual(ranges.map(\.count).max()! - ranges.map(\.count).min()!, 1)
            }
        }
    }

    func testTheTwoHalvesOfAnElementwisePassCoverEachEntryOnce() {
        // Counts below, at and around the chunk (8192 entries) and its multiples.
        for count in [0, 1, 8191, 8192, 8193, 16384, 16385, 3 * 8192 + 5, 422_154] {
            var seen = [Int](repeating: 0, count: count)
            var shares = [0, 0]
            for half in 0..<2 {
                forEachChunk(ofHalf: half, count: count) { r in
                    for i in r { seen[i] += 1 }
                    shares[half] += r.count
                }
            }
            XCTAssertEqual(seen.filter { $0 != 1 }.count, 0, "count \(count)")
            // Neither member's share exceeds the other's by more than one chunk.
            XCTAssertLessThanOrEqual(abs(shares[0] - shares[1]), 8192, "count \(count)")
        }
        // addHalf over both halves adds every entry once.
        var dst: [Double] = (0..<20000).map(Double.init), src = [Double](repeating: 0.5, count: 20000)
        dst.withUnsafeMutableBufferPointer { d in src.withUnsafeMutableBufferPointer { s in
            for half in 0..<2 { addHalf(d.baseAddress!, s.baseAddress!, count: 20000, half: half) }
        } }
        XCTAssertEqual(dst, (0..<20000).map { Double($0) + 0.5 })
        // addHalfAndZero adds as addHalf does and leaves the source all zeros.
        dst.withUnsafeMutableBufferPointer { d in src.withUnsafeMutableBufferPointer { s in
            for half in 0..<2 { addHalfAndZero(d.baseAddress!, s.baseAddress!, count: 20000, half: half) }
        } }
        XCTAssertEqual(dst, (0..<20000).map { Double($0) + 1 })
        XCTAssertEqual(src, [Double](repeating: 0, count: 20000))
    }
}

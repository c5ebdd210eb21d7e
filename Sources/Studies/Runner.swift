// The local runner: the study's trials that are not finished yet, over a pool of worker threads.
// With more than one worker each trial's BLAS is single-threaded (trial-level parallelism); with one,
// BLAS uses every core.
import Foundation
import Linalg
import Training

public protocol RunObserver: AnyObject {
    func runStarted(study: Study, total: Int, pending: Int, jobs: Int)
    func trialStarted(_ trial: Trial)
    func trialProgress(_ trial: Trial, _ progress: TrainingProgress)
    func trialFinished(_ result: TrialResult)
    func trialFailed(_ trial: Trial, _ error: Error)
}

public struct RunReport: Sendable {
    public var total = 0
    public var skipped = 0
    public var finished = 0
    public var diverged = 0
    public var failed: [(String, String)] = []
    public var interrupted = false
    public var seconds = 0.0
    /// Trials trained at once.
    public var workers = 1
    /// Throughput of the trials trained by this run (trial-level parallelism over `workers`).
    public var trialsPerMinute: Double? { finished > 0 && seconds > 0 ? Double(finished) / seconds * 60 : nil }
}

public final class StudyRunner {
    public let study: Study
    public let store: ResultsStore
    public let jobs: Int
    public let shard: (index: Int, count: Int)?
    public weak var observer: RunObserver?
    public var shouldStop: @Sendable () -> Bool = { false }

    public init(study: Study, store: ResultsStore, jobs: Int, shard: (Int, Int)? = nil) {
        self.study = study; self.store = store; self.jobs = max(1, jobs); self.shard = shard
    }

    /// The trials this process is responsible for: all of them, or every n-th from index i for shard i/n.
    public var assignedTrials: [Trial] {
        let all = study.trials
        guard let shard else { return all }
        return all.filter { $0.index % shard.count == shard.index }
    }

    public func run() -> RunReport {
        let start = Date()
        var report = RunReport()
        let mine = assignedTrials
        report.total = mine.count
        let pending = mine.filter { store.completed($0) == nil }
        report.skipped = mine.count - pending.count
        let workers = min(jobs, max(1, pending.count))
        report.workers = workers
        let every = study.checkpointEvery
        let checkpointing = every > 0 ? TrialRunner.Checkpointing(directory: store.checkpointsDir, every: every) : nil
        BLAS.setThreads(workers > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount)
        observer?.runStarted(study: study, total: mine.count, pending: pending.count, jobs: workers)

        final class Shared: @unchecked Sendable {   // guarded by `lock`
            let lock = NSLock()
            var next = 0
            var report: RunReport
            init(_ r: RunReport) { report = r }
        }
        let shared = Shared(report)
        let lock = shared.lock
        let group = DispatchGroup()
        for _ in 0..<workers {
            let thread = Thread { [self] in
                while true {
                    lock.lock()
                    if shared.next >= pending.count || shared.report.interrupted || shouldStop() { lock.unlock(); break }
                    let trial = pending[shared.next]; shared.next += 1
                    lock.unlock()
                    observer?.trialStarted(trial)
                    do {
                        let result = try TrialRunner.run(trial, checkpointing: checkpointing, progress: { [weak self] p in self?.observer?.trialProgress(trial, p) },
                                                         shouldStop: shouldStop)
                        if result.outcome.status == .interrupted {
                            lock.lock(); shared.report.interrupted = true; lock.unlock()
                            break
                        }
                        try store.save(result, study: study)
                        if let checkpointing {
                            try? FileManager.default.removeItem(at: checkpointing.file(trial.id))
                            try? FileManager.default.removeItem(at: checkpointing.probesFile(trial.id))
                        }
                        lock.lock()
                        shared.report.finished += 1
                        if result.outcome.status == .diverged { shared.report.diverged += 1 }
                        lock.unlock()
                        observer?.trialFinished(result)
                    } catch {
                        lock.lock(); shared.report.failed.append((trial.id, "\(error)")); lock.unlock()
                        observer?.trialFailed(trial, error)
                    }
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            group.enter()
            thread.start()
        }
        group.wait()
        report = shared.report
        if shouldStop() { report.interrupted = true }
        try? store.writeTrialsCSV(study)
        report.seconds = Date().timeIntervalSince(start)
        return report
    }
}

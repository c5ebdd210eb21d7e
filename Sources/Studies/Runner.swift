// The local runner: the study's trials that are not finished yet, over a pool of worker threads.
// With more than one worker each trial's BLAS is single-threaded (trial-level parallelism); with one,
// BLAS uses every core.
//
// Writes that fail (a full disk) stop the run at the first one: the trials in flight stop at their next
// step, no further trial starts, and the report names the failure, so that neither a run that keeps
// training into a full disk nor a promise to "run it again" over progress that was never saved happens.
import Foundation
import Linalg
import Synchronization
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
    /// Stopped by a signal (`shouldStop`).
    public var interrupted = false
    /// Files that could not be written, the first one first; the run stopped at the first.
    public var writeFailures: [RunWriteFailure] = []
    public var seconds = 0.0
    /// Trials trained at once.
    public var workers = 1
    /// Throughput of the trials trained by this run (trial-level parallelism over `workers`).
    public var trialsPerMinute: Double? { finished > 0 && seconds > 0 ? Double(finished) / seconds * 60 : nil }
}

/// A trial's result or checkpoint that could not be written.
public struct RunWriteFailure: Sendable {
    public let trialID: String
    public let error: WriteError
    /// For a checkpoint: the step whose state was lost (the trial resumes from an earlier checkpoint, or step 0).
    public let checkpointStep: Int?
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
            /// Set at the first failed write: every worker stops.
            let writeFailed = Atomic<Bool>(false)
            init(_ r: RunReport) { report = r }
            func failed(_ f: RunWriteFailure) {
                lock.lock(); report.writeFailures.append(f); lock.unlock()
                writeFailed.store(true, ordering: .relaxed)
            }
        }
        let shared = Shared(report)
        let lock = shared.lock
        let userStop = shouldStop
        let stop: @Sendable () -> Bool = { userStop() || shared.writeFailed.load(ordering: .relaxed) || CheckpointWrites.any }
        let group = DispatchGroup()
        for _ in 0..<workers {
            let thread = Thread { [self] in
                while true {
                    lock.lock()
                    if shared.next >= pending.count || shared.report.interrupted || stop() { lock.unlock(); break }
                    let trial = pending[shared.next]; shared.next += 1
                    lock.unlock()
                    observer?.trialStarted(trial)
                    let result: TrialResult
                    do {
                        result = try TrialRunner.run(trial, checkpointing: checkpointing, progress: { [weak self] p in self?.observer?.trialProgress(trial, p) },
                                                     shouldStop: stop)
                    } catch {
                        lock.lock(); shared.report.failed.append((trial.id, "\(error)")); lock.unlock()
                        observer?.trialFailed(trial, error)
                        continue
                    }
                    // A checkpoint that could not be written stops the run, whether or not the trial went on to finish.
                    if let ck = checkpointing, let f = CheckpointWrites.take(ck.file(trial.id)) {
                        shared.failed(RunWriteFailure(trialID: trial.id, error: f.error, checkpointStep: f.step))
                    }
                    if result.outcome.status == .interrupted {
                        if userStop() { lock.lock(); shared.report.interrupted = true; lock.unlock() }
                        break
                    }
                    do {
                        try store.save(result, study: study)
                    } catch {
                        shared.failed(RunWriteFailure(trialID: trial.id, error: WriteError(path: store.trialDir(trial.id).path, bytes: 0, error: error), checkpointStep: nil))
                        break
                    }
                    if let checkpointing {
                        try? FileManager.default.removeItem(at: checkpointing.file(trial.id))
                        try? FileManager.default.removeItem(at: checkpointing.probesFile(trial.id))
                    }
                    lock.lock()
                    shared.report.finished += 1
                    if result.outcome.status == .diverged { shared.report.diverged += 1 }
                    lock.unlock()
                    observer?.trialFinished(result)
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
        if report.writeFailures.isEmpty { try? store.writeTrialsCSV(study) }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }
}

import ArgumentParser
import Datasets
import Foundation
import Linalg
import Reports
import Studies
import Training

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every trial of a study that has no result yet, then write its report.",
        discussion: """
        Results go to results/<study> (results/<study>-<profile> with --profile). A re-run skips finished trials. \
        Exit status: 0 when every expectation holds; 1 when one fails or a trial could not run; 3 when trials \
        of the study have no result yet (a shard, or a run stopped early), so its gate is incomplete rather \
        than failed; 64 for a malformed study or bad arguments; 74 when a results file cannot be written (a \
        full disk): the run stops there and can be resumed; 130 when interrupted by SIGINT (Ctrl-C), 143 by SIGTERM.
        """)

    @OptionGroup var target: StudyOptions

    // .unconditional: "--jobs -3" is read as the value -3 (and refused as such), not as a missing value.
    @Option(name: .long, parsing: .unconditional, help: "Trials to run at once (each single-threaded when more than one).")
    var jobs: Int = 1

    @Option(name: .long, parsing: .unconditional, help: "Run only shard i of n (i/n, 0-based): every n-th trial from i.")
    var shard: String?

    @Flag(name: .long, help: "Do not write the report after the run.")
    var noReport = false

    func validate() throws {
        guard jobs >= 1 && jobs <= 256 else { throw ValidationError("--jobs must be between 1 and 256, not \(jobs)") }
        if let shard { _ = try parseShard(shard) }
    }

    func parseShard(_ s: String) throws -> (Int, Int) {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw ValidationError("--shard must be i/n with 0 ≤ i < n, such as 0/4; got '\(s)'")
        }
        return (i, n)
    }

    /// The command as the user typed it, for reports and runs.jsonl.
    var invocation: String { "descent run " + CommandLine.arguments.dropFirst(2).joined(separator: " ") }

    func run() throws {
        installSignalHandlers()   // before anything slow: a signal takes effect within a second at any point
        do { try checkStudyPath(target.study) } catch let e as StudyError { throw fail(e.description, code: 64) }
        if ContrastStudy.isContrast(path: target.study) { return try runContrast() }
        // 1. Parse and validate everything before anything is written.
        let parsed = try target.load()
        try checkMemory(parsed)
        let shardParts = try shard.map(parseShard)
        let (results, failed) = try train(parsed, source: target.study, folder: target.folder(for: parsed), shard: shardParts)

        // 3. Report and gate.
        if noReport { if failed > 0 { throw ExitCode(1) }; return }
        let command = invocation
        let written: ReportOutput
        do {
            written = try ReportWriter.write(results, command: command)
        } catch {
            throw fail("cannot write the report: \(error)", code: 1)
        }
        print("descent: report in \(written.directory.path)/report.md")
        printExpectations(written.expectations)
        if failed > 0 { throw ExitCode(1) }
        let missing = results.missing.count
        if missing > 0 {
            throw fail(incompleteGate(missing: missing, of: results.trials.count, folder: results.store.root.path,
                                      rerun: shardParts.map { "run the other shards (--shard j/\($0.1)) into the same folder" } ?? "run the same command again"),
                       code: ExitStatus.incomplete)
        }
        if !written.passed { throw ExitCode(1) }
    }

    /// A contrast study: trains its size and steps studies (and bridge) in their own results folders,
    /// each with its own report, then writes the contrast report; the gate is the contrast's
    /// expectations and those of the two studies.
    func runContrast() throws {
        guard shard == nil else { throw fail("--shard applies to a study of one axis; run the studies a contrast names one by one with --shard", code: 64) }
        let contrast: ContrastStudy
        do {
            contrast = try ContrastStudy.load(path: target.study, profile: target.profile)
            for s in [contrast.size, contrast.steps] + [contrast.bridge, contrast.moreData].compactMap({ $0 }) {
                try target.checkSize(s)
                try validateStudyTrials(s)
            }
        } catch let e as StudyError {
            throw fail(e.description, code: 64)
        }
        // The studies' profiles (which the contrast's profiles may rename) name their folders too.
        for s in [contrast.size, contrast.steps] + [contrast.bridge, contrast.moreData].compactMap({ $0 }) {
            if let p = s.profile, let problem = folderNameProblem(p) {
                throw fail("\(target.study): the profile '\(p)' of '\(s.file)' \(problem), so it cannot name a results folder\n  HINT: profile names are letters, digits, '-', '_' and '.', not starting with '.'", code: 64)
            }
        }
        for s in [contrast.size, contrast.steps] + [contrast.bridge, contrast.moreData].compactMap({ $0 }) { try checkMemory(s) }
        var failed = 0
        // With --out, the studies' folders go inside the contrast's folder; else beside it in results/.
        func folderOf(_ s: Study) -> String {
            target.out.map { ($0 as NSString).appendingPathComponent(resultsFolderName(s.name, profile: s.profile)) } ?? defaultResultsFolder(s.name, profile: s.profile)
        }
        func trainOne(_ s: Study) throws -> StudyResults {
            let (r, f) = try train(s, source: s.file, folder: folderOf(s), shard: nil)
            failed += f
            return r
        }
        let size = try trainOne(contrast.size), steps = try trainOne(contrast.steps)
        let bridge = try contrast.bridge.map(trainOne), moreData = try contrast.moreData.map(trainOne)
        let folder = URL(fileURLWithPath: target.out ?? defaultResultsFolder(contrast.name, profile: contrast.profile))
        // The folders as the run named them (relative to where it ran), not this machine's absolute paths.
        let record = JSON.object([("study", .string(target.study)), ("profile", contrast.profile.map { .string($0) } ?? .null),
                                  ("size", .string(folderOf(contrast.size))), ("steps", .string(folderOf(contrast.steps))),
                                  ("bridge", contrast.bridge.map { .string(folderOf($0)) } ?? .null),
                                  ("more_data", contrast.moreData.map { .string(folderOf($0)) } ?? .null)])
        let written: ContrastOutput
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try writeAtomically(record.render() + "\n", to: folder.appendingPathComponent("contrast.json"))
            let input = ContrastInputs(name: contrast.name, question: contrast.question, size: size, steps: steps,
                                       bridge: bridge, moreData: moreData, expectations: contrast.expectations, notReproduced: contrast.notReproduced)
            written = try ContrastWriter.write(input, to: folder.appendingPathComponent("report"), command: invocation)
        } catch {
            throw fail("cannot write the contrast report: \(error)", code: 1)
        }
        print("descent: contrast report in \(written.directory.path)/report.md")
        printChecks(written.checks)
        if !written.passed || failed > 0 { throw ExitCode(1) }
    }

    /// Claims the results folder, trains every trial without a result and returns the results with the
    /// number of trials that failed. Exits 130 (SIGINT) or 143 (SIGTERM) when interrupted, and 74 at the
    /// first file that cannot be written.
    func train(_ parsed: Study, source path: String, folder: String, shard shardParts: (Int, Int)?) throws -> (StudyResults, Int) {
        let source = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let store = ResultsStore(root: URL(fileURLWithPath: folder))
        let lock: RunLock
        do {
            lock = try RunLock(folder: store.root, shard: shardParts)
        } catch let e as StudyError {
            throw fail(e.description, code: 1)
        }
        defer { lock.release() }
        do {
            try store.prepare(parsed, sourceText: source, force: target.force)
        } catch let e as StudyError {
            lock.release()   // a refused run leaves no lock file behind
            throw fail(e.description, code: 1)
        }

        // 2. Train. The observer's runStarted switches the signal handlers to "stop the trainers".
        let observer = ProgressObserver(terminal: isatty(STDERR_FILENO) == 1)
        let runner = StudyRunner(study: parsed, store: store, jobs: jobs, shard: shardParts)
        runner.observer = observer
        runner.shouldStop = { stopRequested != 0 }
        let started = Date()
        let commit = RunRecord.currentCommit()   // the code as it was when training started
        let report = runner.run()
        runPhase = RunPhase.after
        observer.finish()
        let command = invocation
        if report.finished > 0 || report.interrupted || !report.writeFailures.isEmpty {
            do {
                try store.appendRun(RunRecord(command: command, started: started, wallSeconds: report.seconds, trained: report.finished,
                                              skipped: report.skipped, jobs: report.workers, blasKernel: BLAS.coreName, commit: commit))
            } catch {
                FileHandle.standardError.write(Data("descent: warning: cannot record the run in \(store.runLog.path): \(WriteError(path: store.runLog.path, bytes: 0, error: error).why)\n".utf8))
            }
        }
        print("descent: \(report.finished) trials trained, \(report.skipped) already done, \(report.diverged) diverged, \(report.failed.count) failed in \(String(format: "%.1f", report.seconds)) s"
              + (report.trialsPerMinute.map { $0 >= 1 ? String(format: " (%.1f trials/min, %d at a time)", $0, report.workers)
                                                         : String(format: " (%.1f min per trial, %d at a time)", 1 / $0, report.workers) } ?? "") + "; results in \(folder)")
        for (id, message) in report.failed { print("  trial \(id) failed: \(message)") }
        if let first = report.writeFailures.first {
            throw fail(writeFailureMessage(report, first: first, folder: folder), code: ExitStatus.writeFailed)
        }
        if report.interrupted {
            throw fail("interrupted; finished trials are kept in \(folder). Run the same command again to finish the rest.", code: interruptedStatus(stopRequested))
        }

        return (StudyResults(study: parsed, store: store), report.failed.count)
    }

    /// What a run stopped by a failed write says: which file, why, what was kept and what was lost.
    func writeFailureMessage(_ report: RunReport, first: RunWriteFailure, folder: String) -> String {
        var s: String
        if let step = first.checkpointStep {
            s = (report.interrupted ? "interrupted, but the checkpoint of trial \(first.trialID) could not be written"
                                    : "stopped: the checkpoint of trial \(first.trialID) could not be written")
                + " (\(first.error)); its progress up to step \(step) is lost: it resumes from its previous checkpoint, if any, or from step 0"
        } else {
            s = (report.interrupted ? "interrupted, and " : "stopped at the first failed write: ")
                + "trial \(first.trialID) finished training but its results could not be saved (\(first.error)); it will train again"
        }
        for other in report.writeFailures.dropFirst() {
            s += "\n  also: trial \(other.trialID)" + (other.checkpointStep.map { ": the checkpoint at step \($0) could not be written" } ?? ": its results could not be saved") + " (\(other.error.why))"
        }
        s += "\n  \(report.finished) trial\(report.finished == 1 ? "" : "s") finished in this run; every finished trial is kept in \(folder)"
        s += "\n  HINT: " + first.error.hint
        return s
    }
}

/// Exit statuses besides 0, 1 (a failed gate or trial) and 64 (bad input).
enum ExitStatus {
    /// Trials of the study have no result yet: the gate is incomplete, not failed.
    static let incomplete: Int32 = 3
    /// A results file could not be written (sysexits' EX_IOERR).
    static let writeFailed: Int32 = 74
}

/// What a report of an incomplete folder says instead of passing or failing its gate.
func incompleteGate(missing: Int, of total: Int, folder: String, rerun: String) -> String {
    "the gate is incomplete, not failed: \(missing) of \(total) trials have no result yet, and the expectations above were checked on the other \(total - missing) (a missing trial counts as not reached)\n  HINT: \(rerun), then 'descent report \(folder)' for the verdict"
}

func printExpectations(_ results: [ExpectationResult]) {
    guard !results.isEmpty else { return }
    let failed = results.filter { !$0.passed }.count
    print("descent: expectations: \(results.count - failed) of \(results.count) hold")
    for r in results {
        print("  \(r.passed ? "pass" : "FAIL") \(r.expectation.location): \(r.expectation.text)\n       \(r.detail)")
    }
}

func printChecks(_ checks: [ContrastCheck]) {
    guard !checks.isEmpty else { return }
    let failed = checks.filter { !$0.passed }.count
    print("descent: expectations: \(checks.count - failed) of \(checks.count) hold")
    for c in checks { print("  \(c.passed ? "pass" : "FAIL") \(c.location): \(c.name)\n       \(c.detail)") }
}

/// Progress on a terminal (one line redrawn: trials done, the current step, ETA), plain log lines otherwise.
final class ProgressObserver: RunObserver, @unchecked Sendable {
    let terminal: Bool
    let lock = NSLock()
    var total = 0, pending = 0, done = 0, jobs = 1
    let start = Date()
    var lastDraw = Date.distantPast
    var current: [String: (Trial, TrainingProgress, Date)] = [:]
    var trialSeconds: [Double] = []

    init(terminal: Bool) { self.terminal = terminal }

    func emit(_ line: String) { FileHandle.standardError.write(Data(line.utf8)) }

    func runStarted(study: Study, total: Int, pending: Int, jobs: Int) {
        lock.lock(); defer { lock.unlock() }
        self.total = total; self.pending = pending; self.jobs = jobs
        runPhase = RunPhase.training   // from here a signal stops the trainers at their next step
        emit("descent: \(study.name)\(study.profile.map { " (profile \($0))" } ?? ""): \(total) trials, \(total - pending) already done, \(pending) to train with \(jobs) job\(jobs == 1 ? "" : "s"); BLAS kernel \(BLAS.coreName)\n")
    }

    func trialStarted(_ trial: Trial) {
        lock.lock(); defer { lock.unlock() }
        current[trial.id] = (trial, TrainingProgress(step: 0, maxSteps: trial.spec.training.maxSteps, last: nil), Date())
        if !terminal { emit("  start \(trial.id) \(label(trial))\n") }
    }

    func label(_ t: Trial) -> String { (t.groupKey.isEmpty ? "" : t.groupKey + ", ") + "seed \(t.seedIndex)" }

    func trialProgress(_ trial: Trial, _ p: TrainingProgress) {
        lock.lock(); defer { lock.unlock() }
        if let c = current[trial.id] { current[trial.id] = (trial, p, c.2) }
        guard terminal, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        draw()
    }

    func eta() -> String {
        let remaining = pending - done
        if !trialSeconds.isEmpty {
            let avg = trialSeconds.reduce(0, +) / Double(trialSeconds.count)
            return "ETA ≤ " + duration(avg * Double(remaining) / Double(jobs))
        }
        // No trial finished yet: extrapolate the running trials' step rate to their budgets (an upper bound).
        let rates = current.values.compactMap { (_, p, started) -> Double? in
            let el = Date().timeIntervalSince(started)
            return p.step > 0 ? el / Double(p.step) * Double(p.maxSteps) : nil
        }
        guard let per = rates.max() else { return "ETA …" }
        return "ETA ≤ " + duration(per * Double(remaining) / Double(jobs))
    }

    func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    func draw() {
        let running = current.values.sorted { $0.0.index < $1.0.index }.map { (t, p, _) -> String in
            var s = "\(label(t)) step \(p.step)/\(p.maxSteps)"
            if let l = p.last { s += String(format: " train %.2f val %.2f", l.trainAccuracy, l.valAccuracy) }
            return s
        }.joined(separator: " | ")
        var line = "[\(done)/\(pending) trained] \(running) · \(eta())"
        let cols = 160
        if line.count > cols { line = String(line.prefix(cols - 1)) + "…" }
        emit("\r\u{1B}[K" + line)
    }

    func trialFinished(_ result: TrialResult) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        trialSeconds.append(result.outcome.totalSeconds)
        current[result.trial.id] = nil
        let ev = result.events.map { "\($0.name) \($0.step.map(String.init) ?? "censored")" }.joined(separator: ", ")
        let line = "  done  \(result.trial.id) \(label(result.trial)): \(result.outcome.status.rawValue) after \(result.outcome.stepsRun) steps (\(ev)) in \(String(format: "%.1f", result.outcome.totalSeconds)) s\(result.resumedAt.map { ", resumed at step \($0)" } ?? "") [\(done)/\(pending)]"
        emit(terminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
        if terminal { draw() }
    }

    func trialFailed(_ trial: Trial, _ error: Error) {
        lock.lock(); defer { lock.unlock() }
        current[trial.id] = nil
        emit((terminal ? "\r\u{1B}[K" : "") + "  FAILED \(trial.id) \(label(trial)): \(error)\n")
    }

    func finish() { if terminal { emit("\r\u{1B}[K") } }
}

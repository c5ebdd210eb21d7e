// `descent slurm`: a study as a Slurm job array (one shard per task) plus a report job.
//
//   <out>/slurm/array.sbatch   task i of N runs `descent run STUDY --shard i/N --no-report` and, when that
//                              succeeds, writes the done marker <out>/slurm/done/<i>
//   <out>/slurm/report.sbatch  submitted with --dependency=afterany:<array job>: writes the report, then
//                              names the shards without a done marker and exits 1 if there are any
//                              (afterok would leave it PENDING forever once a single shard fails)
//   <out>/slurm/done/<i>       one file per finished shard (job id, host, time); cleared on regeneration
//   <out>/slurm/logs/          shard-<array job>_<i>.out, report-<job>.out
//
// Shards write disjoint trial folders, each one renamed into place when complete, so the tasks share
// the results folder without locks. Every path in the scripts is absolute, resolved when they are
// written, and the tasks start in the folder `descent slurm` ran in (relative data paths keep working).
// No accounting database is assumed: done markers, not `sacct`, tell which shards finished.
import ArgumentParser
import Foundation
import Studies

struct Slurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Slurm job array that runs a study in shards, and a report job after it; --submit submits both.",
        discussion: """
        Writes <out>/slurm/array.sbatch (array task i runs 'descent run STUDY --shard i/N --no-report' and \
        leaves <out>/slurm/done/<i> when it succeeds) and <out>/slurm/report.sbatch (run after the whole \
        array with --dependency=afterany: writes the report, lists the shards without a done marker and \
        exits 1 when any is missing). The results folder must be on a file system that every node sees.
        Without --submit, prints the sbatch commands to run. Exit status: 64 for bad input, 1 when \
        sbatch is missing or refuses a job.
        """)

    /// Slurm's default MaxArraySize is 1001: array indices 0...1000.
    static let maxArraySize = 1001

    @OptionGroup var target: StudyOptions
    var study: String { target.study }

    @Option(name: .long, help: "The Slurm partition for both jobs (default: the cluster's default partition).")
    var partition: String?

    @Option(name: .long, help: "The time limit of each array task and of the report job, in Slurm's format (e.g. 30, 4:00:00, 1-12:00:00).")
    var time: String?

    @Option(name: .customLong("array-parallelism"), parsing: .unconditional, help: "Run at most K array tasks at once (--array=0-(N-1)%K; default: no limit).")
    var arrayParallelism: Int?

    @Option(name: .long, parsing: .unconditional, help: "Number of shards, one per array task (default: one per trial, at most \(Slurm.maxArraySize)).")
    var shards: Int?

    @Option(name: .customLong("cpus-per-task"), parsing: .unconditional, help: "CPUs per array task; each task runs that many trials at once (descent run --jobs C).")
    var cpusPerTask: Int = 1

    @Flag(name: .long, help: "Submit both jobs with sbatch and print their ids.")
    var submit = false


    func validate() throws {
        if let k = arrayParallelism, k < 1 { throw ValidationError("--array-parallelism must be at least 1, not \(k)") }
        if let n = shards, n < 1 || n > Slurm.maxArraySize {
            throw ValidationError("--shards must be between 1 and \(Slurm.maxArraySize) (Slurm's default MaxArraySize), not \(n)")
        }
        guard cpusPerTask >= 1 && cpusPerTask <= 256 else { throw ValidationError("--cpus-per-task must be between 1 and 256, not \(cpusPerTask)") }
        if let partition, partition.isEmpty || !partition.allSatisfy({ $0.isLetter || $0.isNumber || "_.,-".contains($0) }) {
            throw ValidationError("--partition must be a partition name (letters, digits, '_', '.', '-', or a comma-separated list), not '\(partition)'")
        }
        if let time, !Slurm.isSlurmTime(time) {
            throw ValidationError("--time must be a Slurm time limit such as 30 (minutes), 4:00:00 or 1-12:00:00, not '\(time)'")
        }
    }

    /// Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED / INFINITE.
    static func isSlurmTime(_ s: String) -> Bool {
        if s == "UNLIMITED" || s == "INFINITE" { return true }
        let dayParts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2 else { return false }
        let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = (dayParts.count == 2 ? [dayParts[0]] : []) + clock
        return clock.count <= 3 && numbers.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    func run() throws {
        // 1. The same checks as `descent run`, before anything is written.
        let parsed = try target.load()
        let trialCount = parsed.trials.count
        let n = shards ?? min(trialCount, Slurm.maxArraySize)
        if n > trialCount {
            throw fail("--shards \(n) is more than the study's \(trialCount) trials; \(n - trialCount) array tasks would have nothing to do. HINT: pass --shards \(trialCount) or fewer", code: 64)
        }
        let cwd = FileManager.default.currentDirectoryPath
        let folder = URL(fileURLWithPath: target.folder(for: parsed),
                         relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL
        // #SBATCH lines are not shell: sbatch expands % in file names and splits on spaces.
        if let bad = folder.path.first(where: { " \t\n\"'%\\".contains($0) }) {
            throw fail("the results folder '\(folder.path)' contains '\(bad)', which an #SBATCH --output line cannot hold. HINT: pass --out with a path without spaces, quotes, '%' or '\\'", code: 64)
        }

        // 2. Claim the results folder for this study (its hash), exactly as `descent run` does.
        let store = ResultsStore(root: folder)
        let source = (try? String(contentsOfFile: study, encoding: .utf8)) ?? ""
        do {
            try store.prepare(parsed, sourceText: source, force: target.force)
        } catch let e as StudyError {
            throw fail(e.description, code: 1)
        }

        // 3. The two scripts.
        let jobs = SlurmJobs(
            descent: executablePath(),
            study: URL(fileURLWithPath: study, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path,
            profile: parsed.profile, folder: folder.path, workingDirectory: cwd, name: parsed.name,
            shards: n, trials: trialCount, parallelism: arrayParallelism, cpusPerTask: cpusPerTask, partition: partition, time: time,
            allowLarge: target.allowLarge)
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: jobs.logsDir, withIntermediateDirectories: true)
            // Markers count shards of one N; stale ones from an earlier generation would lie.
            try? fm.removeItem(at: jobs.doneDir)
            try fm.createDirectory(at: jobs.doneDir, withIntermediateDirectories: true)
            for (url, text) in [(jobs.arrayScript, jobs.arraySbatch()), (jobs.reportScript, jobs.reportSbatch())] {
                try writeAtomically(text, to: url)
                try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            }
        } catch {
            throw fail("cannot write the Slurm scripts into '\(jobs.slurmDir.path)': \(error.localizedDescription). HINT: check that the folder is writable, or pass --out", code: 1)
        }
        let what = "\(n) shard\(n == 1 ? "" : "s") of \(trialCount) trial\(trialCount == 1 ? "" : "s")"
            + (arrayParallelism.map { ", at most \($0) at once" } ?? "")
        print("descent: wrote \(jobs.arrayScript.path) (\(what))")
        print("descent: wrote \(jobs.reportScript.path) (report and missing shards, after the array)")

        guard submit else {
            print("Submit both with:")
            print("  array=$(sbatch --parsable \(shellQuote(jobs.arrayScript.path))) && sbatch --parsable --dependency=afterany:\"${array%%;*}\" \(shellQuote(jobs.reportScript.path))")
            print("or step by step:")
            print("  sbatch --parsable \(shellQuote(jobs.arrayScript.path))                      # prints the array's job id, ARRAY")
            print("  sbatch --parsable --dependency=afterany:ARRAY \(shellQuote(jobs.reportScript.path))")
            return
        }

        // 4. Submit: the array, then the report depending on it.
        guard let sbatch = findExecutable("sbatch") else {
            throw fail("sbatch is not on PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? "unset")); the scripts are written but nothing was submitted. HINT: run this on a Slurm login node, or submit the scripts there with the commands that 'descent slurm' prints without --submit", code: 1)
        }
        let array = try sbatchSubmit(sbatch, [jobs.arrayScript.path], what: "the array job")
        let report: String
        do {
            report = try sbatchSubmit(sbatch, ["--dependency=afterany:\(array)", jobs.reportScript.path], what: "the report job")
        } catch {
            FileHandle.standardError.write(Data("descent: the array job \(array) is submitted; submit the report after it with: sbatch --dependency=afterany:\(array) \(shellQuote(jobs.reportScript.path))\n".utf8))
            throw error
        }
        print("descent: submitted the array job \(array) (\(what)) and the report job \(report) (afterany:\(array))")
        print("descent: logs in \(jobs.logsDir.path); done markers in \(jobs.doneDir.path); results in \(folder.path)")
    }

    /// Runs `sbatch --parsable ARGS` and returns the job id it prints ("id" or "id;cluster").
    func sbatchSubmit(_ sbatch: String, _ args: [String], what: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sbatch)
        p.arguments = ["--parsable"] + args
        var env = ProcessInfo.processInfo.environment
        // `descent` may have re-executed itself with an OpenBLAS kernel picked for *this* CPU; compute
        // nodes pick their own (a kernel the node lacks would crash it).
        if env["DESCENT_BLAS_REEXEC"] != nil { env["OPENBLAS_CORETYPE"] = nil; env["DESCENT_BLAS_REEXEC"] = nil }
        p.environment = env
        let (status, stdout, stderr): (Int32, String, String)
        do {
            (status, stdout, stderr) = try runCapturing(p)
        } catch {
            throw fail("cannot run \(sbatch): \(error.localizedDescription)", code: 1)
        }
        let command = ([sbatch, "--parsable"] + args).map(shellQuote).joined(separator: " ")
        guard status == 0 else {
            let said = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw fail("sbatch refused \(what) (exit \(status)): \(said.isEmpty ? "(no message)" : said)\n  command: \(command)", code: 1)
        }
        let id = stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("sbatch accepted \(what) but printed no job id: '\(stdout)' \(stderr)\n  command: \(command)", code: 1)
        }
        return id
    }
}

/// What the two scripts need, every path absolute.
struct SlurmJobs {
    let descent: String
    let study: String
    let profile: String?
    let folder: String
    let workingDirectory: String
    let name: String
    let shards: Int
    let trials: Int
    let parallelism: Int?
    let cpusPerTask: Int
    let partition: String?
    let time: String?
    /// Passed on to the array tasks: the study was accepted with --allow-large.
    var allowLarge = false

    var slurmDir: URL { URL(fileURLWithPath: folder).appendingPathComponent("slurm") }
    var doneDir: URL { slurmDir.appendingPathComponent("done") }
    var logsDir: URL { slurmDir.appendingPathComponent("logs") }
    var arrayScript: URL { slurmDir.appendingPathComponent("array.sbatch") }
    var reportScript: URL { slurmDir.appendingPathComponent("report.sbatch") }
    var jobName: String { "descent-" + String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" }) }

    func header(_ jobName: String, output: String) -> String {
        var s = "#SBATCH --job-name=\(jobName)\n#SBATCH --output=\(output)\n"
        if let partition { s += "#SBATCH --partition=\(partition)\n" }
        if let time { s += "#SBATCH --time=\(time)\n" }
        return s
    }

    var runCommand: String {
        var args = [descent, "run", study]
        if let profile { args += ["--profile", profile] }
        args += ["--out", folder]
        return args.map(shellQuote).joined(separator: " ") + " --shard \"$shard/\(shards)\" --no-report --jobs \(cpusPerTask)" + (allowLarge ? " --allow-large" : "")
    }

    func arraySbatch() -> String {
        """
        #!/bin/bash
        # Written by `descent slurm`: the study '\(name)'\(profile.map { " (profile \($0))" } ?? "") in \(shards) shards of its \(trials) trials,
        # one per array task. Submit it, then report.sbatch with --dependency=afterany:<this job's id>.
        # Resubmit chosen shards with: sbatch --array=1,3 \(arrayScript.path)
        \(header(jobName, output: logsDir.path + "/shard-%A_%a.out"))#SBATCH --array=0-\(shards - 1)\(parallelism.map { "%\($0)" } ?? "")
        #SBATCH --cpus-per-task=\(cpusPerTask)
        set -u
        shard=${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task: submit it with sbatch}
        done_dir=\(shellQuote(doneDir.path))
        rm -f "$done_dir/$shard"
        cd \(shellQuote(workingDirectory)) || exit 1
        \(runCommand)
        status=$?
        if [ "$status" -eq 0 ]; then
            # The done marker, written whole then renamed: the report job counts these.
            printf 'job %s task %s on %s at %s\\n' "${SLURM_ARRAY_JOB_ID:-?}" "$shard" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$done_dir/.$shard.tmp" &&
                mv -f "$done_dir/.$shard.tmp" "$done_dir/$shard" || status=1
        fi
        exit "$status"

        """
    }

    func reportSbatch() -> String {
        """
        #!/bin/bash
        # Written by `descent slurm`: the report of '\(name)' after its array job. Submit it with
        # --dependency=afterany:<array job id>, so that it runs however the shards ended (with afterok a
        # single failed shard would leave it pending forever). It exits 1 when a shard left no done marker.
        \(header(jobName + "-report", output: logsDir.path + "/report-%j.out"))#SBATCH --cpus-per-task=1
        set -u
        cd \(shellQuote(workingDirectory)) || exit 1
        \([descent, "report", folder].map(shellQuote).joined(separator: " "))
        status=$?
        missing=""
        for ((shard = 0; shard < \(shards); shard++)); do
            [ -e \(shellQuote(doneDir.path))/"$shard" ] || missing="$missing${missing:+,}$shard"
        done
        if [ -n "$missing" ]; then
            echo "descent slurm: shards without a done marker: $missing (of \(shards)); their logs: \(logsDir.path)/shard-*_<shard>.out" >&2
            echo "descent slurm: rerun them with: sbatch --array=$missing \(shellQuote(arrayScript.path)), then this report again" >&2
            exit 1
        fi
        echo "descent slurm: all \(shards) shards finished"
        exit "$status"

        """
    }
}

/// Single-quotes a word for the shell when it needs quoting.
func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The absolute path of the running executable (Linux: /proc/self/exe), else argv[0] made absolute.
func executablePath() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
}

/// The first executable called `name` in PATH.
func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").map { String($0) + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a process to the end and returns its status, stdout and stderr (both read while it runs).
func runCapturing(_ p: Process) throws -> (Int32, String, String) {
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    final class Box: @unchecked Sendable { var data = Data() }   // written by the reader thread, read after it finishes
    let errBox = Box()
    let done = DispatchSemaphore(value: 0)
    Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

import ArgumentParser
import Foundation
import Linalg

struct Descent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Reproduce, measure and contrast model-wise double descent and step-wise grokking.",
        discussion: """
        Typical use:
          descent run studies/grokking-modular-addition.yaml     train every trial, then write the report
          descent report results/grokking-modular-addition       (re)write report.md, report.html, summary.json, junit.xml
          descent stats results/grokking-vs-fraction             intervals, censored event times, fitted laws
          descent bench                                          steps/s and GFLOP/s against the sgemm ceiling
          descent slurm studies/X.yaml --submit                  a Slurm job array of shards plus a report job
          descent list                                           operations, model families and shipped studies
        Exit status: 0 when every expectation holds, 1 when one fails or a trial could not run,
        3 when trials have no result yet (a shard, or a run stopped early: the gate is incomplete, not failed),
        64 for a malformed study or bad arguments, 74 when a results file cannot be written (a full disk;
        the run stops at the first failed write and resumes when run again), 130 when interrupted by SIGINT
        (Ctrl-C), 143 when interrupted by SIGTERM.
        """,
        subcommands: [Run.self, ReportCommand.self, Stats.self, Compare.self, List.self, Bench.self, Slurm.self]
    )
}

/// Prints an error the way every subcommand does, and exits with the given status.
func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data(("descent: " + message + "\n").utf8))
    return ExitCode(code)
}

/// Finds the shipped studies folder: ./studies, or the package's studies/ beside the executable.
func studiesDirectory() -> URL? {
    let fm = FileManager.default
    var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("studies")]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 { candidates.append(dir.appendingPathComponent("studies")); dir = dir.deletingLastPathComponent() }
    return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("grokking-modular-addition.yaml").path) }
}

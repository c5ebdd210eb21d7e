// `descent bench` runs descent-bench, the benchmark's own executable, built beside descent by the same
// `swift build`, with the arguments it was given: same flags, same output, same exit status. The
// benchmark lives apart because it counts allocations by interposing malloc for its whole process, which
// descent itself must not do.
import ArgumentParser
import Foundation

/// Listed in `descent --help`; main.swift hands `descent bench …` to descent-bench before parsing, so
/// `descent bench --help` prints the benchmark's own options.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the training step of each workload against the machine's sgemm ceiling.",
        discussion: "Runs descent-bench, built beside descent, with these arguments; `descent bench --help` lists its options.")

    @Argument(parsing: .captureForPassthrough, help: "The benchmark's arguments (--workload, --threads, --seconds, --sweep-study, --json, --scaling).")
    var arguments: [String] = []

    func run() throws { throw runBenchmark(arguments) }
}

/// The name of the benchmark's executable, looked for in the folder of the running descent binary.
let benchExecutableName = "descent-bench"

/// The folder holding this process's executable (symbolic links resolved).
func ownExecutableFolder() -> URL {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return URL(fileURLWithPath: target).deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
}

/// Replaces this process with descent-bench and `arguments`. Returns only when that is impossible, with
/// the message already printed and the status to exit with.
func runBenchmark(_ arguments: [String]) -> ExitCode {
    let folder = ownExecutableFolder()
    let bench = folder.appendingPathComponent(benchExecutableName)
    guard FileManager.default.isExecutableFile(atPath: bench.path) else {
        return fail("`descent bench` runs the benchmark's own executable, \(benchExecutableName), and there is none beside this descent "
                    + "(in \(folder.path)); build it with `swift build -c release` (it builds both) or `swift build -c release --product \(benchExecutableName)`",
                    code: 1)
    }
    var argv: [UnsafeMutablePointer<CChar>?] = ([bench.path] + arguments).map { strdup($0) }
    argv.append(nil)
    execv(bench.path, &argv)
    return fail("cannot run \(bench.path): \(String(cString: strerror(errno)))", code: 1)
}

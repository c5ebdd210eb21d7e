// descent: the command-line tool. The BLAS kernel is chosen before anything else runs (see
// Sources/BLASKernel), `descent bench …` is handed to the benchmark's own executable (see
// BenchForwarding.swift), then the subcommands take over.
import BLASKernel

selectBLASKernel()
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "bench" {
    Descent.exit(withError: runBenchmark(Array(CommandLine.arguments.dropFirst(2))))
}
Descent.main()

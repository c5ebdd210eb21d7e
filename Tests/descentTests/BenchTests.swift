// `descent bench` through the real binary: its own accounting (FLOPs and allocations), and the product
// kept apart from it: the benchmark's malloc interposition lives in descent-bench, which `descent bench`
// runs, and the descent binary defines no allocator of its own.
import Foundation
import XCTest

final class BenchTests: XCTestCase {
    /// The benchmark's own accounting: the FLOPs it records for the grokking MLP's step equal the analytic
    /// count from the shapes, and a step of the MLP and of both transformers allocates nothing in steady
    /// state, on one thread and on two.
    func testBenchCountsFlopsAndAllocations() throws {
        for threads in ["1", "2"] {
            let r = try descent(["bench", "--workload", "mlp-grok", "--workload", "transformer-nanda", "--workload", "transformer-power",
                                 "--threads", threads, "--seconds", "0.2", "--rounds", "1", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let rows = try XCTUnwrap(doc["workloads"] as? [[String: Any]])
            XCTAssertEqual(rows.count, 3)
            // x+y mod 97 at 0.5: B = 4705 rows, V = 97, D = 128, H = 512, C = 97. Per step: the output layer's
            // three products (forward, dW, dinput) and the two token tables' three each (forward, dE, dW).
            let B = 4705.0, V = 97.0, D = 128.0, H = 512.0, C = 97.0
            let expected = (3 * 2 * B * H * C + 2 * 3 * 2 * V * D * H) / 1e9
            XCTAssertEqual(rows[0]["gflopPerStep"] as? Double ?? 0, expected, accuracy: 1e-9)
            for row in rows {
                XCTAssertEqual(row["allocationsPerStep"] as? Double, 0, "\(row["workload"] ?? "?") allocates in steady state at \(threads) thread(s)")
                XCTAssertGreaterThan(row["ratio"] as? Double ?? 0, 0)
            }
        }
        // Run by `descent bench`, the benchmark keeps its command's name in its messages.
        let bad = try descent(["bench", "--seconds", "0"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--seconds must be in (0, 600]") && bad.stderr.contains("descent bench"), bad.stderr)
    }

    /// --against runs the other command once per round with the workload, seconds and threads appended,
    /// reads the steps/s from the JSON it prints last, and gives their median and descent's ratio to it; a
    /// command that fails or prints no rate is an error that names it.
    func testBenchAgainstAnotherCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-bench-against-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("calls.txt"), fake = dir.appendingPathComponent("fake.sh")
        // Rates 4, 6 and 5 in turn: the median of three rounds is 5.
        try """
        #!/bin/sh
        echo "$@" >> '\(log.path)'
        n=$(wc -l < '\(log.path)')
        echo "warming up"
        case $n in 1) echo '{"steps_per_second": 4.0}';; 2) echo '{"steps_per_second": 6.0}';; *) echo '{"steps_per_second": 5.0}';; esac
        """.write(to: fake, atomically: true, encoding: .utf8)
        let r = try descent(["bench", "--workload", "mlp-grok", "--threads", "1", "--seconds", "0.3", "--rounds", "3",
                             "--against", "sh '\(fake.path)'", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let row = try XCTUnwrap((doc["workloads"] as? [[String: Any]])?.first)
        XCTAssertEqual(row["againstPerSecond"] as? Double, 5)
        let rate = try XCTUnwrap(row["perSecond"] as? Double)
        XCTAssertEqual(row["speedup"] as? Double ?? 0, rate / 5, accuracy: 1e-12)
        let calls = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(calls.count, 3, "one call per round")
        XCTAssertTrue(calls.allSatisfy { $0.hasPrefix("--workload mlp-grok --seconds ") && $0.hasSuffix(" --threads 1") }, "\(calls)")
        let failing = try descent(["bench", "--workload", "mlp-grok", "--seconds", "0.1", "--rounds", "1", "--against", "false"])
        XCTAssertEqual(failing.status, 64, failing.stderr)
        XCTAssertTrue(failing.stderr.contains("`false --workload mlp-grok` exited with status 1"), failing.stderr)
        let silent = try descent(["bench", "--workload", "mlp-grok", "--seconds", "0.1", "--rounds", "1", "--against", "true"])
        XCTAssertEqual(silent.status, 64, silent.stderr)
        XCTAssertTrue(silent.stderr.contains("printed no JSON object with a positive steps_per_second"), silent.stderr)
    }

    /// The symbols an executable defines for dynamic linking, from `nm -D --defined-only`; nil without nm.
    func definedDynamicSymbols(_ executable: URL) throws -> Set<String>? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard let nm = path.map({ URL(fileURLWithPath: String($0)).appendingPathComponent("nm") })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else { return nil }
        let r = try runProcess(nm, ["-D", "--defined-only", executable.path], in: FileManager.default.temporaryDirectory)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Lines are "<address> <type> <name>[@version]".
        return Set(r.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map { String($0.split(separator: "@").first ?? $0) }
        })
    }

    /// The shipped binary leaves the process's allocator alone: descent defines neither malloc nor free
    /// (the counting allocator is linked into descent-bench only, where the same check finds both).
    func testDescentBinaryDefinesNeitherMallocNorFree() throws {
        guard let descentSymbols = try definedDynamicSymbols(descentBinary()) else {
            throw XCTSkip("nm is not on PATH (Debian: apt-get install binutils); cannot list the symbols descent defines")
        }
        XCTAssertGreaterThan(descentSymbols.count, 0, "nm listed no symbols for \(descentBinary().path)")
        for name in ["malloc", "free", "calloc", "realloc"] {
            XCTAssertFalse(descentSymbols.contains(name), "the descent binary defines \(name)")
        }
        let bench = builtExecutable("descent-bench")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: bench.path), "descent-bench is not built beside descent")
        let benchSymbols = try XCTUnwrap(try definedDynamicSymbols(bench))
        XCTAssertTrue(benchSymbols.isSuperset(of: ["malloc", "free"]), "descent-bench no longer interposes the allocator: the check above proves nothing")
    }

    /// A descent without descent-bench beside it says what to build, exit 1, and runs nothing.
    func testBenchWithoutItsExecutableSaysHowToBuildIt() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lone = dir.appendingPathComponent("descent")
        try FileManager.default.copyItem(at: descentBinary(), to: lone)
        let r = try runProcess(lone, ["bench", "--workload", "mlp-grok", "--json"], in: dir)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("descent-bench") && r.stderr.contains("swift build -c release"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }
}

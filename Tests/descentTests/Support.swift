// Helpers for the tests that run the real binary.
import Foundation
import XCTest

struct Output { let status: Int32; let stdout: String; let stderr: String }

/// The `descent` executable built beside this test bundle.
func descentBinary() -> URL { builtExecutable("descent") }

/// An executable of the package (descent, descent-bench) built beside this test bundle, or in .build.
func builtExecutable(_ name: String) -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let root = packageRoot()
    for config in ["release", "debug"] {
        let u = root.appendingPathComponent(".build/\(config)/\(name)")
        if FileManager.default.isExecutableFile(atPath: u.path) { return u }
    }
    return beside
}

func packageRoot() -> URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

/// A study the tests share, from Tests/Fixtures (tiny-steps.yaml, tiny-size.yaml).
func fixture(_ name: String) -> String {
    let url = packageRoot().appendingPathComponent("Tests/Fixtures/\(name)")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { preconditionFailure("no fixture at \(url.path)") }
    return text
}

/// The tiny steps study (Tests/Fixtures/tiny-steps.yaml: x + y mod 11, two seeds, memorizes in 300 steps)
/// with top-level keys set: a key the fixture has gets its line replaced, another one is added before
/// the expect block. E.g. `tinySteps(["sweep": "{ model.width: [16, 32] }"])` gives four trials.
func tinySteps(_ keys: KeyValuePairs<String, String> = [:]) -> String {
    var lines = fixture("tiny-steps.yaml").components(separatedBy: "\n")
    for (key, value) in keys {
        let line = "\(key): \(value)"
        if let i = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) {
            lines[i] = line
        } else {
            lines.insert(line, at: lines.firstIndex { $0.hasPrefix("expect:") } ?? lines.count)
        }
    }
    return lines.joined(separator: "\n")
}

@discardableResult
func descent(_ args: [String], in dir: URL? = nil) throws -> Output {
    try runProcess(descentBinary(), args, in: dir ?? packageRoot())
}

func temporaryDirectory() -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("descent-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

func json(_ url: URL) -> [String: Any]? {
    (try? Data(contentsOf: url)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
}

/// This process's environment with OpenBLAS's Haswell kernel, the one the committed ci baselines were made
/// with (scripts/ci-baselines), so that runs compared with them give the same bits on any CPU with AVX2;
/// nil on a CPU without AVX2 (runs keep the process's environment, and are not byte-identical).
let baselineEnvironment: [String: String]? = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          flags.split(separator: " ").contains("avx2") else { return nil }
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_CORETYPE"] = "Haswell"
    env["DESCENT_BLAS_REEXEC"] = nil
    return env
}()

/// Runs a program to the end with the given environment (default: this process's), capturing its output.
func runProcess(_ executable: URL, _ args: [String], env: [String: String]? = nil, in dir: URL) throws -> Output {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    p.currentDirectoryURL = dir
    if let env { p.environment = env }
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
    return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self))
}

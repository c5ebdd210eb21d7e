// OpenBLAS reads OPENBLAS_CORETYPE once, when the library loads, which is before `main`. Debian 12's
// OpenBLAS 0.3.21 misdetects recent CPUs with AVX-512 (Haswell or even Prescott kernels, half the
// speed or worse). So when the variable is unset and the CPU has AVX-512 (or AVX2), the executable
// (descent, and descent-bench run by itself) sets it and re-executes itself once. Override with
// DESCENT_BLAS_CORETYPE=<OpenBLAS core name>, or DESCENT_BLAS_CORETYPE=system to keep whatever OpenBLAS
// picks. A process started by one that already chose inherits the variable and keeps the choice.
import Foundation
import Linalg

func cpuFlags() -> Set<String> {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          let colon = line.firstIndex(of: ":") else { return [] }
    return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
}

/// The OpenBLAS core type descent wants on this CPU, or nil to leave OpenBLAS alone.
func preferredCoreType() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let forced = env["DESCENT_BLAS_CORETYPE"] { return forced == "system" ? nil : forced }
    let flags = cpuFlags()
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
    if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
}

/// Call first thing in `main`: re-executes the process once with OPENBLAS_CORETYPE set when that helps.
public func selectBLASKernel() {
    let env = ProcessInfo.processInfo.environment
    guard env["OPENBLAS_CORETYPE"] == nil, env["DESCENT_BLAS_REEXEC"] == nil, let want = preferredCoreType() else { return }
    if BLAS.coreName.lowercased() == want.lowercased() { return }
    setenv("OPENBLAS_CORETYPE", want, 1)
    setenv("DESCENT_BLAS_REEXEC", "1", 1)
    let args = CommandLine.arguments
    var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
    cargs.append(nil)
    execv("/proc/self/exe", &cargs)
    // exec failed: carry on with the kernel OpenBLAS chose.
}

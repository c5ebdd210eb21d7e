// Trial validation shared by the commands that check a study before writing anything (run, slurm).
import ArgumentParser
import Datasets
import Foundation
import Studies

/// Builds every trial's data set once (cheap) so that impossible combinations, such as division with
/// a non-prime modulus, are reported with the key's place in the file before any work starts.
func validateStudyTrials(_ s: Study) throws {
    for t in s.trials {
        do {
            try TrialRunner.validate(t)
        } catch let e as DatasetError {
            let loc = s.sweep.first { $0.path == e.key }?.location ?? s.locations[e.key]
            let msg = e.message.components(separatedBy: "; HINT: ")
            throw StudyError(loc ?? SourceLocation(file: s.file, line: 1, column: 1),
                             "\(e.key): \(msg[0])" + (t.point.isEmpty ? "" : " (in the trial \(t.groupKey))"),
                             hint: msg.count > 1 ? msg[1] : nil)
        }
    }
}

/// The options every command that runs a study shares: the study file, its profile, the results folder.
struct StudyOptions: ParsableArguments {
    @Argument(help: "The study file (YAML), e.g. studies/grokking-modular-addition.yaml.")
    var study: String

    @Option(name: .long, help: "A profile of the study to apply, e.g. 'ci' for the fast version.")
    var profile: String?

    @Option(name: .long, help: "The results folder (default: results/<study>[-<profile>]; on a shared file system for Slurm).")
    var out: String?

    @Flag(name: .long, help: "Use a results folder made by a different version of the study.")
    var force = false

    @Flag(name: .customLong("allow-large"), help: "Accept a study of more than \(maxTrials) trials (its sweep lists' lengths multiplied, times its seeds).")
    var allowLarge = false

    func validate() throws {
        if let profile, let problem = folderNameProblem(profile) {
            throw ValidationError("--profile '\(profile)' \(problem), so it cannot name a results folder; HINT: profile names are letters, digits, '-', '_' and '.', not starting with '.', such as 'ci'")
        }
        if out == "" { throw ValidationError("--out is empty; HINT: name the results folder, such as --out results/mine (or leave --out out for results/<study>)") }
    }

    /// Parses and validates the study, every trial's data set included; a malformed study exits 64, and so
    /// does a study too large to run (its size is computed without enumerating its trials).
    func load() throws -> Study {
        do {
            try checkStudyPath(study)
            let parsed = try StudyParser.load(path: study, profile: profile)
            try checkSize(parsed)
            try validateStudyTrials(parsed)
            return parsed
        } catch let e as StudyError {
            throw fail(e.description, code: 64)
        }
    }

    /// Refuses a study whose grid is far larger than anything sensible, before its trials are built.
    func checkSize(_ s: Study) throws {
        let n = trialCount(s)
        guard n > maxTrials && !allowLarge else { return }
        let factors = s.sweep.map { "\($0.values.count) (\($0.path))" } + ["\(s.seeds) seed\(s.seeds == 1 ? "" : "s")"]
        throw StudyError(s.sweep.first?.location ?? SourceLocation(file: s.file, line: 1, column: 1),
                         "the study has \(n == Int.max ? "more than \(Int.max)" : String(n)) trials (\(factors.joined(separator: " × "))), more than \(maxTrials)",
                         hint: "shorten the sweep lists or the seeds (a profile can), or pass --allow-large to run it anyway")
    }

    /// The results folder for a loaded study.
    func folder(for s: Study) -> String { out ?? defaultResultsFolder(s.name, profile: s.profile) }
}

/// A study of more trials than this is refused without --allow-large.
let maxTrials = 100_000

/// The number of trials of a study, the product of its sweep lists' lengths and its seeds, computed
/// without building them (Int.max when it overflows).
func trialCount(_ s: Study) -> Int {
    var n = s.seeds
    for axis in s.sweep {
        let (m, overflow) = n.multipliedReportingOverflow(by: axis.values.count)
        if overflow { return Int.max }
        n = m
    }
    return n
}

/// Why a name cannot be a folder name of its own (nil when it can): results folders are named
/// <study>[-<profile>], so both must stay inside results/.
func folderNameProblem(_ name: String) -> String? {
    if name.isEmpty { return "is empty" }
    if name.hasPrefix(".") { return "starts with '.'" }
    if let bad = name.first(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
        return bad == "/" ? "contains '/'" : "contains '\(bad.unicodeScalars.map { $0.value < 32 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())'"
    }
    return nil
}

/// A study argument must be a file: a folder (or nothing) is named as such.
func checkStudyPath(_ path: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return }
    let yaml = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    let example = yaml.first.map { (path as NSString).appendingPathComponent($0) } ?? "studies/grokking-modular-addition.yaml"
    throw StudyError(nil, "'\(path)' is a directory, not a study file" + (yaml.isEmpty ? "" : " (it holds \(yaml.count) .yaml file\(yaml.count == 1 ? "" : "s"))"),
                     hint: "pass one study file, such as \(example); 'descent list' shows the shipped studies" 
                         + (FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("study.resolved.yaml")) ? "; this is a results folder, which 'descent report \(path)' reports" : ""))
}

/// Where a study's results go unless --out says otherwise: results/<name>, or results/<name>-<profile>.
func defaultResultsFolder(_ name: String, profile: String?) -> String { "results/" + resultsFolderName(name, profile: profile) }

/// A study's results folder's own name: <name>, or <name>-<profile>.
func resultsFolderName(_ name: String, profile: String?) -> String { name + (profile.map { "-" + $0 } ?? "") }

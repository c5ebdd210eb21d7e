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

    /// Parses and validates the study, every trial's data set included; a malformed study exits 64.
    func load() throws -> Study {
        do {
            let parsed = try StudyParser.load(path: study, profile: profile)
            try validateStudyTrials(parsed)
            return parsed
        } catch let e as StudyError {
            throw fail(e.description, code: 64)
        }
    }

    /// The results folder for a loaded study.
    func folder(for s: Study) -> String { out ?? defaultResultsFolder(s.name, profile: s.profile) }
}

/// Where a study's results go unless --out says otherwise: results/<name>, or results/<name>-<profile>.
func defaultResultsFolder(_ name: String, profile: String?) -> String { "results/" + name + (profile.map { "-" + $0 } ?? "") }

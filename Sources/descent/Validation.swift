// Trial validation shared by the commands that check a study before writing anything (run, slurm).
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

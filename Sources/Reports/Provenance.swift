// How a results folder was made, at the top of its report: the commands that trained into it, the
// commit, the machine and the wall time (from <root>/runs.jsonl, written by `descent run`).
import Evaluation
import Foundation
import Studies

extension ReportWriter {
    static func duration(_ s: Double) -> String {
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.0f min %.0f s", (s / 60).rounded(.down), s.truncatingRemainder(dividingBy: 60)) }
        return String(format: "%.1f h", s / 3600)
    }

    /// One paragraph; nil when no run was recorded (a folder from an older descent, or made by hand).
    static func provenance(_ store: ResultsStore) -> String? {
        let runs = store.runs()
        guard let last = runs.last else { return nil }
        let wall = runs.reduce(0) { $0 + $1.wallSeconds }
        let trained = runs.reduce(0) { $0 + $1.trained }
        let day = String(RunRecord.dateFormat.string(from: last.started).prefix(10))
        var md = "**Made by** `\(last.command)` at commit `\(last.commit)` on \(last.machine) (BLAS kernel \(last.blasKernel), \(last.jobs) trial\(last.jobs == 1 ? "" : "s") at a time), \(day). "
        md += "**Wall time** \(duration(wall)) of training"
        if runs.count > 1 {
            md += " over \(runs.count) runs (the folder was resumed; \(trained) trials trained in all)"
            let commits = Set(runs.map(\.commit)), machines = Set(runs.map(\.machine))
            if commits.count > 1 { md += "; **the runs used \(commits.count) different commits**: " + runs.map { "`\($0.commit)`" }.joined(separator: ", ") }
            if machines.count > 1 { md += "; the runs used \(machines.count) machines" }
        } else {
            md += " (\(trained) trial\(trained == 1 ? "" : "s") trained)"
        }
        return md + "."
    }

    static func provenanceJSON(_ store: ResultsStore) -> JSON {
        .array(store.runs().map(\.json))
    }
}

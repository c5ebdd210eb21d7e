import ArgumentParser
import Foundation
import Reports
import Studies

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md, report.html, summary.json, junit.xml and figures for a results folder.",
        discussion: "Exits 1 when an expectation of the study fails, naming it.")

    @Argument(help: "A results folder written by 'descent run', e.g. results/grokking-modular-addition.")
    var directory: String

    @Option(name: .long, help: "Where to write the report (default: <directory>/report).")
    var out: String?

    func run() throws {
        let store = ResultsStore(root: URL(fileURLWithPath: directory))
        let study: Study
        do {
            let (file, profile) = try store.recordedStudy()
            study = try StudyParser.load(path: file.path, profile: profile)
        } catch let e as StudyError {
            throw fail(e.description, code: 64)
        }
        let results = StudyResults(study: study, store: store)
        let written: ReportOutput
        do {
            written = try ReportWriter.write(results, to: out.map { URL(fileURLWithPath: $0) }, command: "descent report \(directory)")
        } catch {
            throw fail("cannot write the report: \(error)", code: 1)
        }
        print("descent: report in \(written.directory.path): " + written.files.joined(separator: ", "))
        if !results.missing.isEmpty { print("descent: \(results.missing.count) of \(results.trials.count) trials have no result yet") }
        printExpectations(written.expectations)
        if !written.passed { throw ExitCode(1) }
    }
}

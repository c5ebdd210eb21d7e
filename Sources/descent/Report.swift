import ArgumentParser
import Foundation
import Reports
import Studies

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md, report.html, summary.json, junit.xml and figures for a results folder.",
        discussion: """
        With --contrast, DIR and DIR2 are one size-axis and one steps-axis results folder (either order) and the \
        report contrasts them. A folder written by 'descent run' on a contrast study is reported again as a contrast. \
        Exits 1 when an expectation fails, naming it; 3 when trials of the study have no result yet (the gate is \
        incomplete, not failed); 64 for bad arguments, a folder whose study file is not the one that made it, or \
        a damaged trial file (each one named).
        """)

    @Argument(help: "A results folder written by 'descent run', e.g. results/grokking-modular-addition.")
    var directory: String

    @Option(name: .long, help: "A second results folder, of the other axis: write the contrast report of the two.")
    var contrast: String?

    @Option(name: .long, help: "Files to write: a comma-separated subset of md, html, json, junit (figures come with md and html).")
    var format: String = "md,html,json,junit"

    @Option(name: .long, help: "Where to write the report (default: <directory>/report; with --contrast, results/contrast-<size>-vs-<steps>/report).")
    var out: String?

    func validate() throws {
        do { _ = try ReportFormats.parse(format) } catch let e as StudyError { throw ValidationError(e.message + (e.hint.map { "; " + $0 } ?? "")) }
    }

    func load(_ dir: String) throws -> StudyResults { try loadResults(dir) }

    func run() throws {
        let formats = try ReportFormats.parse(format)
        let record = URL(fileURLWithPath: directory).appendingPathComponent("contrast.json")
        if contrast != nil || FileManager.default.fileExists(atPath: record.path) { return try runContrast(formats, record: record) }
        let results = try load(directory)
        let written: ReportOutput
        do {
            written = try ReportWriter.write(results, to: out.map { URL(fileURLWithPath: $0) }, formats: formats, command: "descent report \(directory)")
        } catch {
            throw fail("cannot write the report: \(error)", code: 1)
        }
        print("descent: report in \(written.directory.path): " + written.files.joined(separator: ", "))
        if !results.missing.isEmpty { print("descent: \(results.missing.count) of \(results.trials.count) trials have no result yet") }
        printExpectations(written.expectations)
        if !results.missing.isEmpty {
            throw fail(incompleteGate(missing: results.missing.count, of: results.trials.count, folder: directory,
                                      rerun: "run the study again into this folder (or its missing shards)"), code: ExitStatus.incomplete)
        }
        if !written.passed { throw ExitCode(1) }
    }

    func runContrast(_ formats: ReportFormats, record: URL) throws {
        var input: ContrastInputs
        var dir: URL
        if let contrast {
            let a = try load(directory), b = try load(contrast)
            let axes = [a.study.axis, b.study.axis]
            guard Set(axes) == ["size", "steps"] else {
                throw fail("--contrast needs one size-axis and one steps-axis results folder; '\(directory)' is \(axes[0]) and '\(contrast)' is \(axes[1])", code: 64)
            }
            let (size, steps) = a.study.axis == "size" ? (a, b) : (b, a)
            let name = "contrast-\(size.store.root.lastPathComponent)-vs-\(steps.store.root.lastPathComponent)"
            input = ContrastInputs(name: name, question: "How do \(size.study.name) (model size) and \(steps.study.name) (training steps) over-fit and recover, alike and apart?", size: size, steps: steps)
            dir = out.map { URL(fileURLWithPath: $0) } ?? size.store.root.deletingLastPathComponent().appendingPathComponent(name).appendingPathComponent("report")
        } else {
            // A contrast run's folder: its record names the study file and the folders it contrasted.
            guard let data = FileManager.default.contents(atPath: record.path), let o = JSON.parse(data) as? [String: Any],
                  let file = o["study"] as? String, let sizeDir = o["size"] as? String, let stepsDir = o["steps"] as? String else {
                throw fail("'\(record.path)' is not a contrast record written by 'descent run'", code: 64)
            }
            let study: ContrastStudy
            do { study = try ContrastStudy.load(path: file, profile: o["profile"] as? String) } catch let e as StudyError { throw fail(e.description, code: 64) }
            input = ContrastInputs(name: study.name, question: study.question, size: try load(sizeDir), steps: try load(stepsDir),
                                   bridge: try (o["bridge"] as? String).map { try load($0) }, moreData: try (o["more_data"] as? String).map { try load($0) },
                                   expectations: study.expectations, notReproduced: study.notReproduced)
            dir = out.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: directory).appendingPathComponent("report")
        }
        let written: ContrastOutput
        do {
            written = try ContrastWriter.write(input, to: dir, formats: formats, command: "descent report " + CommandLine.arguments.dropFirst(2).joined(separator: " "))
        } catch let e as StudyError {
            throw fail(e.description, code: 1)
        } catch {
            throw fail("cannot write the contrast report: \(error)", code: 1)
        }
        print("descent: contrast report in \(written.directory.path): " + written.files.joined(separator: ", "))
        printChecks(written.checks)
        if !written.passed { throw ExitCode(1) }
    }
}

/// The study recorded in a results folder and its results; a folder that is not one, or one with damaged
/// trial files, exits 64.
func loadResults(_ dir: String) throws -> StudyResults {
    let store = ResultsStore(root: URL(fileURLWithPath: dir))
    let study: Study
    do {
        study = try store.loadRecordedStudy()
    } catch let e as StudyError {
        throw fail(e.description, code: 64)
    }
    let damaged = store.damagedFiles(study.trials)
    if !damaged.isEmpty {
        throw fail("\(damaged.count) damaged file\(damaged.count == 1 ? "" : "s") in '\(dir)':\n  " + damaged.joined(separator: "\n  ")
                    + "\n  HINT: remove the damaged trials' folders (trials/<id>) and run the study again into this folder to remake them", code: 64)
    }
    return StudyResults(study: study, store: store)
}

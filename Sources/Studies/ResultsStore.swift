// The results store (DESIGN.md, "Results store"):
//
//   <root>/study.yaml               the study file as run (its text, byte for byte)
//   <root>/study.resolved.yaml      the resolved study (JSON, which is YAML), with its hash and profile
//   <root>/trials/<id>/config.json  the trial's resolved configuration
//   <root>/trials/<id>/curve.csv    the evaluation curve (deterministic: same seed and threads, same bytes)
//   <root>/trials/<id>/timing.csv   wall-clock seconds per evaluation (kept apart: it differs run to run)
//   <root>/trials/<id>/summary.json final metrics, event steps, status; its presence marks the trial done
//   <root>/trials.csv               one row per trial: flattened config and summary
//
// A trial is written into a hidden temporary folder and renamed into place, so a trial folder is
// either complete or absent, whatever moment the process is killed at.
import Foundation
import Training

public struct TrialSummary {
    public let id: String
    public let status: String
    public let stepsRun: Int
    public let parameterCount: Int
    public let wallSeconds: Double
    public let events: [String: EventTime]
    public let final: [String: Double]
    public let raw: [String: Any]
    public init?(json: Any) {
        guard let o = json as? [String: Any], let id = o["id"] as? String, let status = o["status"] as? String,
              let steps = o["steps_run"] as? Int else { return nil }
        self.id = id; self.status = status; stepsRun = steps
        parameterCount = o["parameter_count"] as? Int ?? 0
        wallSeconds = (o["wall_seconds"] as? NSNumber)?.doubleValue ?? 0
        var ev: [String: EventTime] = [:]
        for (k, v) in (o["events"] as? [String: Any]) ?? [:] {
            guard let e = v as? [String: Any] else { return nil }
            ev[k] = EventTime(name: k, step: e["step"] as? Int, previousEvalStep: e["previous_eval_step"] as? Int, censoredAt: e["censored_at"] as? Int)
        }
        events = ev
        var f: [String: Double] = [:]
        for (k, v) in (o["final"] as? [String: Any]) ?? [:] { if let n = v as? NSNumber { f[k] = n.doubleValue } }
        final = f
        raw = o
    }
}

extension TrialSummary: @unchecked Sendable {}

public struct TrialCurve: Sendable {
    public let columns: [String]
    public let rows: [[Double]]
    public init(columns: [String], rows: [[Double]]) { self.columns = columns; self.rows = rows }
    public func column(_ name: String) -> [Double]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0[i] }
    }
}

public final class ResultsStore: @unchecked Sendable {
    public let root: URL
    let fm = FileManager.default

    public init(root: URL) { self.root = root }

    public var trialsDir: URL { root.appendingPathComponent("trials") }
    public var checkpointsDir: URL { root.appendingPathComponent("checkpoints") }
    public func trialDir(_ id: String) -> URL { trialsDir.appendingPathComponent(id) }

    /// Creates the folder for a study, or checks that an existing one was made by the same study.
    public func prepare(_ study: Study, sourceText: String, force: Bool) throws {
        let resolved = root.appendingPathComponent("study.resolved.yaml")
        if fm.fileExists(atPath: resolved.path) {
            let old = (try? Data(contentsOf: resolved)).flatMap { JSON.parse($0) as? [String: Any] }
            let oldHash = old?["study_hash"] as? String
            if oldHash != study.hash && !force {
                throw StudyError(nil, "the results folder '\(root.path)' holds a different study (hash \(oldHash ?? "unreadable"), this one \(study.hash))",
                                 hint: "pass --out to use another folder, or --force to run this study into it (trials of the old study stay but are not reported)")
            }
        } else if fm.fileExists(atPath: root.path) {
            let contents = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }
            // What another process preparing this folder at the same moment (shards started together)
            // has made before its study.resolved.yaml lands: no finished trial yet.
            let claimInProgress = Set(contents).isSubset(of: ["trials", "study.yaml"])
                && ((try? fm.contentsOfDirectory(atPath: trialsDir.path)) ?? []).allSatisfy { $0.hasPrefix(".") }
            if !contents.isEmpty && !claimInProgress && !force {
                throw StudyError(nil, "'\(root.path)' exists and is not a descent results folder", hint: "pass --out with a new or empty folder")
            }
        }
        do {
            try fm.createDirectory(at: trialsDir, withIntermediateDirectories: true)
            try writeAtomically(sourceText, to: root.appendingPathComponent("study.yaml"))
            try writeAtomically(resolvedDocument(study).render() + "\n", to: resolved)
        } catch let e as StudyError { throw e } catch {
            throw StudyError(nil, "cannot write the results folder '\(root.path)': \(error.localizedDescription)",
                             hint: "check that the folder is writable and the disk has space, or pass --out")
        }
        removeStalePartials()
    }

    func resolvedDocument(_ s: Study) -> JSON {
        let events: [(String, JSON)] = s.events.map { e in
            var fields: [(String, JSON)] = [("metric", .string(e.rule.metric.rawValue))]
            if let a = e.rule.atLeast { fields.append(("at_least", .number(a))) }
            if let b = e.rule.atMost { fields.append(("at_most", .number(b))) }
            return (e.name, .object(fields))
        }
        let sweep: [(String, JSON)] = s.sweep.map { ($0.path, .array($0.values.map(\.jsonValue))) }
        let config = nestedJSON(s.values.filter { Schema.byPath[$0.key]!.trialKey })
        let profile: JSON = s.profile.map { .string($0) } ?? .null
        // Arms only when the study has them, so that a study without arms writes the same file as before.
        let arms: [(String, JSON)] = s.arms.isEmpty ? [] : [
            ("baseline", .string(s.baseline!)),
            ("arms", .object(s.arms.map { arm in
                var fields: [(String, JSON)] = arm.overrides.map { ($0.path, $0.value.jsonValue) }
                if let vs = arm.vs { fields.append(("vs", .string(vs))) }
                if let p = arm.published { fields.append(("published", .string(p))) }
                return (arm.name, .object(fields))
            })),
        ]
        return .object([
            ("study_hash", .string(s.hash)),
            ("name", .string(s.name)),
            ("question", .string(s.question)),
            ("axis", .string(s.axis)),
            ("profile", profile),
            ("source", .string(s.file)),
            ("seeds", .int(s.seeds)),
            ("config", config),
            ("sweep", .object(sweep)),
        ] + arms + [
            ("events", .object(events)),
            ("expect", .array(s.expectations.map { .string($0.text) })),
            ("trials", .array(s.trials.map { .string($0.id) })),
        ])
    }

    /// Reads the profile a folder was run with (nil for none), and the path of its study copy.
    public func recordedStudy() throws -> (file: URL, profile: String?) {
        let resolved = root.appendingPathComponent("study.resolved.yaml")
        let copy = root.appendingPathComponent("study.yaml")
        guard fm.fileExists(atPath: resolved.path), fm.fileExists(atPath: copy.path),
              let doc = (try? Data(contentsOf: resolved)).flatMap({ JSON.parse($0) as? [String: Any] }) else {
            throw StudyError(nil, "'\(root.path)' is not a descent results folder (study.yaml or study.resolved.yaml is missing or unreadable)",
                             hint: "pass the folder that 'descent run' wrote, such as results/grokking-modular-addition")
        }
        return (copy, doc["profile"] as? String)
    }

    /// The study recorded in the folder, parsed from its copy (study.yaml) with the recorded profile, and
    /// checked against the hash of its trials that study.resolved.yaml recorded when the folder was made:
    /// a copy replaced by another study is an error, not a description of the wrong study.
    public func loadRecordedStudy() throws -> Study {
        let (file, profile) = try recordedStudy()
        let study = try StudyParser.load(path: file.path, profile: profile)
        let resolved = root.appendingPathComponent("study.resolved.yaml")
        let recorded = (try? Data(contentsOf: resolved)).flatMap { JSON.parse($0) as? [String: Any] }?["study_hash"] as? String
        if let recorded, recorded != study.hash {
            throw StudyError(SourceLocation(file: file.path, line: 1, column: 1),
                             "this is not the study that made '\(root.path)': its trials hash to \(study.hash), the folder's record (study.resolved.yaml) says \(recorded)",
                             hint: "put back the study file the folder was run with, or run the new study into a new folder")
        }
        return study
    }

    /// The files of finished trials that cannot be read as written: a summary.json that is truncated, holds
    /// a NaN or wrong types, or names another trial; a config.json of another trial; a curve.csv without
    /// its columns or with a row that is not numbers. Each entry names the file and what is wrong. A trial
    /// with no folder has no result yet and is not listed.
    public func damagedFiles(_ trials: [Trial]) -> [String] {
        var out: [String] = []
        let required = ResultsStore.requiredCurveColumns
        for t in trials {
            let dir = trialDir(t.id)
            guard fm.fileExists(atPath: dir.path) else { continue }
            let summaryFile = dir.appendingPathComponent("summary.json"), configFile = dir.appendingPathComponent("config.json")
            let curveFile = dir.appendingPathComponent("curve.csv")
            if let data = try? Data(contentsOf: summaryFile) {
                if let summary = JSON.parse(data).flatMap(TrialSummary.init(json:)) {
                    if summary.id != t.id { out.append("\(summaryFile.path): it is the summary of trial \(summary.id), not \(t.id)") }
                } else {
                    out.append("\(summaryFile.path): not a trial summary (truncated, not JSON, a NaN, or a field of the wrong type)")
                }
            } else {
                out.append("\(summaryFile.path): missing or unreadable")
            }
            if let data = try? Data(contentsOf: configFile), let o = JSON.parse(data) as? [String: Any] {
                if o["id"] as? String != t.id { out.append("\(configFile.path): it is not the configuration of trial \(t.id)") }
            } else {
                out.append("\(configFile.path): missing, or not a JSON object")
            }
            guard let text = try? String(contentsOf: curveFile, encoding: .utf8) else {
                out.append("\(curveFile.path): missing or not UTF-8 text"); continue
            }
            let lines = text.split(separator: "\n")
            let header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
            if let absent = required.first(where: { !header.contains($0) }) {
                out.append("\(curveFile.path): the column '\(absent)' is missing (columns: \(header.joined(separator: ", ")))"); continue
            }
            for (i, line) in lines.dropFirst().enumerated() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                if cells.count != header.count || cells.contains(where: { !$0.isEmpty && Double($0) == nil }) {   // empty: not measured
                    out.append("\(curveFile.path): line \(i + 2) is not \(header.count) numbers (or empty cells): '\(line.prefix(80))'"); break
                }
            }
        }
        return out
    }

    /// Removes what writers that died left behind: hidden partial trial folders and temporary files.
    /// Shards and Slurm array tasks share a results folder, and each one starts by preparing it while
    /// others may be saving a trial, so a temporary is removed only when its writer (host and process id,
    /// from its name) is a dead process of this host, or when it is a day old (a writer on another node
    /// cannot be checked from here).
    func removeStalePartials() {
        let host = ResultsStore.hostName
        func removeIfAbandoned(_ url: URL, host writer: String?, pid: Int32?) {
            if let pid, writer == host {
                if kill(pid, 0) == 0 || errno == EPERM { return }   // still writing
            } else {
                let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                if let modified, Date().timeIntervalSince(modified) < 86_400 { return }
            }
            try? fm.removeItem(at: url)
        }
        for name in (try? fm.contentsOfDirectory(atPath: trialsDir.path)) ?? [] where name.hasPrefix(".partial-") {
            // .partial-<trial id>-<host>-<pid>; <host> may hold dashes, the trial id and pid do not.
            let parts = name.dropFirst(".partial-".count).split(separator: "-", omittingEmptySubsequences: false)
            removeIfAbandoned(trialsDir.appendingPathComponent(name), host: parts.count >= 3 ? parts.dropFirst().dropLast().joined(separator: "-") : nil,
                              pid: parts.count >= 3 ? Int32(parts.last!) : nil)
        }
        // .tmp-<host>-<pid>-<file name> from writeAtomically; the host may hold dashes, so match it exactly.
        for dir in [root, checkpointsDir] {
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".tmp-") {
                let rest = name.dropFirst(".tmp-".count)
                var writer: String? = nil, pid: Int32? = nil
                if rest.hasPrefix(host + "-") {
                    writer = host
                    pid = rest.dropFirst(host.count + 1).split(separator: "-").first.flatMap { Int32($0) }
                }
                removeIfAbandoned(dir.appendingPathComponent(name), host: writer, pid: pid)
            }
        }
    }

    /// This machine's name as the temporary folders record it.
    static let hostName: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return String(cString: buf)
    }()

    /// The stored summary of a finished trial, or nil when the trial must (re)run. A folder whose files
    /// are missing, truncated or made by another configuration is removed so that the trial runs again.
    public func completed(_ trial: Trial) -> TrialSummary? {
        let dir = trialDir(trial.id)
        guard fm.fileExists(atPath: dir.path) else { return nil }
        if let cfg = try? Data(contentsOf: dir.appendingPathComponent("config.json")),
           let cfgObj = JSON.parse(cfg) as? [String: Any], cfgObj["id"] as? String == trial.id,
           let s = try? Data(contentsOf: dir.appendingPathComponent("summary.json")),
           let summary = JSON.parse(s).flatMap(TrialSummary.init(json:)), summary.id == trial.id,
           fm.fileExists(atPath: dir.appendingPathComponent("curve.csv").path),
           summary.status == "done" || summary.status == "diverged" {
            return summary
        }
        try? fm.removeItem(at: dir)
        return nil
    }

    public func summary(_ id: String) -> TrialSummary? {
        (try? Data(contentsOf: trialDir(id).appendingPathComponent("summary.json"))).flatMap { JSON.parse($0) }.flatMap(TrialSummary.init(json:))
    }

    public func curve(_ id: String) -> TrialCurve? {
        guard let text = try? String(contentsOf: trialDir(id).appendingPathComponent("curve.csv"), encoding: .utf8) else { return nil }
        var lines = text.split(separator: "\n")
        guard !lines.isEmpty else { return nil }
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) ?? .nan } }
        return TrialCurve(columns: header, rows: rows.filter { $0.count == header.count })
    }

    /// Writes a finished trial: everything into a hidden folder, summary.json last, then one rename.
    /// A failure (a full disk) removes the hidden folder and throws a `WriteError` naming the file that
    /// could not be written, so the trial is absent, never half-written, and runs again next time.
    public func save(_ r: TrialResult, study: Study) throws {
        let tmp = trialsDir.appendingPathComponent(".partial-\(r.trial.id)-\(ResultsStore.hostName)-\(getpid())")
        let dest = trialDir(r.trial.id)
        try? fm.removeItem(at: tmp)
        do {
            do {
                try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            } catch {
                throw WriteError(path: tmp.path, bytes: 0, error: error)
            }
            let config = JSON.object([("id", .string(r.trial.id)), ("study", .string(study.name))] + { if case .object(let o) = nestedJSON(r.trial.config) { return o }; return [] }())
            try writeAtomically(config.render() + "\n", to: tmp.appendingPathComponent("config.json"))
            try writeAtomically(curveCSV(r), to: tmp.appendingPathComponent("curve.csv"))
            var timing = "step,wall_seconds\n"
            for (rec, w) in zip(r.outcome.records, r.outcome.wallSeconds) { timing += "\(rec.step),\(w)\n" }
            try writeAtomically(timing, to: tmp.appendingPathComponent("timing.csv"))
            if let probes = r.probeSnapshots { try writeAtomically(probes.render() + "\n", to: tmp.appendingPathComponent("probes.json")) }
            try writeAtomically(summaryJSON(r, study: study).render() + "\n", to: tmp.appendingPathComponent("summary.json"))
            try? fm.removeItem(at: dest)
            if rename(tmp.path, dest.path) != 0 { throw WriteError(path: dest.path, bytes: 0, code: errno) }
        } catch {
            try? fm.removeItem(at: tmp)
            throw WriteError(path: tmp.path, bytes: 0, error: error).at(tmp.path, becoming: dest.path)
        }
    }

    /// The columns every curve.csv has held since the first format; the reports read these. Later columns
    /// (softmax_collapse, earlier train_saturated; per-tensor norms; probes) are read where present, so a folder written by an
    /// earlier version is not damaged for lacking them.
    public static let requiredCurveColumns = ["step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "weight_norm", "lr"]

    public static func curveColumns(tensors: [String]) -> [String] {
        requiredCurveColumns + ["softmax_collapse"] + tensors.map { "norm_" + $0 }
    }

    func curveCSV(_ r: TrialResult) -> String {
        // With label noise on a table, the accuracies on the corrupted and clean rows follow softmax_collapse.
        let noisy = r.outcome.records.contains { $0.noise != nil }
        var columns = ResultsStore.curveColumns(tensors: r.metricColumns)
        if noisy { columns.insert(contentsOf: NoiseAccuracy.columns, at: ResultsStore.requiredCurveColumns.count + 1) }
        var s = (columns + r.probeColumns).joined(separator: ",") + "\n"
        for rec in r.outcome.records {
            let probes = rec.probes.count == r.probeColumns.count ? rec.probes : [Double](repeating: .nan, count: r.probeColumns.count)
            let noise = noisy ? rec.noise?.values ?? [Double](repeating: .nan, count: NoiseAccuracy.columns.count) : []
            let vals = [rec.trainLoss, rec.trainAccuracy, rec.valLoss, rec.valAccuracy, rec.weightNorm, rec.learningRate, rec.softmaxCollapse] + noise + rec.tensorNorms + probes
            s += String(rec.step) + "," + vals.map(csvNumber).joined(separator: ",") + "\n"
        }
        return s
    }

    func summaryJSON(_ r: TrialResult, study: Study) -> JSON {
        let last = r.outcome.records.last
        let final: JSON = last.map { l in
            .object([("step", .int(l.step)), ("train_loss", .num(l.trainLoss)), ("train_accuracy", .num(l.trainAccuracy)),
                     ("val_loss", .num(l.valLoss)), ("val_accuracy", .num(l.valAccuracy)), ("weight_norm", .num(l.weightNorm))]
                    + zip(NoiseAccuracy.columns, l.noise?.values ?? []).map { ($0, .num($1)) })
        } ?? .null
        return .object([
            ("id", .string(r.trial.id)),
            ("study", .string(study.name)),
            ("status", .string(r.outcome.status.rawValue)),
            ("message", r.outcome.message.map { .string($0) } ?? .null),
            ("seed_index", .int(r.trial.seedIndex)),
            ("sweep", .object(r.trial.point.map { ($0.0, $0.1.jsonValue) })),
            ("steps_run", .int(r.outcome.stepsRun)),
            ("stopped_by_event", .bool(r.outcome.stoppedByEvent)),
            ("parameter_count", .int(r.parameterCount)),
            ("train_size", .int(r.trainSize)),
            ("validation_size", .int(r.validationSize)),
        ] + (r.corruptedRows.map { [("corrupted_rows", .int($0))] } ?? []) + [
            ("events", .object(r.events.map { e in
                (e.name, .object([("step", e.step.map { .int($0) } ?? .null),
                                  ("previous_eval_step", e.previousEvalStep.map { .int($0) } ?? .null),
                                  ("censored", .bool(e.step == nil)),
                                  ("censored_at", e.censoredAt.map { .int($0) } ?? .null)]))
            })),
            ("final", final),
            ("numerics", numerics(r.outcome.records)),
            ("wall_seconds", .num(r.outcome.totalSeconds)),
            ("threads", .int(r.threads)),
        ] + (r.probeSeconds.map { [("probe_seconds", .num($0))] } ?? []) + (r.size.map { [("size", $0.json)] } ?? []))
    }

    /// Float precision trouble in a curve: the largest share of saturated softmax rows, and loss spikes
    /// (an evaluation whose training loss is more than 10 times the previous one's and above 1e-4).
    func numerics(_ records: [EvalRecord]) -> JSON {
        var spikes: [Int] = []
        for (a, b) in zip(records, records.dropFirst()) where b.trainLoss > 10 * a.trainLoss && b.trainLoss > 1e-4 { spikes.append(b.step) }
        return .object([
            ("max_softmax_collapse", .num(records.map(\.softmaxCollapse).max() ?? 0)),
            ("loss_spike_steps", .array(spikes.map { .int($0) })),
            ("rule", .string("saturated: other classes' softmax mass below half an ulp of 1 in the training precision; spike: train loss > 10x the previous evaluation's and > 1e-4")),
        ])
    }

    /// trials.csv: one row per trial of the study (finished or not), pandas-ready.
    public func writeTrialsCSV(_ study: Study) throws {
        let trials = study.trials
        // Every key of any trial: a sweep can add keys to some trials only (a regularization kind's dropout rate).
        let configKeys = Set(trials.flatMap { $0.config.keys }).sorted()
        let eventNames = study.events.map(\.name)
        var header = ["id", "status"] + configKeys + ["steps_run", "parameter_count", "wall_seconds"]
        header += eventNames.flatMap { ["\($0)_step", "\($0)_censored"] }
        header += ["final_train_accuracy", "final_val_accuracy", "final_train_loss", "final_val_loss"]
        var s = header.joined(separator: ",") + "\n"
        for t in trials {
            let sum = summary(t.id)
            var row = [t.id, sum?.status ?? "pending"] + configKeys.map { csvField(t.value(at: $0)?.description ?? "") }
            row += [sum.map { String($0.stepsRun) } ?? "", sum.map { String($0.parameterCount) } ?? "", sum.map { csvNumber($0.wallSeconds) } ?? ""]
            for e in eventNames {
                let ev = sum?.events[e]
                row += [ev?.step.map(String.init) ?? "", ev.map { $0.step == nil ? "true" : "false" } ?? ""]
            }
            for k in ["train_accuracy", "val_accuracy", "train_loss", "val_loss"] { row.append(sum?.final[k].map(csvNumber) ?? "") }
            s += row.joined(separator: ",") + "\n"
        }
        try writeAtomically(s, to: root.appendingPathComponent("trials.csv"))
    }
}

/// Numbers in CSV: shortest round-trip text; non-finite values as empty fields.
public func csvNumber(_ d: Double) -> String { d.isFinite ? d.description : "" }

func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

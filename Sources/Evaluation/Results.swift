// What a results folder holds for a study: its trials, in the study's order, with the summaries
// written so far. Everything in Evaluation starts here; nothing here trains.
import Foundation
import Studies

/// A study's trials with whatever results exist for them.
public struct StudyResults {
    public let study: Study
    public let store: ResultsStore
    public let trials: [Trial]
    public let summaries: [String: TrialSummary]

    public init(study: Study, store: ResultsStore) {
        self.study = study
        self.store = store
        trials = study.trials
        var s: [String: TrialSummary] = [:]
        for t in trials { if let x = store.summary(t.id) { s[t.id] = x } }
        summaries = s
    }

    public var missing: [Trial] { trials.filter { summaries[$0.id] == nil } }

    /// Whether an event can happen in a trial with this summary: not when it reads the corrupted training pairs
    /// and the trial has none (label noise 0). The events table and the statistics both ask this.
    public func eventApplies(_ event: String, to summary: TrialSummary) -> Bool {
        !(study.events.first { $0.name == event }?.rule.needsCorruptedRows ?? false) || summary.raw["corrupted_rows"] != nil
    }

    /// Trials grouped by sweep point, in the study's order.
    public var groups: [(key: String, trials: [Trial])] {
        var order: [String] = []
        var map: [String: [Trial]] = [:]
        for t in trials {
            if map[t.groupKey] == nil { order.append(t.groupKey) }
            map[t.groupKey, default: []].append(t)
        }
        return order.map { ($0, map[$0]!) }
    }
}

// The events of each configuration as a report's first table counts them: every trial of the study
// (one without a result yet counts as "missing"), k of n reached, the sample median of the reached
// steps when more than half reached, each seed's step, and the median delay between two events. The
// intervals and the censoring-aware estimates are StudyStatistics' (StepsAxis.swift).
import Foundation
import Studies

public struct ConfigurationEvents: Sendable {
    public static let medianMethod = "sample median of the reached steps, reported only when more than half of the trials reached the event"

    public struct Event: Sendable {
        public var name: String
        public var reached: Int
        /// The trials the event applies to.
        public var trials: Int
        /// The sample median of the reached steps; nil unless more than half of the trials reached it.
        public var medianStep: Double?
        /// Per trial, in seed order: the step, or nil (not reached or no result).
        public var steps: [Int?]
        /// Per trial: the step, "censored", "missing" or "n/a" (an event on corrupted pairs in a trial without label noise).
        public var labels: [String]
    }

    public var key: String
    public var trials: [Trial]
    public var events: [Event]
    /// The two events of the delay (memorization and generalization when the study names them), if any.
    public var delayPair: (first: String, second: String)?
    /// The sample median of (second − first) over the trials that reached both, when more than half did.
    public var medianDelay: Double?

    /// The configurations of a study in its order.
    public static func of(_ r: StudyResults) -> [ConfigurationEvents] {
        let names = r.study.events.map(\.name)
        let memo = names.contains("memorization") ? "memorization" : names.first
        let gen = names.contains("generalization") ? "generalization" : names.dropFirst().first
        return r.groups.map { g in
            func step(_ t: Trial, _ e: String) -> Int? { r.summaries[t.id]?.events[e]?.step }
            let events = names.map { e -> Event in
                // An event on the corrupted pairs cannot happen in a trial without them (label noise 0): not applicable.
                // A trial without a result yet counts (as missing).
                func applies(_ t: Trial) -> Bool { r.summaries[t.id].map { r.eventApplies(e, to: $0) } ?? true }
                let counted = g.trials.filter(applies)
                let steps = g.trials.map { step($0, e) }
                let reached = counted.compactMap { step($0, e) }
                return Event(name: e, reached: reached.count, trials: counted.count,
                             medianStep: reached.count * 2 > counted.count ? median(reached) : nil, steps: steps,
                             labels: g.trials.map { t in !applies(t) ? "n/a" : step(t, e).map(String.init) ?? (r.summaries[t.id] == nil ? "missing" : "censored") })
            }
            var pair: (String, String)? = nil, delay: Double? = nil
            if let memo, let gen {
                pair = (memo, gen)
                let delays = g.trials.compactMap { t -> Int? in
                    guard let a = step(t, memo), let b = step(t, gen) else { return nil }
                    return b - a
                }
                delay = delays.count * 2 > g.trials.count ? median(delays) : nil
            }
            return ConfigurationEvents(key: g.key, trials: g.trials, events: events, delayPair: pair, medianDelay: delay)
        }
    }

    /// The sample median (the mean of the two middle values for an even count).
    static func median(_ v: [Int]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

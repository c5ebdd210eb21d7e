// The statistics of one results folder (DESIGN.md, "Statistics"): per configuration, every event's
// k of n with its Clopper-Pearson interval, Kaplan-Meier median and a summary of the reached steps;
// the delay between memorization and generalization; logistic transition fits of each curve; and, per
// numeric swept key, the laws of steps-to-generalize compared by AIC, a trend verdict and a log-rank
// test between the key's first and last value. Computed with `Analysis` (GSL); encoded as JSON with
// every interval's method and level, and never NaN.
//
// Event times. An event's step is the first evaluation step at which it held; it happened somewhere in
// (previous evaluation, step], and that bracket is kept per trial. A trial that never reached an event
// is right-censored at its steps_run: it counts in k/n and enters Kaplan-Meier as "not yet at
// steps_run", but never enters a mean, a median of reached steps or a least-squares fit as a step.
import Analysis
import Foundation
import Studies

/// One swept key's value at a configuration.
public struct SweptValue: Codable, Sendable, Equatable {
    public var key: String
    /// The value as written in the study (e.g. "0.4", "adamw").
    public var value: String
    /// The value as a number, when it is one.
    public var number: Double?
}

/// One trial's time to one event: reached at `step` (bracket (previousEvalStep, step]) or censored.
public struct EventObservation: Codable, Sendable, Equatable {
    public var trial: String
    public var seed: Int
    /// The trial's status (done or diverged).
    public var status: String
    public var reached: Bool
    /// First evaluation step at which the event held (nil when censored).
    public var step: Int?
    /// The evaluation before it: the event happened in (previousEvalStep, step]. Nil when the event held
    /// at the first evaluation (then it happened at or before `step`).
    public var previousEvalStep: Int?
    /// When not reached: the step the trial stopped at (its steps_run); the event time exceeds it.
    public var censoredAt: Int?
}

/// One event in one configuration.
public struct EventStatistics: Codable, Sendable {
    public var event: String
    /// How event steps were measured (`StudyStatistics.eventStepMethod`).
    public var method: String
    /// k of n reached, Clopper-Pearson interval. n counts every trial with a result, censored ones included.
    public var reached: Proportion?
    public var censored: Int
    /// Kaplan-Meier estimate of P(event not yet by step t) with Greenwood log-log intervals. Its median is
    /// given only when more than half of the trials reached the event (otherwise nil, and the note says why).
    public var kaplanMeier: KaplanMeier
    /// Summary of the reached steps only (mean with t-interval, median with bootstrap intervals, every value).
    public var reachedSteps: Summary
    public var trials: [EventObservation]
    /// True when the event reads the corrupted training pairs and no trial of the configuration has any (label
    /// noise 0): it cannot happen there, so its k/n and Kaplan-Meier estimate say nothing. Nil otherwise.
    public var notApplicable: Bool? = nil
}

/// One trial's logistic fit of val_accuracy against log10 steps.
public struct TransitionRecord: Codable, Sendable {
    public var trial: String
    public var seed: Int
    /// 10^mid: the step at which validation accuracy is halfway through its rise.
    public var midpointSteps: Double
    /// "covariance-t, back-transformed from log10 steps".
    public var midpointInterval: Interval?
    /// Width in decades of steps (logistic scale parameter), with its interval.
    public var width: FittedParameter
    /// Decades between 10% and 90% of the rise: 2 ln 9 · |width|.
    public var riseDecades: Double
    /// lo, hi, mid (log10 steps), width: estimates with standard errors and covariance-t intervals.
    public var parameters: [FittedParameter]
    public var points: Int
    public var rSquared: Double?
    public var residualSD: Double?
    public var stopReason: String
}

/// A curve whose transition fit was not used, and why.
public struct SkippedFit: Codable, Sendable, Equatable {
    public var trial: String
    public var reason: String
}

public struct TransitionStatistics: Codable, Sendable {
    public var method: String
    public var fits: [TransitionRecord]
    public var skipped: [SkippedFit]
    /// Midpoints (steps) of the fits kept, across seeds.
    public var midpoints: Summary
    /// Widths (decades of steps) of the fits kept, across seeds.
    public var widths: Summary
}

/// One sweep point: its trials and their statistics.
public struct ConfigurationStatistics: Codable, Sendable {
    /// "key=value, ..." (empty for a study without a sweep).
    public var key: String
    public var point: [SweptValue]
    public var trialIds: [String]
    /// Trials of this configuration with a result (done or diverged).
    public var trialsWithResults: Int
    public var events: [EventStatistics]
    /// Steps from the first event to the second (generalization − memorization) per trial where both were
    /// reached; nil when the study lacks two events.
    public var delay: DelaySummary?
    public var transition: TransitionStatistics
}

public struct DelaySummary: Codable, Sendable {
    /// "generalization − memorization".
    public var definition: String
    public var note: String
    /// Trials with both events reached, by id, with their delay.
    public var trials: [String]
    public var summary: Summary
}

/// A log-rank test of one event between two values of a swept key (other keys pooled).
public struct LogRankComparison: Codable, Sendable {
    public var event: String
    public var first: String
    public var last: String
    public var trials: [Int]
    public var test: LogRankTest
}

/// Steps-to-generalize against one numeric swept key, over every trial (others keys pooled).
public struct SweepStatistics: Codable, Sendable {
    public var key: String
    public var event: String?
    /// Every trial's point: (value, step) or (value, steps_run) flagged censored.
    public var points: [LawPoint]
    public var observed: Int
    public var censored: Int
    /// Power law, exponential and shifted power law, least squares (censored excluded) and Tobit, by AIC.
    public var laws: LawComparison?
    /// Trend of the reached steps (log10) against the key; censored trials are left out of it (see note).
    public var trend: TrendVerdict?
    public var trendNote: String
    /// Spearman's rho of the event step against the key with censored trials ranked last, with one-sided
    /// permutation p-values: the test the trend expectation uses (`RankTrend`).
    public var rankTrend: RankTrend?
    /// Log-rank tests between the key's first and last value, one per event.
    public var logRank: [LogRankComparison]
    public var notes: [String]
}

/// The statistics of a results folder (see the file header).
public struct StudyStatistics: Codable, Sendable {
    public static let eventStepMethod = "first evaluation step at which the event held; bracket (previous evaluation, step]"
    public static let censoringMethod = "a trial that did not reach the event is right-censored at its steps_run: counted in k/n and in Kaplan-Meier as not yet reached, never as a step in a mean, median or least-squares fit"
    public static let transitionMethod = "logistic of val_accuracy in log10(step) by nonlinear least squares (GSL): acc = lo + (hi - lo)/(1 + exp(-(log10 step - mid)/width)); step 0 dropped; a fit is kept when it converged, the midpoint has a standard error and lies within the evaluated steps"

    public var study: String
    public var profile: String?
    public var studyHash: String
    public var level: Double
    public var trials: Int
    public var trialsWithResults: Int
    /// Trials without a result yet (ids).
    public var missing: [String]
    public var events: [String]
    public var eventStepMethod: String
    public var censoringMethod: String
    public var sweptKeys: [String]
    public var configurations: [ConfigurationStatistics]
    public var sweeps: [SweepStatistics]
    public var notes: [String]

    /// Computes everything from a study's results at confidence `level`.
    ///
    /// Throws a `StudyError` when a trial's summary.json exists but cannot be read (a damaged folder).
    public init(_ results: StudyResults, level: Double = 0.95) throws {
        let s = results.study
        study = s.name
        profile = s.profile
        studyHash = s.hash
        self.level = level
        trials = results.trials.count
        events = s.events.map(\.name)
        eventStepMethod = StudyStatistics.eventStepMethod
        censoringMethod = StudyStatistics.censoringMethod
        sweptKeys = s.sweep.map(\.path)
        notes = []

        for t in results.missing {
            let file = results.store.trialDir(t.id).appendingPathComponent("summary.json")
            if FileManager.default.fileExists(atPath: file.path) {
                throw StudyError(nil, "'\(file.path)' exists but is not a readable trial summary",
                                 hint: "run the study again ('descent run' redoes trials whose files are damaged), or delete that trial folder")
            }
        }
        // Results that count: done or diverged (a trial that failed outright wrote nothing).
        let usable = results.summaries.filter { $0.value.status == "done" || $0.value.status == "diverged" }
        for (id, sm) in results.summaries where usable[id] == nil {
            notes.append("trial \(id) has status '\(sm.status)' and is left out")
        }
        let diverged = usable.values.filter { $0.status == "diverged" }.count
        if diverged > 0 {
            notes.append("\(diverged) trial(s) diverged: their events count where reached before divergence, otherwise they are censored at the step they stopped")
        }
        trialsWithResults = usable.count
        missing = results.trials.filter { usable[$0.id] == nil }.map(\.id)
        if !missing.isEmpty { notes.append("\(missing.count) of \(trials) trials have no result yet and are left out") }

        let names = events
        let pair = StudyStatistics.eventPair(names)
        configurations = results.groups.map { g in
            let rows = g.trials.compactMap { t in usable[t.id].map { (t, $0) } }
            let evs = names.map { name -> EventStatistics in
                var e = StudyStatistics.eventStatistics(name, rows, level: level)
                if !rows.isEmpty && !rows.contains(where: { results.eventApplies(name, to: $0.1) }) { e.notApplicable = true }
                return e
            }
            var delay: DelaySummary? = nil
            if let (first, second) = pair {
                var ids: [String] = [], values: [Double] = []
                for (t, sm) in rows {
                    if let a = sm.events[first]?.step, let b = sm.events[second]?.step { ids.append(t.id); values.append(Double(b - a)) }
                }
                delay = DelaySummary(definition: "\(second) − \(first)",
                                     note: "per trial where both were reached, from the first evaluation steps at which each held (each uncertain by its bracket)",
                                     trials: ids, summary: summarize(values, level: level))
            }
            let point = g.trials[0].point.map { SweptValue(key: $0.0, value: $0.1.description, number: $0.1.asDouble) }
            return ConfigurationStatistics(key: g.key, point: point, trialIds: g.trials.map(\.id), trialsWithResults: rows.count,
                                           events: evs, delay: delay,
                                           transition: StudyStatistics.transitions(rows.map { $0.0 }, store: results.store, level: level))
        }

        let gen = pair?.1 ?? names.first
        var resultTrials = results.trials.compactMap { t in usable[t.id].map { (t, $0) } }
        if let baseline = s.baseline {
            // Arms are compared in the interventions table; the laws and trends of a swept key are the baseline arm's.
            resultTrials = resultTrials.filter { $0.0.value(at: "arm") == .string(baseline) }
            if !s.sweep.isEmpty { notes.append("the laws, trends and log-rank tests of each swept key use the baseline arm '\(baseline)' only; the interventions table compares the arms") }
        }
        sweeps = s.sweep.map { axis in
            StudyStatistics.sweepStatistics(axis, event: gen, events: names, rows: resultTrials, level: level)
        }
    }

    /// The two events whose delay is reported: (memorization, generalization) when the study names them,
    /// otherwise its first two events.
    static func eventPair(_ names: [String]) -> (String, String)? {
        if names.contains("memorization") && names.contains("generalization") { return ("memorization", "generalization") }
        return names.count >= 2 ? (names[0], names[1]) : nil
    }

    static func observation(_ event: String, _ t: Trial, _ sm: TrialSummary) -> EventObservation {
        let e = sm.events[event]
        if let step = e?.step {
            return EventObservation(trial: t.id, seed: t.seedIndex, status: sm.status, reached: true, step: step,
                                    previousEvalStep: e?.previousEvalStep, censoredAt: nil)
        }
        return EventObservation(trial: t.id, seed: t.seedIndex, status: sm.status, reached: false, step: nil,
                                previousEvalStep: nil, censoredAt: sm.stepsRun)
    }

    static func eventStatistics(_ event: String, _ rows: [(Trial, TrialSummary)], level: Double) -> EventStatistics {
        let obs = rows.map { observation(event, $0.0, $0.1) }
        let events = summarizeEvents(obs.map { o in o.reached ? .event(Double(o.step!)) : .censored(Double(o.censoredAt!)) }, level: level)
        var km = events.kaplanMeier
        let k = obs.filter(\.reached).count, n = obs.count
        if 2 * k <= n {
            km.median.estimate = nil
            km.median.interval = nil
            km.median.lowerBound = nil
            km.median.upperBound = nil
            km.median.note = "\(k) of \(n) reached: not more than half, so no median"
        }
        return EventStatistics(event: event, method: eventStepMethod, reached: events.reached, censored: n - k,
                               kaplanMeier: km, reachedSteps: summarize(obs.compactMap { $0.step.map(Double.init) }, level: level),
                               trials: obs)
    }

    /// Logistic transition fits of val_accuracy for each trial with a curve; failures kept with the reason.
    static func transitions(_ trials: [Trial], store: ResultsStore, level: Double) -> TransitionStatistics {
        var fits: [TransitionRecord] = [], skipped: [SkippedFit] = []
        for t in trials {
            guard let curve = store.curve(t.id) else { skipped.append(SkippedFit(trial: t.id, reason: "no readable curve.csv")); continue }
            guard let steps = curve.column("step"), let acc = curve.column("val_accuracy") else {
                skipped.append(SkippedFit(trial: t.id, reason: "curve.csv has no step or val_accuracy column")); continue
            }
            let tf: TransitionFit
            do {
                tf = try fitTransition(steps: steps, accuracy: acc, level: level)
            } catch {
                skipped.append(SkippedFit(trial: t.id, reason: "fit failed: \(error)")); continue
            }
            let positive = steps.filter { $0 > 0 && $0.isFinite }
            let lo = positive.min() ?? 0, hi = positive.max() ?? 0
            let reason: String?
            if !tf.fit.converged {
                reason = "did not converge (\(tf.fit.stopReason))"
            } else if !tf.midpointSteps.isFinite || !tf.riseDecades.isFinite || !tf.fit.parameters.allSatisfy({ $0.estimate.isFinite }) {
                reason = "non-finite estimate"
            } else if tf.fit["mid"]?.standardError == nil || tf.midpointInterval == nil {
                reason = "the midpoint has no standard error (singular Jacobian: the curve does not pin down a transition)"
            } else if tf.midpointSteps < lo || tf.midpointSteps > hi {
                reason = String(format: "midpoint %.4g steps lies outside the evaluated steps [%.0f, %.0f] (extrapolated: no transition observed)", tf.midpointSteps, lo, hi)
            } else {
                reason = nil
            }
            if let reason { skipped.append(SkippedFit(trial: t.id, reason: reason)); continue }
            fits.append(TransitionRecord(trial: t.id, seed: t.seedIndex, midpointSteps: tf.midpointSteps, midpointInterval: tf.midpointInterval,
                                         width: tf.width, riseDecades: tf.riseDecades, parameters: tf.fit.parameters, points: tf.fit.n,
                                         rSquared: tf.fit.rSquared, residualSD: tf.fit.residualSD, stopReason: tf.fit.stopReason))
        }
        return TransitionStatistics(method: transitionMethod, fits: fits, skipped: skipped,
                                    midpoints: summarize(fits.map(\.midpointSteps), level: level),
                                    widths: summarize(fits.map(\.width.estimate), level: level))
    }

    static func sweepStatistics(_ axis: SweepAxis, event: String?, events: [String], rows: [(Trial, TrialSummary)], level: Double) -> SweepStatistics {
        var notes: [String] = []
        let numeric = axis.values.allSatisfy { $0.asDouble != nil }
        var points: [LawPoint] = []
        var laws: LawComparison? = nil
        var verdict: TrendVerdict? = nil
        var trendNote = ""
        var rankTrend: RankTrend? = nil
        if let event, numeric {
            for (t, sm) in rows {
                guard let x = t.value(at: axis.path)?.asDouble else { continue }
                if let step = sm.events[event]?.step { points.append(LawPoint(x: x, t: Double(step))) }
                else { points.append(LawPoint(x: x, t: Double(sm.stepsRun), censored: true)) }
            }
            if Set(points.map(\.x)).count >= 2 {
                laws = encodableLaws(compareLaws(points, level: level))
                notes += lawNotes(laws!, points: points, level: level)
                let obs = points.filter { !$0.censored }
                verdict = trend(x: obs.map(\.x), y: obs.map(\.t), level: level, logY: true)
                if let v = verdict, !encodable(v) { verdict = nil; notes.append("the trend produced a non-finite value and is left out") }
                let nc = points.count - obs.count
                rankTrend = RankTrend(x: axis.path, y: "\(event)_step", xs: points.map(\.x), ys: points.map { $0.censored ? nil : $0.t })
                trendNote = "Spearman's rho and the least-squares slope of log10(\(event) step) on \(axis.path), over the \(obs.count) trials that reached \(event)"
                    + (nc > 0 ? "; \(nc) censored trial(s) left out (their steps exceed their budget, so leaving them out understates any trend toward longer times)" : "")
            } else {
                notes.append("fewer than two values of \(axis.path) have results: no law fit or trend")
            }
        } else if !numeric {
            notes.append("\(axis.path) is not numeric: no law fit or trend")
        } else {
            notes.append("the study has no event to fit")
        }
        // A numeric axis: its two ends. A categorical one (operations, regularizers): the first value
        // against each other value.
        var tests: [LogRankComparison] = []
        if axis.values.count >= 2, let first = axis.values.first {
            let others = numeric ? [axis.values.last!] : Array(axis.values.dropFirst())
            let g1 = rows.filter { $0.0.value(at: axis.path) == first }
            if g1.isEmpty { notes.append("no results yet at \(axis.path) = \(first): no log-rank test") }
            for other in others where !g1.isEmpty {
                let g2 = rows.filter { $0.0.value(at: axis.path) == other }
                guard !g2.isEmpty else {
                    notes.append("no results yet at \(axis.path) = \(other): no log-rank test")
                    continue
                }
                for e in events {
                    let o1 = g1.map { observation(e, $0.0, $0.1) }, o2 = g2.map { observation(e, $0.0, $0.1) }
                    let test = logRank(o1.map { o in o.reached ? .event(Double(o.step!)) : .censored(Double(o.censoredAt!)) },
                                       o2.map { o in o.reached ? .event(Double(o.step!)) : .censored(Double(o.censoredAt!)) })
                    tests.append(LogRankComparison(event: e, first: "\(axis.path)=\(first)", last: "\(axis.path)=\(other)",
                                                   trials: [g1.count, g2.count], test: test))
                }
            }
        }
        return SweepStatistics(key: axis.path, event: numeric ? event : nil, points: points, observed: points.filter { !$0.censored }.count,
                               censored: points.filter(\.censored).count, laws: laws, trend: verdict, trendNote: trendNote,
                               rankTrend: rankTrend, logRank: tests, notes: notes)
    }

    /// Notes that keep a reader from over-reading the AIC table: laws with as many parameters as there are
    /// distinct x values among the reached trials only interpolate the group means; and a linear-in-log law
    /// whose solver "made no progress" started at the exact least-squares solution (checked here with
    /// gsl_fit_linear on the transformed data), so that solution is the minimum.
    static func lawNotes(_ c: LawComparison, points: [LawPoint], level: Double) -> [String] {
        var notes: [String] = []
        let obs = points.filter { !$0.censored }
        let d = Set(obs.map(\.x)).count
        for f in c.fits {
            let p = f.fittedParameters.count
            if p == d {
                notes.append("\(f.formula): \(p) parameters for \(d) distinct x values among the reached trials, so it passes through the \(d) group means of log T: every law with \(p) parameters fits as well (same AIC), and the data cannot test its shape")
            } else if p > d {
                notes.append("\(f.formula): \(p) parameters for \(d) distinct x values among the reached trials: not identified (its standard errors are meaningless)")
            }
        }
        for f in c.fits where !f.converged && (f.law == .powerLaw || f.law == .exponential) {
            let u = obs.map { f.law == .powerLaw ? Foundation.log($0.x) : $0.x }, y = obs.map { Foundation.log($0.t) }
            guard let lin = try? fitLinear(x: u, y: y, level: level), lin.parameters.count == 2 else { continue }
            let same = zip(lin.parameters.map(\.estimate), f.fittedParameters.map(\.estimate)).allSatisfy { abs($0 - $1) <= 1e-8 * max(1, abs($0)) }
            if same {
                notes.append("\(f.formula): the solver stopped at its start, which is the exact least-squares solution of the linear fit of log T (checked with gsl_fit_linear): the estimates are the minimum")
            }
        }
        return notes
    }

    static func encodable<T: Encodable>(_ value: T) -> Bool { (try? JSONEncoder().encode(value)) != nil }

    /// Moves any fit holding a non-finite number (an overflowing estimate) to the failures, with the reason.
    static func encodableLaws(_ c: LawComparison) -> LawComparison {
        var c = c
        for f in c.fits where !encodable(f) { c.failures.append("\(f.law.rawValue) (least squares): a non-finite estimate; left out") }
        for f in c.censoredFits where !encodable(f) { c.failures.append("\(f.law.rawValue) (censored likelihood): a non-finite estimate; left out") }
        c.fits = c.fits.filter { encodable($0) }
        c.censoredFits = c.censoredFits.filter { encodable($0) }
        return c
    }

    /// The statistics as JSON: sorted keys, pretty printed. Encoding fails rather than write NaN or infinity.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

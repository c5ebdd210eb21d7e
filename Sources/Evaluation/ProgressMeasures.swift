// Which progress measure predicts when grokking happens: each measure's value at an anchor snapshot of
// every trial (probes.json; the first evaluation at which the anchor event held, memorization by default)
// against the trial's generalization step, censored at its budget when it never generalized, by Harrell's
// concordance index with a bootstrap interval over trials (Analysis/Concordance.swift). C above 1/2: a
// higher value goes with sooner generalization; below: with later. Measures are ranked by |C − 1/2|, the
// strength of the ordering whichever its direction. Trials without the anchor snapshot (they never reached
// the anchor event, or ran without probes) are left out and counted.
//
// Landmarks: the measures that curve.csv records over training (weight norm, Fourier top-5 share,
// softmax collapse, training loss; the frequency losses and flatness when their probes are on) are also read at later landmarks, the first evaluation at or after
// k × each trial's anchor step (k = 2, 4, 8), over the trials still at risk there (landmark analysis: a
// trial that reached the event by its landmark, or stopped before it, is left out, so no measure is read
// after the event it is to predict).
import Analysis
import Foundation
import func Linalg.stableHash
import struct Analysis.EventTime
import Studies

public struct MeasurePrediction: Codable, Sendable {
    public var measure: String
    /// What the measure is, for the report.
    public var about: String
    public var trials: Int
    public var concordance: Concordance
    public var lower: Double?
    public var upper: Double?
    /// "sooner" when a higher value goes with sooner generalization (C > 1/2), "later" when with later, "none" at 1/2.
    public var higherMeans: String
    /// |C − 1/2|.
    public var strength: Double?
    /// C over the pairs of trials that share their configuration (the sweep point: a stratified C), with its
    /// bootstrap interval: how well the measure orders seeds beyond what the settings already say. Nil in a
    /// study of one configuration (then it is C) or when no such pair is comparable.
    public var withinConfiguration: Concordance?
    public var withinLower: Double?
    public var withinUpper: Double?
}

/// How far a curve measure's change of regime comes before validation accuracy's, over the trials that
/// reached the event: each change point the knot of the hinge fit (Analysis/ChangePoint.swift) in log10 step
/// over the evaluations from the anchor step to the end of the run.
public struct LeadTime: Codable, Sendable {
    public var measure: String
    public var about: String
    public var trials: Int
    /// The median over trials of (validation accuracy's change-point step − the measure's), with its bootstrap interval:
    /// positive when the measure changes first.
    public var medianLead: Double
    public var lower: Double?
    public var upper: Double?
    /// The median of the lead as a share of validation accuracy's change-point step.
    public var medianShare: Double
    /// Trials whose measure changed at or before validation accuracy did.
    public var first: Int
}

/// The curve measures at one landmark, k × the anchor step.
public struct LandmarkRanking: Codable, Sendable {
    public var multiple: Int
    /// Trials still at risk at their landmark, and of them those that later reached the event.
    public var atRisk: Int
    public var reached: Int
    /// Best first.
    public var measures: [MeasurePrediction]
}

public struct ProgressMeasureRanking: Codable, Sendable {
    public static let method = "Harrell's C between each measure at the anchor snapshot and the censored generalization step (comparable pairs: the earlier time an event; ties in the measure count 1/2), with a 95 % percentile bootstrap interval over trials; ranked by |C − 1/2|"
    public var anchor: String
    public var event: String
    public var method: String
    /// Trials with the anchor snapshot, and those left out without it.
    public var trials: Int
    public var leftOut: Int
    /// Trials that reached the event (the rest are censored).
    public var reached: Int
    /// Best first.
    public var measures: [MeasurePrediction]
    /// The curve measures at later landmarks.
    public var landmarks: [LandmarkRanking]
    /// Each curve measure's change point against validation accuracy's, longest lead first.
    public var leads: [LeadTime]
    /// The median over those trials of validation accuracy's change-point step, and of the event's step.
    public var medianValidationChange: Double?
    public var medianEventStep: Double?
    public static let leadMethod = "change point: the knot of the least-squares continuous two-segment linear fit (gsl_multifit_linear) of the measure against log10(step), over the evaluations from the anchor step to the end, at least 3 on each side; lead: validation accuracy's change-point step minus the measure's, per trial that reached the event; the median with a 95 % percentile bootstrap interval over trials"
}

public enum ProgressMeasures {
    /// The measures curve.csv records at every evaluation, on training data only: (column, what it is).
    static let curveFields: [(String, String)] = [
        ("weight_norm", "the total weight norm"),
        ("fourier_top5_share", "the embeddings' Fourier power in their five strongest frequencies"),
        ("softmax_collapse", "the share of training rows in softmax collapse"),
        ("train_loss", "the training loss"),
        ("excluded_loss", "the training loss without the key frequencies (Nanda et al.)"),
        ("restricted_loss", "the whole-table loss of the key frequencies alone (Nanda et al.)"),
        ("hessian_top_eigenvalue", "the training loss's Hessian top eigenvalue (flatness; probes.curvature_points)"),
        ("sharpness", "the loss increase under random 1 % perturbations (flatness; probes.curvature_points)"),
    ]
    /// A curve column's value at row i: the last one measured at or before it (a probe on a sparser schedule leaves
    /// the rows between its measurements empty).
    static func latest(_ column: [Double], at i: Int) -> Double {
        column[...i].last(where: \.isFinite) ?? .nan
    }
    static let landmarkMultiples = [2, 4, 8]
    /// Fewest trials for a concordance (at the anchor or a landmark): with fewer, a bootstrap over trials has too
    /// few distinct resamples for its interval to mean anything (three trials give intervals like [1, 1]).
    public static let minimumTrials = 8
    /// Fewest trials that reached the event for a median lead time.
    public static let minimumLeadTrials = 5

    /// Measures ranked by Harrell's C, strongest first (those with fewer than `minimumTrials` finite values or no comparable pair left out).
    static func predictions(_ times: [EventTime], _ values: [[Double]], _ strata: [Int], _ fields: [(String, String)], seed: String, resamples: Int) -> [MeasurePrediction] {
        var measures: [MeasurePrediction] = []
        let stratified = Set(strata).count > 1
        for (j, (name, about)) in fields.enumerated() {
            let scores = values.map { $0[j] }
            guard scores.filter(\.isFinite).count >= minimumTrials else { continue }
            let (c, boot) = harrellCInterval(times: times, scores: scores, seed: stableHash("progress|\(seed)|\(name)"), resamples: resamples)
            guard let value = c.c else { continue }
            var m = MeasurePrediction(measure: name, about: about, trials: scores.filter(\.isFinite).count, concordance: c,
                                      lower: boot?.percentile?.lower, upper: boot?.percentile?.upper,
                                      higherMeans: value > 0.5 ? "sooner" : value < 0.5 ? "later" : "none", strength: abs(value - 0.5))
            if stratified {
                let (w, wb) = harrellCInterval(times: times, scores: scores, strata: strata, seed: stableHash("progress-within|\(seed)|\(name)"), resamples: resamples)
                if w.c != nil { m.withinConfiguration = w; m.withinLower = wb?.percentile?.lower; m.withinUpper = wb?.percentile?.upper }
            }
            measures.append(m)
        }
        return measures.sorted { ($0.strength ?? 0) > ($1.strength ?? 0) }
    }
    /// The measures read from a snapshot: (name, snapshot field, what it is). Those without a field (the weight norm, the
    /// frequency losses) come from curve.csv at the snapshot's step.
    static let fields: [(String, String, String)] = [
        ("hessian_top_eigenvalue", "hessian_top_eigenvalue", "the training loss's Hessian top eigenvalue (flatness)"),
        ("sharpness", "sharpness", "the loss increase under random 1 % perturbations (flatness)"),
        ("llc", "llc", "the local learning coefficient (SGLD)"),
        ("fourier_top5_share", "top5_share", "the embeddings' Fourier power in their five strongest frequencies"),
        ("fourier_gini", "gini", "the Gini coefficient of the embeddings' Fourier spectrum"),
        ("weight_norm", "", "the total weight norm"),
        ("excluded_loss", "", "the training loss without the key frequencies (Nanda et al.)"),
        ("restricted_loss", "", "the whole-table loss of the key frequencies alone (Nanda et al.)"),
    ]

    /// The ranking at `anchor` for `event`, or nil when fewer than `minimumTrials` trials have the anchor snapshot.
    public static func rank(_ r: StudyResults, anchor: String = "memorization", event: String = "generalization",
                            resamples: Int = 2000) -> ProgressMeasureRanking? {
        var times: [EventTime] = [], values: [[Double]] = [], strata: [Int] = []
        var leftOut = 0
        // Each configuration (the sweep point and arm, without the seed) a stratum.
        var configurations: [String: Int] = [:]
        func stratum(_ t: Trial) -> Int {
            if let k = configurations[t.groupKey] { return k }
            configurations[t.groupKey] = configurations.count
            return configurations.count - 1
        }
        // Each trial's curve is read once, for the anchor and every landmark.
        var read: [String: TrialCurve?] = [:]
        func curve(_ id: String) -> TrialCurve? {
            if let c = read[id] { return c }
            let c = r.store.curve(id)
            read[id] = c
            return c
        }
        for t in r.trials {
            guard let s = r.summaries[t.id] else { continue }
            let url = r.store.trialDir(t.id).appendingPathComponent("probes.json")
            guard let data = try? Data(contentsOf: url), let doc = JSON.parse(data) as? [String: Any],
                  let snap = (doc["snapshots"] as? [String: Any])?[anchor] as? [String: Any], let step = snap["step"] as? Int else { leftOut += 1; continue }
            times.append(s.events[event]?.step.map { EventTime.event(Double($0)) } ?? EventTime.censored(Double(s.stepsRun)))
            strata.append(stratum(t))
            values.append(fields.map { name, field, _ in
                if field.isEmpty {          // read from curve.csv at the snapshot's step
                    guard let c = curve(t.id), let st = c.column("step"), let w = c.column(name),
                          let i = st.firstIndex(of: Double(step)) else { return .nan }
                    return w[i]
                }
                return (snap[field] as? NSNumber)?.doubleValue ?? .nan
            })
        }
        guard times.count >= minimumTrials else { return nil }
        let measures = predictions(times, values, strata, fields.map { ($0.0, $0.2) }, seed: "\(anchor)|\(event)", resamples: resamples)
        // Landmarks at k × each trial's anchor step, over the trials still at risk there.
        var landmarks: [LandmarkRanking] = []
        for k in landmarkMultiples {
            var lt: [EventTime] = [], lv: [[Double]] = [], ls: [Int] = []
            for t in r.trials {
                guard let s = r.summaries[t.id], let a = s.events[anchor]?.step, a > 0, let c = curve(t.id), let st = c.column("step"),
                      let i = st.firstIndex(where: { $0 >= Double(k * a) }) else { continue }
                let landmark = st[i]
                if let e = s.events[event]?.step, Double(e) <= landmark { continue }       // no longer at risk
                lt.append(s.events[event]?.step.map { EventTime.event(Double($0)) } ?? EventTime.censored(Double(s.stepsRun)))
                ls.append(stratum(t))
                lv.append(curveFields.map { name, _ in c.column(name).map { latest($0, at: i) } ?? .nan })
            }
            guard lt.count >= minimumTrials else { continue }
            let m = predictions(lt, lv, ls, curveFields, seed: "\(anchor)×\(k)|\(event)", resamples: resamples)
            if !m.isEmpty { landmarks.append(LandmarkRanking(multiple: k, atRisk: lt.count, reached: lt.filter(\.observed).count, measures: m)) }
        }
        // Lead times: each measure's change point against validation accuracy's, over the trials that reached the event.
        var changes: [String: [(measure: Double, validation: Double)]] = [:]
        var validationSteps: [Double] = [], eventSteps: [Double] = []
        for t in r.trials {
            guard let s = r.summaries[t.id], let a = s.events[anchor]?.step, let e = s.events[event]?.step, let c = curve(t.id),
                  let st = c.column("step"), let va = c.column("val_accuracy") else { continue }
            let window = st.indices.filter { st[$0] >= Double(max(a, 1)) }
            // The step of a column's change point over the window's finite values.
            func change(_ col: [Double]) -> Double? {
                let rows = window.filter { col[$0].isFinite }
                return hingeChangePoint(x: rows.map { log10(st[$0]) }, y: rows.map { col[$0] }).map { st[rows[$0.index]] }
            }
            guard let vStep = change(va) else { continue }
            validationSteps.append(vStep); eventSteps.append(Double(e))
            for (name, _) in curveFields {
                guard let col = c.column(name), let mStep = change(col) else { continue }
                changes[name, default: []].append((mStep, vStep))
            }
        }
        var leads: [LeadTime] = []
        for (name, about) in curveFields {
            guard let pairs = changes[name], pairs.count >= minimumLeadTrials else { continue }
            let lead = pairs.map { $0.validation - $0.measure }
            let b = bootstrap(lead, seed: stableHash("lead|\(anchor)|\(event)|\(name)"), resamples: resamples, statistic: medianOf)
            leads.append(LeadTime(measure: name, about: about, trials: pairs.count, medianLead: b.estimate, lower: b.percentile?.lower, upper: b.percentile?.upper,
                                  medianShare: medianOf(pairs.map { ($0.validation - $0.measure) / $0.validation }), first: lead.filter { $0 >= 0 }.count))
        }
        leads.sort { $0.medianLead > $1.medianLead }
        return ProgressMeasureRanking(anchor: anchor, event: event, method: ProgressMeasureRanking.method, trials: times.count, leftOut: leftOut,
                                      reached: times.filter(\.observed).count, measures: measures, landmarks: landmarks, leads: leads,
                                      medianValidationChange: validationSteps.isEmpty ? nil : medianOf(validationSteps),
                                      medianEventStep: eventSteps.isEmpty ? nil : medianOf(eventSteps))
    }
}

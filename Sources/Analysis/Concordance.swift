// Harrell's concordance index between a score and a right-censored event time (Harrell et al. 1982,
// 1996): the share of comparable pairs that the score orders correctly.
//
// A pair (i, j) is comparable when the one with the shorter observed time had the event: t_i < t_j with
// δ_i = 1, or t_i = t_j with δ_i = 1 and δ_j = 0 (j, censored at the time of i's event, is taken to
// outlive it). Two events at the same time, and pairs whose shorter time is censored, are not comparable.
// A comparable pair is concordant when the one with the earlier event has the higher score, discordant
// when it has the lower score, and tied in score otherwise (it counts one half):
//   C = (concordant + tied / 2) / comparable.
// So C > 1/2 when a higher score goes with an earlier event, C < 1/2 when with a later one, and C = 1/2 for
// a score that orders nothing. This is the convention of Hmisc's rcorr.cens and of scikit-survival's
// concordance_index_censored (a score "tied" when the two are equal; no tolerance is applied here).
// With no censoring and no ties C = (1 + Kendall's τ_b between the score and −time) / 2.
//
// The interval resamples the subjects (a percentile and BCa bootstrap, `bootstrap`); a replicate with no
// comparable pair is left out.

import Foundation

public struct Concordance: Codable, Sendable, Equatable {
    /// C, or nil with no comparable pair.
    public var c: Double?
    public var concordant: Int
    public var discordant: Int
    /// Comparable pairs with equal scores.
    public var tiedScore: Int
    public var comparable: Int
}

/// Harrell's C of `scores` against `times` (definitions in the file header). Subjects with a non-finite
/// score are left out. With `strata`, only pairs of subjects in the same stratum count (a stratified C: the
/// measure's ordering within groups that share their settings, not between them).
public func harrellC(times: [EventTime], scores: [Double], strata: [Int]? = nil) -> Concordance {
    precondition(times.count == scores.count, "harrellC: \(times.count) times for \(scores.count) scores")
    precondition(strata == nil || strata!.count == times.count, "harrellC: \(strata?.count ?? 0) strata for \(times.count) subjects")
    let group = strata ?? [Int](repeating: 0, count: times.count)
    let subjects = times.indices.filter { scores[$0].isFinite }.map { (times[$0], scores[$0], group[$0]) }
    var concordant = 0, discordant = 0, tied = 0
    for (i, (ti, si, gi)) in subjects.enumerated() where ti.observed {
        for (j, (tj, sj, gj)) in subjects.enumerated() where j != i && gj == gi {
            // i had its event first, and j outlived it (a later time, or censored at the same time).
            guard tj.time > ti.time || (tj.time == ti.time && !tj.observed) else { continue }
            if si > sj { concordant += 1 } else if si < sj { discordant += 1 } else { tied += 1 }
        }
    }
    let comparable = concordant + discordant + tied
    return Concordance(c: comparable > 0 ? (Double(concordant) + Double(tied) / 2) / Double(comparable) : nil,
                       concordant: concordant, discordant: discordant, tiedScore: tied, comparable: comparable)
}

/// Harrell's C with a bootstrap interval over subjects (nil intervals with fewer than two subjects).
public func harrellCInterval(times: [EventTime], scores: [Double], strata: [Int]? = nil, level: Double = 0.95, seed: UInt64,
                             resamples: Int = 2000) -> (concordance: Concordance, bootstrap: BootstrapResult?) {
    let all = harrellC(times: times, scores: scores, strata: strata)
    guard all.c != nil, times.count >= 2 else { return (all, nil) }
    let indices = times.indices.map(Double.init)
    let result = bootstrap(indices, level: level, seed: seed, resamples: resamples) { sample in
        let rows = sample.map { Int($0) }
        return harrellC(times: rows.map { times[$0] }, scores: rows.map { scores[$0] }, strata: strata.map { g in rows.map { g[$0] } }).c ?? .nan
    }
    return (all, result)
}

// Harrell's C against a data set counted by hand (below), a known identity with Kendall's τ, and its
// symmetry: ties in time, in score and censoring handled as the definition in Concordance.swift says.
import Analysis
import XCTest

final class ConcordanceTests: XCTestCase {
    /// Six subjects (time, event?, score), the comparable pairs counted by hand:
    ///   A (2, event, 0.9) before B (4), C (4, censored), D (6), E (3, censored), F (8, censored): 5 pairs,
    ///     A's score is the highest in each: 5 concordant.
    ///   B (4, event, 0.7) before C (censored at the same time 4: comparable), D (6), F (8): against C
    ///     (0.8) discordant, against D (0.7) tied, against F (0.2) concordant.
    ///   D (6, event, 0.7) before F (8): concordant.
    ///   C, E and F are censored: no pair starts from them.
    /// Concordant 7, discordant 1, tied 1, comparable 9: C = (7 + 1/2) / 9 = 0.8333... (the value
    /// scikit-survival's concordance_index_censored gives for these arrays by the same definition).
    func testAHandCountedDataSet() {
        let times: [EventTime] = [.event(2), .event(4), .censored(4), .event(6), .censored(3), .censored(8)]
        let scores = [0.9, 0.7, 0.8, 0.7, 0.1, 0.2]
        let c = harrellC(times: times, scores: scores)
        XCTAssertEqual(c.concordant, 7)
        XCTAssertEqual(c.discordant, 1)
        XCTAssertEqual(c.tiedScore, 1)
        XCTAssertEqual(c.comparable, 9)
        XCTAssertEqual(try XCTUnwrap(c.c), 7.5 / 9, accuracy: 1e-15)
    }

    /// Stratified: only pairs within a stratum count. Strata 0: (1, event, 0.9), (3, event, 0.1); 1: (2, event, 0.2),
    /// (4, censored, 0.8). Within 0 the earlier event has the higher score (concordant); within 1 the lower
    /// (discordant): C = 1/2 from 2 pairs. Pooled, the 6 pairs are all comparable: 1 before 2, 3, 4 with 0.9
    /// the highest (3 concordant), 2 before 3 (0.2 > 0.1, concordant) and 4 (0.2 < 0.8, discordant), 3 before 4
    /// (discordant): C = 4/6.
    func testStrataCountOnlyPairsWithinAStratum() {
        let times: [EventTime] = [.event(1), .event(3), .event(2), .censored(4)]
        let scores = [0.9, 0.1, 0.2, 0.8]
        let within = harrellC(times: times, scores: scores, strata: [0, 0, 1, 1])
        XCTAssertEqual(within.comparable, 2)
        XCTAssertEqual(within.concordant, 1)
        XCTAssertEqual(within.c, 0.5)
        let pooled = harrellC(times: times, scores: scores)
        XCTAssertEqual(pooled.comparable, 6)
        XCTAssertEqual(try XCTUnwrap(pooled.c), 4.0 / 6, accuracy: 1e-15)
        // One stratum for all is the pooled C.
        XCTAssertEqual(harrellC(times: times, scores: scores, strata: [7, 7, 7, 7]), pooled)
    }

    /// Two events at the same time are not comparable; both censored, neither; a censored shorter time
    /// neither; so none of these pairs counts.
    func testPairsThatAreNotComparable() {
        XCTAssertEqual(harrellC(times: [.event(5), .event(5)], scores: [1, 0]).comparable, 0)
        XCTAssertNil(harrellC(times: [.censored(5), .censored(7)], scores: [1, 0]).c)
        XCTAssertEqual(harrellC(times: [.censored(3), .event(7)], scores: [1, 0]).comparable, 0)
        XCTAssertEqual(harrellC(times: [.event(3), .censored(7)], scores: [1, 0]).c, 1)
    }

    /// Without censoring or ties, C = (1 + τ) / 2 with Kendall's τ between the score and −time, τ counted
    /// here over all pairs directly; reversing the scores gives 1 − C; the bootstrap interval holds C.
    func testKendallIdentityAndSymmetry() throws {
        var rng = BootstrapRNG(seed: 7)
        let n = 40
        let times = (0..<n).map { _ in Double(rng.index(below: 1_000_000)) + 0.5 }
        let scores = times.map { -$0 + Double(rng.index(below: 600_000)) }
        var concordant = 0.0, discordant = 0.0
        for i in 0..<n { for j in (i + 1)..<n {
            let s = (scores[i] - scores[j]) * (-(times[i] - times[j]))
            if s > 0 { concordant += 1 } else if s < 0 { discordant += 1 }
        } }
        let tau = (concordant - discordant) / Double(n * (n - 1) / 2)
        let c = try XCTUnwrap(harrellC(times: times.map { .event($0) }, scores: scores).c)
        XCTAssertEqual(c, (1 + tau) / 2, accuracy: 1e-12)
        let reversed = try XCTUnwrap(harrellC(times: times.map { .event($0) }, scores: scores.map { -$0 }).c)
        XCTAssertEqual(reversed, 1 - c, accuracy: 1e-12)
        let (estimate, boot) = harrellCInterval(times: times.map { .event($0) }, scores: scores, seed: 3, resamples: 500)
        XCTAssertEqual(estimate.c, c)
        let interval = try XCTUnwrap(boot?.percentile)
        XCTAssertLessThanOrEqual(interval.lower, c)
        XCTAssertGreaterThanOrEqual(interval.upper, c)
    }
}

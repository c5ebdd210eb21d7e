// Kaplan-Meier, Greenwood, log-rank and Clopper-Pearson against published and independently computed values.
//
// Freireich et al. (1963) remission times (weeks) of acute leukemia patients, 6-MP against placebo; the
// Kaplan-Meier table with Greenwood standard errors is Table 4.1 of Klein and Moeschberger (2003) and the
// log-rank χ² = 16.79 is R's survdiff. Reference values with 15 digits come from an independent numpy
// implementation, and the log-rank statistic also from scipy.stats.logrank (16.792940989216536).

import Analysis
import XCTest

enum Freireich {
    static let mp: [EventTime] = [
        .event(6), .event(6), .event(6), .censored(6), .event(7), .censored(9), .event(10), .censored(10),
        .censored(11), .event(13), .event(16), .censored(17), .censored(19), .censored(20), .event(22),
        .event(23), .censored(25), .censored(32), .censored(32), .censored(34), .censored(35),
    ]
    static let placebo: [EventTime] = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23].map { .event($0) }
}

final class SurvivalTests: XCTestCase {
    func testKaplanMeierGreenwood6MP() {
        let km = kaplanMeier(Freireich.mp, level: 0.95, transform: .logLog)
        let events = km.rows.filter { $0.events > 0 }
        // (time, at risk, events, S, Greenwood SE, log-log lower, log-log upper)
        let expected: [(Double, Int, Int, Double, Double, Double, Double)] = [
            (6, 21, 3, 0.857142857142857, 0.076360354832121, 0.619717955265984, 0.951551747646997),
            (7, 17, 1, 0.806722689075630, 0.086935285180057, 0.563146564622233, 0.922809019202880),
            (10, 15, 1, 0.752941176470588, 0.096349652994321, 0.503199510799956, 0.889361835169266),
            (13, 12, 1, 0.690196078431373, 0.106814707775010, 0.431610222486184, 0.849065963349451),
            (16, 11, 1, 0.627450980392157, 0.114053865256753, 0.367510855987502, 0.804912189471841),
            (22, 7, 1, 0.537815126050420, 0.128233751693034, 0.267778936767135, 0.746790717635395),
            (23, 6, 1, 0.448179271708684, 0.134591456755760, 0.188052005959232, 0.680142628495242),
        ]
        XCTAssertEqual(events.count, expected.count)
        for (row, e) in zip(events, expected) {
            XCTAssertEqual(row.time, e.0)
            XCTAssertEqual(row.atRisk, e.1, "at risk at \(e.0)")
            XCTAssertEqual(row.events, e.2)
            XCTAssertEqual(row.survival, e.3, accuracy: 1e-12)
            XCTAssertEqual(row.standardError!, e.4, accuracy: 1e-12)
            XCTAssertEqual(row.interval!.lower, e.5, accuracy: 1e-12)
            XCTAssertEqual(row.interval!.upper, e.6, accuracy: 1e-12)
            XCTAssertEqual(row.interval!.method, "greenwood-loglog")
        }
        // Klein and Moeschberger Table 4.1, printed to 4 digits.
        XCTAssertEqual(events.map { ($0.standardError! * 1e4).rounded() / 1e4 },
                       [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346])
        XCTAssertEqual(km.n, 21)
        XCTAssertEqual(km.events, 9)
        // Censored at 6 counts as at risk at 6; the 9-week row is censoring only.
        XCTAssertEqual(km.rows.first { $0.time == 9 }?.censored, 1)
        XCTAssertEqual(km.survival(at: 9.5), 0.806722689075630, accuracy: 1e-12)
        XCTAssertEqual(km.survival(at: 5), 1)
        // Median 23; log-log band: the lower band crosses 0.5 at 13, the upper band never does.
        XCTAssertEqual(km.median.estimate, 23)
        XCTAssertEqual(km.median.lowerBound, 13)
        XCTAssertNil(km.median.upperBound)
        XCTAssertNil(km.median.interval)
    }

    func testMedianWithLogTransformMatchesR() {
        // R: survfit(Surv(time, status) ~ group, conf.type = "log"): 6-MP median 23 (16, NA); placebo 8 (4, 12).
        let mp = kaplanMeier(Freireich.mp, transform: .log)
        XCTAssertEqual(mp.median.estimate, 23)
        XCTAssertEqual(mp.median.lowerBound, 16)
        XCTAssertNil(mp.median.upperBound)
        let pl = kaplanMeier(Freireich.placebo, transform: .log)
        XCTAssertEqual(pl.median.estimate, 8)
        XCTAssertEqual(pl.median.interval?.lower, 4)
        XCTAssertEqual(pl.median.interval?.upper, 12)
        XCTAssertEqual(pl.median.interval?.method, "brookmeyer-crowley-greenwood-log")
        // Log-log band for the placebo: (4, 11) from the numpy reference.
        let pll = kaplanMeier(Freireich.placebo, transform: .logLog)
        XCTAssertEqual(pll.median.interval?.lower, 4)
        XCTAssertEqual(pll.median.interval?.upper, 11)
        // After the last event S = 0: no SE, no interval, nothing NaN.
        let last = pl.rows.last!
        XCTAssertEqual(last.survival, 0)
        XCTAssertNil(last.standardError)
        XCTAssertNil(last.interval)
        XCTAssertNoThrow(try JSONEncoder().encode(pl))
    }

    func testMedianUndefinedWhenFewerThanHalfHaveTheEvent() {
        let data: [EventTime] = [.event(100), .event(300), .censored(1000), .censored(1000), .censored(1000), .censored(1000)]
        let km = kaplanMeier(data)
        XCTAssertNil(km.median.estimate)
        XCTAssertNil(km.median.interval)
        XCTAssertEqual(km.survival(at: 2000), 4.0 / 6.0, accuracy: 1e-15)
    }

    func testMedianMidpointWhenCurveSitsAtOneHalf() {
        // S drops to exactly 0.5 at t = 2 and to 0.25 at t = 3: R's convention gives (2 + 3)/2.
        let km = kaplanMeier([.event(1), .event(2), .event(3), .event(4)])
        XCTAssertEqual(km.median.estimate, 2.5)
    }

    func testLogRankFreireich() {
        let lr = logRank(Freireich.mp, Freireich.placebo)
        XCTAssertEqual(lr.observed, [9, 21])
        XCTAssertEqual(lr.expected[0], 19.250500948031132, accuracy: 1e-10)
        XCTAssertEqual(lr.expected[0] + lr.expected[1], 30, accuracy: 1e-10)
        XCTAssertEqual(lr.variance!, 6.256960573675500, accuracy: 1e-10)
        XCTAssertEqual(lr.chiSquare!, 16.792940989216536, accuracy: 1e-9)
        XCTAssertEqual((lr.chiSquare! * 100).rounded() / 100, 16.79)
        XCTAssertEqual(lr.pValue!, 4.1688091093345321e-05, accuracy: 1e-12)
        XCTAssertEqual(lr.degreesOfFreedom, 1)
        // Symmetric in the groups.
        XCTAssertEqual(logRank(Freireich.placebo, Freireich.mp).chiSquare!, lr.chiSquare!, accuracy: 1e-12)
    }

    func testClopperPearsonAgainstScipy() {
        // scipy.stats.beta.ppf(α/2, k, n-k+1), beta.ppf(1-α/2, k+1, n-k), α = 0.05.
        let cases: [(Int, Int, Double, Double)] = [
            (0, 10, 0, 0.3084971078187607),
            (1, 10, 0.0025285785444617848, 0.4450161170281954),
            (5, 10, 0.18708602844739855, 0.8129139715526015),
            (10, 10, 0.6915028921812392, 1),
            (3, 20, 0.0320709371854637, 0.37892682654531396),
            (17, 20, 0.621073173454686, 0.9679290628145363),
            (7, 8, 0.47349032912479344, 0.9968402764687481),
            (0, 1, 0, 0.975),
            (1, 1, 0.025, 1),
            (12, 50, 0.13060991619745735, 0.3816907481040382),
        ]
        for (k, n, lo, hi) in cases {
            let iv = clopperPearson(k: k, n: n)!
            XCTAssertEqual(iv.lower, lo, accuracy: 1e-10, "\(k)/\(n)")
            XCTAssertEqual(iv.upper, hi, accuracy: 1e-10, "\(k)/\(n)")
            XCTAssertEqual(iv.method, "clopper-pearson")
        }
        // Tabulated (e.g. Geigy tables / Conover): 5 of 10 gives (0.187, 0.813); 0 of 10 upper 0.308.
        let half = clopperPearson(k: 5, n: 10)!
        XCTAssertEqual((half.lower * 1000).rounded(), 187)
        XCTAssertEqual((half.upper * 1000).rounded(), 813)
        let ninety = clopperPearson(k: 3, n: 20, level: 0.90)!
        XCTAssertEqual(ninety.lower, 0.04216940788577861, accuracy: 1e-10)
        XCTAssertEqual(ninety.upper, 0.3436638043142818, accuracy: 1e-10)
        XCTAssertNil(clopperPearson(k: 0, n: 0))
        XCTAssertNil(clopperPearson(k: 4, n: 3))
        XCTAssertEqual(proportion(k: 3, n: 4)?.estimate, 0.75)
    }

    /// The event summary of a study: k of n reached (censored runs count as not reached), with the
    /// Kaplan-Meier median beside it.
    func testEventSummaryCountsCensoredRunsAsNotReached() {
        let s = summarizeEvents(Freireich.mp)
        XCTAssertEqual(s.reached?.k, 9)
        XCTAssertEqual(s.reached?.n, 21)
        XCTAssertEqual(s.reached?.interval.method, "clopper-pearson")
        XCTAssertEqual(s.kaplanMeier.median.estimate, 23)
    }
}

final class HolmTests: XCTestCase {
    /// Holm 1979 by hand: sorted 0.01, 0.03, 0.04, 0.2 (m = 4): 4 · 0.01 = 0.04; max(0.04, 3 · 0.03) = 0.09;
    /// max(0.09, 2 · 0.04 = 0.08) = 0.09; max(0.09, 0.2) = 0.2. A missing p-value is not in the family.
    func testHolmByHand() {
        let adjusted = holm([0.01, 0.04, nil, 0.03, 0.2])
        let expected: [Double?] = [0.04, 0.09, nil, 0.09, 0.2]
        XCTAssertEqual(adjusted.count, 5)
        for (a, e) in zip(adjusted, expected) {
            if let e { XCTAssertEqual(a!, e, accuracy: 1e-15) } else { XCTAssertNil(a) }
        }
        // Capped at 1, and monotone in the sorted order.
        XCTAssertEqual(holm([0.5, 0.6]).map { $0! }, [1, 1])
        XCTAssertEqual(holm([0.02]).map { $0! }, [0.02])
        XCTAssertEqual(holm([]).count, 0)
        XCTAssertEqual(holm([nil, nil]).compactMap { $0 }.count, 0)
    }
}

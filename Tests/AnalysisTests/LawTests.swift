// Law fits recover known parameters from synthetic noisy data; AIC picks the law that made the data;
// censored points are excluded with a note, or kept by the censored-likelihood (Tobit) fit.

import Analysis
import XCTest

final class LawTests: XCTestCase {
    /// Three seeds per x, log-normal noise of SD `sigma` in log T.
    func sample(_ xs: [Double], seeds: Int = 3, sigma: Double, seed: UInt64, law: (Double) -> Double) -> [LawPoint] {
        var noise = Normal(seed: seed)
        return xs.flatMap { x in (0..<seeds).map { _ in LawPoint(x: x, t: law(x) * exp(sigma * noise.next())) } }
    }

    func testPowerLawRecoveredAndPreferredByAIC() throws {
        let xs = [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        let pts = sample(xs, sigma: 0.1, seed: 3) { 1000 * pow($0, -2) }
        let c = compareLaws(pts, laws: [.powerLaw, .exponential], censoredLikelihood: false)
        XCTAssertEqual(c.best, .powerLaw)
        let p = c.fits[0]
        XCTAssertTrue(p.converged)
        XCTAssertTrue(p.parameters[0].interval!.contains(1000), "\(p.parameters[0])")
        XCTAssertTrue(p.parameters[1].interval!.contains(-2), "\(p.parameters[1])")
        XCTAssertEqual(p.parameters[1].estimate, -2, accuracy: 0.1)
        XCTAssertEqual(p.sigma!, 0.1, accuracy: 0.03)
        XCTAssertEqual(p.deltaAIC, 0)
        XCTAssertGreaterThan(c.fits[1].deltaAIC!, 10, "the exponential misfits a power law over a decade of x")
        XCTAssertEqual(c.fits.map { $0.akaikeWeight! }.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(p.predict(0.5)!, p.parameters[0].estimate * pow(0.5, p.parameters[1].estimate), accuracy: 1e-9)
        // AIC of the least-squares fit in log T, by the stated formula.
        let n = Double(p.n), rss = pow(p.sigma!, 2) * (n - 2)
        XCTAssertEqual(p.aic!, 2 * 3 + n * (log(2 * Double.pi * rss / n) + 1), accuracy: 1e-8)
        // Linear regression of log T on log x gives the same estimates (the power law is linear there).
        let lin = try fitLinear(x: pts.map { log($0.x) }, y: pts.map { log($0.t) })
        XCTAssertEqual(p.fittedParameters[1].estimate, lin["slope"]!.estimate, accuracy: 1e-9)
        XCTAssertEqual(p.fittedParameters[1].standardError!, lin["slope"]!.standardError!, accuracy: 1e-8)
    }

    func testExponentialRecovered() throws {
        let xs = stride(from: 0.2, through: 0.9, by: 0.1).map { $0 }
        let pts = sample(xs, sigma: 0.08, seed: 4) { 2e4 * exp(-5 * $0) }
        let c = compareLaws(pts, laws: [.powerLaw, .exponential], censoredLikelihood: false)
        XCTAssertEqual(c.best, .exponential)
        XCTAssertTrue(c.fits[0].parameters[1].interval!.contains(-5), "\(c.fits[0].parameters[1])")
        XCTAssertTrue(c.fits[0].parameters[0].interval!.contains(2e4))
    }

    func testShiftedPowerLawFindsCriticalSize() throws {
        let xs = [0.22, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        let pts = sample(xs, sigma: 0.05, seed: 5) { 50 * pow($0 - 0.2, -1.5) }
        let c = compareLaws(pts, censoredLikelihood: false)
        XCTAssertEqual(c.best, .shiftedPowerLaw, "\(c.fits.map { ($0.law, $0.aic ?? .nan) })")
        let s = c.fits[0]
        XCTAssertTrue(s.converged, s.note)
        let xc = s.parameters[2]
        XCTAssertEqual(xc.name, "x_c")
        XCTAssertTrue(xc.interval!.contains(0.2), "\(xc)")
        XCTAssertLessThan(xc.interval!.upper, 0.22, "x_c stays below the smallest x")
        XCTAssertTrue(s.parameters[1].interval!.contains(1.5), "\(s.parameters[1])")
        XCTAssertNil(s.predict(0.1), "undefined below x_c")
    }

    func testCensoredPointsExcludedWithNoteOrKeptByTobit() throws {
        let xs = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        var pts = sample(xs, seeds: 4, sigma: 0.3, seed: 8) { 1000 * pow($0, -2.5) }
        // Budget 15000 steps: at x = 0.2 and 0.25 the law predicts 55902 and 32000, all censored.
        pts += [0.2, 0.2, 0.25, 0.25].map { LawPoint(x: $0, t: 15000, censored: true) }
        let c = compareLaws(pts, laws: [.powerLaw, .exponential])
        XCTAssertEqual(c.excluded.count, 4)
        XCTAssertEqual(c.best, .powerLaw)
        XCTAssertEqual(c.bestCensored, .powerLaw)
        XCTAssertTrue(c.notes.contains { $0.contains("4 censored point(s)") && $0.contains("0.2") && $0.contains("0.25") }, "\(c.notes)")
        XCTAssertEqual(c.fits.first { $0.law == .powerLaw }!.n, 28)
        let tobit = c.censoredFits.first { $0.law == .powerLaw }!
        XCTAssertEqual(tobit.n, 32)
        XCTAssertEqual(tobit.censoredUsed, 4)
        XCTAssertTrue(tobit.converged, tobit.note)
        XCTAssertTrue(tobit.parameters[1].interval!.contains(-2.5), "\(tobit.parameters[1])")
        XCTAssertEqual(tobit.parameters[1].interval!.method, "wald-normal, observed information")
        XCTAssertNoThrow(try JSONEncoder().encode(c))
    }

    func testTobitWithoutCensoringIsLeastSquares() throws {
        let xs = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        let pts = sample(xs, sigma: 0.2, seed: 9) { 1000 * pow($0, -2.5) }
        for law in [Law.powerLaw, .exponential, .shiftedPowerLaw] {
            let ls = try fitLaw(law, x: pts.map { $0.x }, t: pts.map { $0.t })
            let tobit = try fitLawCensored(law, points: pts)
            for (a, b) in zip(ls.fittedParameters, tobit.fittedParameters) {
                XCTAssertEqual(a.estimate, b.estimate, accuracy: 1e-5 * max(1, abs(a.estimate)), "\(law) \(a.name)")
            }
            // σ_MLE = sqrt(RSS/n), and the same maximized likelihood.
            let n = Double(ls.n), p = Double(ls.fittedParameters.count)
            XCTAssertEqual(tobit.sigma!, ls.sigma! * ((n - p) / n).squareRoot(), accuracy: 1e-6, "\(law)")
            XCTAssertEqual(tobit.logLikelihood!, ls.logLikelihood!, accuracy: 1e-6, "\(law)")
            // Wald SEs from the observed information equal the LS SEs with σ at its MLE (no dof
            // correction) when μ is linear in the parameters; the shifted law is not (curvature in u).
            guard law != .shiftedPowerLaw else { continue }
            XCTAssertEqual(tobit.fittedParameters[1].standardError!,
                           ls.fittedParameters[1].standardError! * ((n - p) / n).squareRoot(), accuracy: 1e-3 * ls.fittedParameters[1].standardError!, "\(law)")
        }
    }
    func testTobitMatchesIndependentMaximumLikelihood() throws {
        // 1000 x^-2.5 with log-normal noise (σ = 0.5), budget 20000: 4 of 30 runs censored. Reference:
        // scipy.optimize.minimize of the same censored log-likelihood (norm.logpdf, norm.logsf), SEs from
        // a numerical Hessian.
        let raw: [(Double, Double, Bool)] = [
            (0.3, 20000, true), (0.3, 20000, true), (0.3, 20000, true), (0.3, 12470.2, false), (0.3, 10110.1, false),
            (0.4, 10219.8, false), (0.4, 15201.6, false), (0.4, 12747.3, false), (0.4, 20000, true), (0.4, 14384.5, false),
            (0.5, 7789.27, false), (0.5, 3924.37, false), (0.5, 3251.15, false), (0.5, 11882.5, false), (0.5, 5796.9, false),
            (0.6, 5380.73, false), (0.6, 1801.92, false), (0.6, 2883.14, false), (0.6, 1880.46, false), (0.6, 2433.24, false),
            (0.7, 3831.36, false), (0.7, 1163.46, false), (0.7, 1867.58, false), (0.7, 2647.41, false), (0.7, 1746.22, false),
            (0.8, 1539.89, false), (0.8, 1563.5, false), (0.8, 2153.14, false), (0.8, 1408.09, false), (0.8, 2001.68, false),
        ]
        let pts = raw.map { LawPoint(x: $0.0, t: $0.1, censored: $0.2) }
        let f = try fitLawCensored(.powerLaw, points: pts)
        XCTAssertTrue(f.converged, f.note)
        XCTAssertEqual(f.fittedParameters[0].estimate, 6.69207221, accuracy: 1e-6)
        XCTAssertEqual(f.fittedParameters[1].estimate, -2.81974563, accuracy: 1e-6)
        XCTAssertEqual(log(f.sigma!), -0.81948014, accuracy: 1e-6)
        XCTAssertEqual(f.logLikelihood!, -18.398103982811627, accuracy: 1e-8)
        XCTAssertEqual(f.fittedParameters[0].standardError!, 0.18210027, accuracy: 2e-4)
        XCTAssertEqual(f.fittedParameters[1].standardError!, 0.26196494, accuracy: 2e-4)
        XCTAssertEqual(f.aic!, 2 * 3 + 2 * 18.398103982811627, accuracy: 1e-7)
        // Excluding the censored runs instead gives a flatter slope (numpy polyfit: -2.4844).
        let ls = try fitLaw(.powerLaw, x: pts.filter { !$0.censored }.map { $0.x }, t: pts.filter { !$0.censored }.map { $0.t })
        XCTAssertEqual(ls.parameters[1].estimate, -2.484435185881504, accuracy: 1e-9)
    }
    func testTobitShiftedLawWithRunsCensoredBelowTheCriticalSize() throws {
        // T = 50 (x - 0.2)^-1.5; runs at x = 0.15 and 0.18 never generalize (censored at 1e4): below x_c
        // they are certain to be censored and contribute log 1 = 0.
        let xs = [0.22, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        var pts = sample(xs, sigma: 0.05, seed: 5) { 50 * pow($0 - 0.2, -1.5) }
        pts += [0.15, 0.15, 0.18, 0.18].map { LawPoint(x: $0, t: 1e4, censored: true) }
        let f = try fitLawCensored(.shiftedPowerLaw, points: pts)
        XCTAssertTrue(f.converged, f.note)
        XCTAssertEqual(f.censoredUsed, 4)
        XCTAssertTrue(f.parameters[2].interval!.contains(0.2), "\(f.parameters[2])")
        XCTAssertLessThan(f.parameters[2].estimate, 0.22)
        XCTAssertGreaterThan(f.parameters[2].estimate, 0.18)
        // The censored points carry no likelihood: same maximum as without them.
        let without = try fitLawCensored(.shiftedPowerLaw, points: pts.filter { !$0.censored })
        XCTAssertEqual(f.logLikelihood!, without.logLikelihood!, accuracy: 1e-6)
    }

    func testALawTheDataCannotDetermineIsARecordedFailureNotARankedFit() throws {
        // Two distinct x: the shifted power law's three parameters are not determined (its Jacobian has
        // rank 2). Its fit is a named failure, recorded among the comparison's failures and not ranked.
        let pts = sample([0.3, 0.6], seeds: 4, sigma: 0.1, seed: 5) { 1000 * pow($0, -2) }
        let c = compareLaws(pts, censoredLikelihood: false)
        XCTAssertEqual(Set(c.fits.map(\.law)), [.powerLaw, .exponential], "\(c.failures)")
        XCTAssertTrue(c.fits.allSatisfy(\.converged))
        XCTAssertEqual(c.failures.count, 1, "\(c.failures)")
        XCTAssertTrue(c.failures[0].hasPrefix("shiftedPowerLaw (least squares): singular Jacobian"), c.failures[0])
        XCTAssertThrowsError(try fitLaw(.shiftedPowerLaw, x: pts.map(\.x), t: pts.map(\.t))) { error in
            XCTAssertEqual((error as? NonlinearFitFailure)?.name, "singularJacobian", "\(error)")
        }
        // The linearizable laws start at their exact linear least-squares solution; GSL finds no step that
        // lowers chi2 from there, and the checks vouch for the start as the minimum.
        XCTAssertTrue(c.fits.allSatisfy { $0.note.hasPrefix("the start is already a minimum") }, "\(c.fits.map(\.note))")
    }

    func testAFlatCurveHasNoTransitionToFit() throws {
        // Constant accuracy: lo = hi, so mid and width do not change the curve: a named failure, thrown.
        let steps = (1...40).map { Double($0) * 100 }
        XCTAssertThrowsError(try fitTransition(steps: steps, accuracy: steps.map { _ in 0.5 })) { error in
            XCTAssertNotNil(error as? NonlinearFitFailure, "\(error)")
        }
    }
}

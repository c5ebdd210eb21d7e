// NIST StRD certified values: linear (Norris, Longley) and nonlinear (Misra1a lower, Thurber, MGH09 and
// Eckerle4 higher difficulty), from both certified starting points.
//
// Accuracy is measured as the log relative error LRE = -log10(|estimate - certified| / |certified|), the
// number of correct significant digits (McCullough 1998). Required: parameters LRE ≥ 6 (nonlinear) or ≥ 9
// (linear), standard errors LRE ≥ 4 (nonlinear) or ≥ 8 (linear), residual SD LRE ≥ 6.

import Analysis
import XCTest

func lre(_ estimate: Double, _ certified: Double) -> Double {
    let rel = abs(estimate - certified) / abs(certified)
    return rel == 0 ? 16 : -log10(rel)
}

final class NISTTests: XCTestCase {
    // MARK: linear
    func testNorrisLine() throws {
        let fit = try fitLinear(x: NIST.norrisX, y: NIST.norrisY)
        let b0 = fit["intercept"]!, b1 = fit["slope"]!
        let digits = [lre(b0.estimate, NIST.norrisB.0), lre(b1.estimate, NIST.norrisB.1),
                      lre(b0.standardError!, NIST.norrisSE.0), lre(b1.standardError!, NIST.norrisSE.1),
                      lre(fit.residualSD!, NIST.norrisResidualSD), lre(fit.rSquared!, NIST.norrisR2)]
        print("Norris LRE (b0, b1, se0, se1, rsd, R2):", digits.map { String(format: "%.1f", $0) })
        XCTAssertGreaterThanOrEqual(digits.min()!, 9, "Norris: \(digits)")
        XCTAssertEqual(fit.degreesOfFreedom, 34)
        XCTAssertEqual(b1.interval?.method, "covariance-t")
        XCTAssertEqual(b1.interval?.level, 0.95)
    }

    func testNorrisUnitWeightsMatchUnweighted() throws {
        // gsl_fit_wlinear with relative (unit) weights and the reduced-chi-square scaling must give the
        // certified standard errors as well.
        let w = [Double](repeating: 1, count: NIST.norrisX.count)
        let fit = try fitLinear(x: NIST.norrisX, y: NIST.norrisY, weights: w)
        XCTAssertGreaterThanOrEqual(lre(fit["slope"]!.estimate, NIST.norrisB.1), 9)
        XCTAssertGreaterThanOrEqual(lre(fit["slope"]!.standardError!, NIST.norrisSE.1), 9)
        XCTAssertGreaterThanOrEqual(lre(fit["intercept"]!.standardError!, NIST.norrisSE.0), 9)
    }

    func testLongleyMultilinear() throws {
        let y = NIST.longley.map { $0[0] }
        let X = NIST.longley.map { Array($0[1...]) }
        let fit = try fitMultilinear(predictors: X, y: y)
        var digits = [Double]()
        for j in 0..<7 {
            digits.append(lre(fit.parameters[j].estimate, NIST.longleyB[j]))
            digits.append(lre(fit.parameters[j].standardError!, NIST.longleySE[j]))
        }
        digits.append(lre(fit.residualSD!, NIST.longleyResidualSD))
        digits.append(lre(fit.rSquared!, NIST.longleyR2))
        print("Longley LRE (b0, se0, ..., b6, se6, rsd, R2):", digits.map { String(format: "%.1f", $0) })
        XCTAssertGreaterThanOrEqual(digits.min()!, 8, "Longley: \(digits)")
        XCTAssertEqual(fit.parameters.map { $0.name }, ["intercept", "x1", "x2", "x3", "x4", "x5", "x6"])
    }

    func testWeightedLineAgainstNumpy() throws {
        // numpy: solve (XᵀWX) b = XᵀWy; covariance (XᵀWX)⁻¹, scaled by χ²/(n-2) for relative weights.
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let y = [2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1]
        let w: [Double] = [1, 2, 1, 4, 2, 1, 3, 1]
        let known = try fitLinear(x: x, y: y, weights: w, weightsAreInverseVariances: true)
        XCTAssertEqual(known["intercept"]!.estimate, -0.0219697, accuracy: 1e-7)
        XCTAssertEqual(known["slope"]!.estimate, 1.99318182, accuracy: 1e-7)
        XCTAssertEqual(known.residualSumOfSquares, 0.3744696969696955, accuracy: 1e-12)
        XCTAssertEqual(known["intercept"]!.standardError!, 0.64044762, accuracy: 1e-7)
        XCTAssertEqual(known["slope"]!.standardError!, 0.1274118, accuracy: 1e-7)
        XCTAssertEqual(known["slope"]!.interval!.method, "covariance-normal")
        XCTAssertEqual(known.rSquared!, 0.9984721592361823, accuracy: 1e-12)
        let relative = try fitLinear(x: x, y: y, weights: w)
        XCTAssertEqual(relative["intercept"]!.standardError!, 0.15999866, accuracy: 1e-7)
        XCTAssertEqual(relative["slope"]!.standardError!, 0.03183042, accuracy: 1e-7)
        XCTAssertEqual(relative["slope"]!.interval!.method, "covariance-t")
        // The same fit through gsl_multifit_wlinear.
        let multi = try fitMultilinear(predictors: x.map { [$0] }, y: y, weights: w)
        XCTAssertEqual(multi.parameters[1].estimate, relative["slope"]!.estimate, accuracy: 1e-12)
        XCTAssertEqual(multi.parameters[1].standardError!, relative["slope"]!.standardError!, accuracy: 1e-12)
        XCTAssertThrowsError(try fitLinear(x: [1, 1, 1], y: [1, 2, 3]))
        XCTAssertThrowsError(try fitLinear(x: [1, 2], y: [1, 2]))
    }

    // MARK: nonlinear

    static let misra1a = NonlinearModel(
        parameterNames: ["b1", "b2"],
        function: { x, b in b[0] * (1 - exp(-b[1] * x)) },
        gradient: { x, b in [1 - exp(-b[1] * x), b[0] * x * exp(-b[1] * x)] })

    static let thurber = NonlinearModel(
        parameterNames: ["b1", "b2", "b3", "b4", "b5", "b6", "b7"],
        function: { x, b in
            (b[0] + b[1] * x + b[2] * x * x + b[3] * x * x * x) / (1 + b[4] * x + b[5] * x * x + b[6] * x * x * x)
        },
        gradient: { x, b in
            let num = b[0] + b[1] * x + b[2] * x * x + b[3] * x * x * x
            let den = 1 + b[4] * x + b[5] * x * x + b[6] * x * x * x
            let q = num / (den * den)
            return [1 / den, x / den, x * x / den, x * x * x / den, -x * q, -x * x * q, -x * x * x * q]
        })

    static let mgh09 = NonlinearModel(
        parameterNames: ["b1", "b2", "b3", "b4"],
        function: { x, b in b[0] * (x * x + x * b[1]) / (x * x + x * b[2] + b[3]) },
        gradient: { x, b in
            let num = x * x + x * b[1], den = x * x + x * b[2] + b[3]
            return [num / den, b[0] * x / den, -b[0] * num * x / (den * den), -b[0] * num / (den * den)]
        })

    static let eckerle4 = NonlinearModel(
        parameterNames: ["b1", "b2", "b3"],
        function: { x, b in (b[0] / b[1]) * exp(-0.5 * ((x - b[2]) / b[1]) * ((x - b[2]) / b[1])) },
        gradient: { x, b in
            let u = (x - b[2]) / b[1]
            let e = exp(-0.5 * u * u)
            return [e / b[1], (b[0] / b[1]) * e * (u * u - 1) / b[1], (b[0] / b[1]) * e * u / b[1]]
        })

    /// Fits one problem from one start and checks parameters (LRE ≥ 6), SEs (LRE ≥ 4), residual SD.
    func run(_ p: NISTNonlinear, _ model: NonlinearModel, start: Int, analytic: Bool = true,
             file: StaticString = #filePath, line: UInt = #line) throws {
        var m = model
        if !analytic { m.gradient = nil }
        let fit = try fitNonlinear(x: p.x, y: p.y, model: m, start: start == 1 ? p.start1 : p.start2)
        let pd = zip(fit.estimates, p.certified).map { lre($0, $1) }
        let sd = zip(fit.parameters.map { $0.standardError ?? .nan }, p.certifiedSE).map { lre($0, $1) }
        let rsd = lre(fit.residualSD ?? .nan, p.residualSD)
        print("\(p.name) start \(start) \(analytic ? "analytic" : "finite-difference") J: converged \(fit.converged) (\(fit.stopReason), \(fit.iterations) it); min LRE params \(String(format: "%.1f", pd.min()!)), SE \(String(format: "%.1f", sd.min()!)), residual SD \(String(format: "%.1f", rsd))")
        XCTAssertTrue(fit.converged, "\(p.name) start \(start): \(fit.status) \(fit.stopReason)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(pd.min()!, 6, "\(p.name) start \(start) parameters \(fit.estimates) LRE \(pd)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(sd.min()!, 4, "\(p.name) start \(start) SE LRE \(sd)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(rsd, 6, "\(p.name) start \(start) residual SD", file: file, line: line)
        XCTAssertEqual(fit.degreesOfFreedom, p.x.count - p.certified.count, file: file, line: line)
    }

    func testMisra1a() throws {
        for s in [1, 2] { try run(NIST.misra1a, Self.misra1a, start: s) }
    }
    func testThurber() throws {
        for s in [1, 2] { try run(NIST.thurber, Self.thurber, start: s) }
    }
    func testMGH09() throws {
        for s in [1, 2] { try run(NIST.mgh09, Self.mgh09, start: s) }
    }
    func testEckerle4() throws {
        for s in [1, 2] { try run(NIST.eckerle4, Self.eckerle4, start: s) }
    }
    func testFiniteDifferenceJacobian() throws {
        try run(NIST.misra1a, Self.misra1a, start: 1, analytic: false)
        try run(NIST.thurber, Self.thurber, start: 2, analytic: false)
        try run(NIST.eckerle4, Self.eckerle4, start: 2, analytic: false)
    }
    func testNonConvergenceAndDegenerateFitsAreReportedNotThrown() throws {
        var options = NonlinearFitOptions()
        options.maxIterations = 3
        let p = NIST.thurber
        let short = try fitNonlinear(x: p.x, y: p.y, model: Self.thurber, start: p.start1, options: options)
        XCTAssertFalse(short.converged)
        XCTAssertEqual(short.stopReason, "iteration limit 3 reached")
        XCTAssertEqual(short.failure, .iterationLimit(iterations: 3))
        XCTAssertEqual(short.attempts.count, 5, "Levenberg-Marquardt, then each fallback, all stopped at 3 iterations")
        XCTAssertTrue(short.parameters.allSatisfy { $0.standardError == nil }, "a failed fit has no standard errors")
        XCTAssertThrowsError(try short.requireConverged())
        // n = p: an exact fit, no residual degrees of freedom, so no covariance and nothing NaN encoded.
        let exact = try fitNonlinear(x: Array(p.x[0..<2]), y: Array(p.y[0..<2]), model: Self.misra1a, start: [100, 1e-3])
        XCTAssertTrue(exact.covariance.isEmpty)
        XCTAssertNil(exact.parameters[0].standardError)
        XCTAssertNil(exact.reducedChiSquare)
        XCTAssertNoThrow(try JSONEncoder().encode(exact))
        XCTAssertThrowsError(try fitNonlinear(x: [1, 2], y: [1, .nan], model: Self.misra1a, start: [1, 1]))
        XCTAssertThrowsError(try fitNonlinear(x: [1, 2, 3], y: [1, 2, 3], model: Self.misra1a, start: [1]))
    }
}

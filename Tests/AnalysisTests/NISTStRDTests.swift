// The NIST StRD nonlinear regression suite: all 25 problems, each from both certified starts, with analytic
// and with finite-difference Jacobians. Every fit must either reach the certified values (parameters and
// residual sum of squares to LRE ≥ 6, standard errors to LRE ≥ 6, or to the digits double precision can
// carry for a problem whose residuals are at the rounding level of its data: Lanczos1) or name its failure
// and report no standard errors. No fit may report success anywhere else. The table of
// docs/statistics-nist.md is made by `testTheTableInTheDocsIsCurrent` (see there to regenerate it).

import Analysis
import Foundation
import XCTest

/// What a fit must satisfy (file header): nil when it does, else the complaint.
func complaint(_ r: StRDResult) -> String? {
    let label = "\(r.problem.name) start \(r.start) (\(r.analytic ? "analytic" : "finite-difference") J)"
    guard r.fit.converged else {
        guard let failure = r.fit.failure else { return "\(label): not converged, but no failure named" }
        if r.fit.parameters.contains(where: { $0.standardError != nil }) || !r.fit.covariance.isEmpty {
            return "\(label): failed (\(failure)) but reports standard errors"
        }
        return nil
    }
    if r.fit.failure != nil { return "\(label): converged with a failure" }
    let required = r.problem.requiredDigits
    var wrong = [String]()
    if r.parameterDigits < 6 { wrong.append(String(format: "parameters LRE %.1f < 6", r.parameterDigits)) }
    if r.residualSumOfSquaresDigits < required {
        wrong.append(String(format: "RSS %.6g (certified %.6g) LRE %.1f < %.0f", r.fit.chiSquare, r.problem.residualSumOfSquares,
                            r.residualSumOfSquaresDigits, required))
    }
    if let se = r.standardErrorDigits {
        if se < required { wrong.append(String(format: "standard errors LRE %.1f < %.0f", se, required)) }
    } else {
        wrong.append("no standard errors")
    }
    if r.fit.degreesOfFreedom != r.problem.x.count - r.problem.certified.count { wrong.append("degrees of freedom \(r.fit.degreesOfFreedom)") }
    return wrong.isEmpty ? nil : "\(label): reports success (\(r.fit.trustRegion.rawValue), \(r.fit.stopReason)) but \(wrong.joined(separator: ", ")); estimates \(r.fit.estimates)"
}

extension StRDProblem {
    /// Digits required of the standard errors and the residual sum of squares: 6, or fewer where the
    /// residuals carry fewer (`residualDigitsAvailable`, rounded down).
    var requiredDigits: Double { min(6, residualDigitsAvailable.rounded(.down)) }
}

enum StRDSuite {
    /// Every problem from both starts, in table order.
    static func run(analytic: Bool, options: NonlinearFitOptions = NonlinearFitOptions()) throws -> [StRDResult] {
        try StRDProblem.loadAll().flatMap { p in
            try [1, 2].map { try StRDResult.fit(p, start: $0, analytic: analytic, options: options) }
        }
    }

    static func only(_ method: NonlinearFitOptions.TrustRegion) -> NonlinearFitOptions {
        var o = NonlinearFitOptions()
        o.trustRegion = method
        o.fallbacks = []
        return o
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache = [String: [StRDResult]]()

    /// `run` with default options (method nil) or one method alone, computed once per test process (the
    /// table test and the suite tests share the fits).
    static func cached(_ method: NonlinearFitOptions.TrustRegion?, analytic: Bool) throws -> [StRDResult] {
        let key = "\(method?.rawValue ?? "default") \(analytic)"
        lock.lock()
        defer { lock.unlock() }
        if let r = cache[key] { return r }
        let r = try run(analytic: analytic, options: method.map(only) ?? NonlinearFitOptions())
        cache[key] = r
        return r
    }
}

final class NISTStRDTests: XCTestCase {
    func testEveryFileParsesFromNISTFormat() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: StRDProblem.folder.path).filter { $0.hasSuffix(".dat") }
        XCTAssertEqual(Set(files.map { String($0.dropLast(4)) }), Set(StRDModels.all.map(\.name)), "one model per NIST file")
        let problems = try StRDProblem.loadAll()
        XCTAssertEqual(problems.count, 25)
        for p in problems {
            let k = p.certified.count
            XCTAssertEqual([p.start1.count, p.start2.count, p.certifiedSE.count], [k, k, k], p.name)
            XCTAssertEqual(p.parameterNames, (1...k).map { "b\($0)" }, p.name)
            XCTAssertEqual(p.x.count, p.y.count, p.name)
            // The certified residual SD is sqrt(RSS / (n - p)) to the 11 digits NIST prints.
            XCTAssertEqual(p.residualSD, (p.residualSumOfSquares / Double(p.x.count - k)).squareRoot(),
                           accuracy: 1e-9 * p.residualSD, p.name)
            XCTAssertTrue(p.certifiedSE.allSatisfy { $0 > 0 }, p.name)
            XCTAssertNotEqual(p.start1, p.start2, p.name)
        }
        XCTAssertEqual(Dictionary(grouping: problems, by: \.difficulty).mapValues(\.count), ["Lower": 8, "Average": 9, "Higher": 8])
        // The stated degrees of freedom are n - p everywhere but in Rat43's header, which says 9 for 15
        // observations and 4 parameters (its certified residual SD is sqrt(RSS/11), checked above).
        XCTAssertEqual(problems.filter { $0.degreesOfFreedom != $0.x.count - $0.certified.count }.map(\.name), ["Rat43"])
        XCTAssertThrowsError(try StRDProblem.parse("NIST/ITL StRD\nDataset Name:  Nothing\n", name: "Nothing"))
    }

    /// The parser reads the same numbers as the literals typed into NISTData.swift from NIST's web pages.
    func testParsedFilesAgreeWithTheIndependentTranscriptions() throws {
        let parsed = Dictionary(uniqueKeysWithValues: try StRDProblem.loadAll().map { ($0.name, $0) })
        for typed in [NIST.misra1a, NIST.thurber, NIST.mgh09, NIST.eckerle4] {
            let p = try XCTUnwrap(parsed[typed.name])
            XCTAssertEqual(p.x, typed.x, p.name)
            XCTAssertEqual(p.y, typed.y, p.name)
            XCTAssertEqual(p.start1, typed.start1, p.name)
            XCTAssertEqual(p.start2, typed.start2, p.name)
            XCTAssertEqual(p.certified, typed.certified, p.name)
            XCTAssertEqual(p.certifiedSE, typed.certifiedSE, p.name)
            XCTAssertEqual(p.residualSumOfSquares, typed.residualSumOfSquares, p.name)
            XCTAssertEqual(p.residualSD, typed.residualSD, p.name)
        }
    }

    func testModelsAreTheFilesFormulas() throws {
        for p in try StRDProblem.loadAll() {
            let entry = try XCTUnwrap(StRDModels.all.first { $0.name == p.name })
            var text = p.modelText.filter { !$0.isWhitespace }
            XCTAssertTrue(text.hasSuffix("+e"), "\(p.name): \(p.modelText)")
            text.removeLast(2)
            XCTAssertEqual(text, entry.formula, p.name)
        }
    }

    /// Each analytic Jacobian against central differences (step 1e-5 |b_j|) with Richardson extrapolation,
    /// at both starts and at the certified values, column by column.
    func testAnalyticJacobiansAgreeWithFiniteDifferences() throws {
        for p in try StRDProblem.loadAll() {
            let entry = try XCTUnwrap(StRDModels.all.first { $0.name == p.name })
            for theta in [p.start1, p.start2, p.certified] {
                let size = p.x.map { entry.function($0, theta) * entry.function($0, theta) }.reduce(0, +).squareRoot()
                for j in theta.indices {
                    let scale = theta[j] == 0 ? 1 : abs(theta[j])
                    let h = 1e-5 * scale
                    func column(_ h: Double) -> [Double] {
                        var up = theta, down = theta
                        up[j] += h
                        down[j] -= h
                        return p.x.map { (entry.function($0, up) - entry.function($0, down)) / (up[j] - down[j]) }
                    }
                    let wide = column(h), narrow = column(h / 2)
                    let numeric = zip(wide, narrow).map { (4 * $1 - $0) / 3 }
                    let analytic = p.x.map { entry.gradient($0, theta)[j] }
                    let error = zip(numeric, analytic).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
                    let column = analytic.map { $0 * $0 }.reduce(0, +).squareRoot()
                    // Relative to the column, or to the rounding of the differences (ε‖f‖/h) for tiny columns.
                    XCTAssertLessThanOrEqual(error, 1e-6 * column + 1e-9 * size / scale, "\(p.name) b\(j + 1) at \(theta)")
                }
            }
        }
    }

    /// The suite's claim: from both starts, with either Jacobian, every fit is certified or names its failure.
    func testEveryProblemFromBothStartsIsCertifiedOrNamesItsFailure() throws {
        for analytic in [true, false] {
            let results = try StRDSuite.cached(nil, analytic: analytic)
            XCTAssertEqual(results.count, 50)
            for r in results {
                if let c = complaint(r) { XCTFail(c) }
            }
            let certified = results.filter { $0.fit.converged && complaint($0) == nil }
            let failed = results.filter { !$0.fit.converged }.map { "\($0.problem.name)/\($0.start): \($0.fit.failure!.name)" }
            print("NIST StRD, \(analytic ? "analytic" : "finite-difference") J: \(certified.count) of 50 fits certified; failures named: \(failed)")
            // The fallbacks are exercised: BoxBOD's first start is one of the cases they rescue.
            let box = try XCTUnwrap(results.first { $0.problem.name == "BoxBOD" && $0.start == 1 })
            XCTAssertEqual(box.fit.attempts.first?.trustRegion, .levenbergMarquardt)
            XCTAssertEqual(box.fit.attempts.first?.failure, .singularJacobian(parameters: ["b2"]))
            XCTAssertNotEqual(box.fit.trustRegion, .levenbergMarquardt)
        }
    }

    /// The bug report: BoxBOD from start 1 stopped on the plateau b₂ ≈ 115 (RSS 9771.5, certified 1168.0)
    /// and called that success, with a standard error of 0 for b₂ under finite differences.
    func testBoxBODFirstStartIsNoLongerASuccessOnThePlateau() throws {
        let p = try XCTUnwrap(try StRDProblem.loadAll().first { $0.name == "BoxBOD" })
        for analytic in [true, false] {
            let alone = try StRDResult.fit(p, start: 1, analytic: analytic, options: StRDSuite.only(.levenbergMarquardt))
            XCTAssertFalse(alone.fit.converged)
            XCTAssertEqual(alone.fit.failure, .singularJacobian(parameters: ["b2"]))
            XCTAssertEqual(alone.fit.chiSquare, 9771.5, accuracy: 0.5, "Levenberg-Marquardt alone still ends on the plateau")
            XCTAssertGreaterThan(alone.fit["b2"]!.estimate, 50)
            XCTAssertTrue(alone.fit.parameters.allSatisfy { $0.standardError == nil }, "no standard error, not 0")
            XCTAssertTrue(alone.fit.covariance.isEmpty)
            XCTAssertTrue(alone.fit.stopReason.contains("singular Jacobian"), alone.fit.stopReason)
            XCTAssertThrowsError(try alone.fit.requireConverged()) { error in
                XCTAssertEqual(error as? NonlinearFitFailure, .singularJacobian(parameters: ["b2"]))
            }
            let fit = try StRDResult.fit(p, start: 1, analytic: analytic)
            XCTAssertTrue(fit.fit.converged, fit.fit.stopReason)
            XCTAssertGreaterThanOrEqual(fit.residualSumOfSquaresDigits, 6)
            XCTAssertGreaterThanOrEqual(fit.parameterDigits, 6)
            XCTAssertGreaterThanOrEqual(fit.standardErrorDigits ?? 0, 6)
            XCTAssertEqual(fit.fit.attempts.count, 5, "Levenberg-Marquardt and the four fallbacks")
            XCTAssertTrue(fit.fit.stopReason.contains("after Levenberg-Marquardt failed"), fit.fit.stopReason)
            XCTAssertNoThrow(try JSONEncoder().encode(fit.fit))
            XCTAssertNoThrow(try JSONEncoder().encode(alone.fit))
        }
    }

    /// Each of GSL's five trust-region methods alone, no fallbacks: wherever one stops short (BoxBOD's
    /// plateau, MGH09's and MGH17's first starts, Lanczos1's rounding-level residuals, ...) it must say so.
    func testEveryTrustRegionAloneIsCertifiedOrNamesItsFailure() throws {
        var failures = 0
        for method in NonlinearFitOptions.TrustRegion.allCases {
            for analytic in [true, false] {
                for r in try StRDSuite.cached(method, analytic: analytic) {
                    if let c = complaint(r) { XCTFail("\(method.rawValue) alone: \(c)") }
                    XCTAssertEqual(r.fit.trustRegion, method)
                    XCTAssertEqual(r.fit.attempts.count, 1)
                    if !r.fit.converged { failures += 1 }
                }
            }
        }
        XCTAssertGreaterThan(failures, 0, "single methods do stop short on some NIST problems; the checks must see it")
    }

    /// docs/statistics-nist.md holds the table this test makes. Regenerate it with
    ///   DESCENT_WRITE_NIST_TABLE=1 swift test --filter NISTStRDTests/testTheTableInTheDocsIsCurrent
    /// Otherwise the test checks the committed table: the same rows, the same outcome (method or failure)
    /// in each, and digits within 1 (the last bits of the arithmetic may differ between machines).
    func testTheTableInTheDocsIsCurrent() throws {
        var alone = [(NonlinearFitOptions.TrustRegion, [StRDResult], [StRDResult])]()
        for m in NonlinearFitOptions.TrustRegion.allCases {
            alone.append((m, try StRDSuite.cached(m, analytic: true), try StRDSuite.cached(m, analytic: false)))
        }
        let generated = StRDTable.generatedSection(analytic: try StRDSuite.cached(nil, analytic: true),
                                                   finiteDifference: try StRDSuite.cached(nil, analytic: false), alone: alone)
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/statistics-nist.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        guard let begin = text.range(of: StRDTable.begin), let end = text.range(of: StRDTable.end) else {
            return XCTFail("docs/statistics-nist.md has no \(StRDTable.begin) ... \(StRDTable.end) section")
        }
        if ProcessInfo.processInfo.environment["DESCENT_WRITE_NIST_TABLE"] == "1" {
            let updated = String(text[..<begin.upperBound]) + "\n" + generated + String(text[end.lowerBound...])
            try updated.write(to: doc, atomically: true, encoding: .utf8)
            print("wrote \(doc.lastPathComponent)")
            return
        }
        let committed = String(text[begin.upperBound..<end.lowerBound])
        func rows(_ s: String) -> [[String]] {
            s.components(separatedBy: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| problem") && !$0.hasPrefix("| method") }
                .map { $0.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let old = rows(committed), new = rows(generated)
        XCTAssertEqual(old.count, new.count, "rows; regenerate: DESCENT_WRITE_NIST_TABLE=1 swift test --filter NISTStRDTests/testTheTableInTheDocsIsCurrent")
        for (a, b) in zip(old, new) {
            XCTAssertEqual(a.count, b.count, "\(b)")
            for (x, y) in zip(a, b) where x != y {
                if let u = Double(x), let v = Double(y) {
                    XCTAssertEqual(u, v, accuracy: 1, "digits in \(b.prefix(4))")
                } else {
                    XCTFail("docs/statistics-nist.md is out of date: '\(x)' where the fits now give '\(y)' in \(b.prefix(4)); regenerate: DESCENT_WRITE_NIST_TABLE=1 swift test --filter NISTStRDTests/testTheTableInTheDocsIsCurrent")
                }
            }
        }
    }
}

// The NIST StRD nonlinear regression suite: NIST's files (Tests/Fixtures/nist-strd-nls, provenance in the
// README there) parsed from NIST's own format, the 25 models written out as Swift closures with analytic
// Jacobians, a fit of every problem from both certified starts, and the table of digits that
// docs/statistics-nist.md shows.
//
// Digits are the log relative error LRE = -log10(|estimate - certified| / |certified|) (McCullough 1998),
// capped at 11: NIST certifies 11 significant digits.

import Analysis
import Foundation

/// One NIST StRD nonlinear least-squares problem, as its file states it.
struct StRDProblem {
    let name: String
    /// "Lower", "Average" or "Higher" (the file's "Level of Difficulty").
    let difficulty: String
    /// The model as the file writes it, e.g. "y = b1*(1-exp[-b2*x])  +  e" (lines joined by one space).
    let modelText: String
    let parameterNames: [String]
    let start1: [Double]
    let start2: [Double]
    let certified: [Double]
    let certifiedSE: [Double]
    let residualSumOfSquares: Double
    let residualSD: Double
    let degreesOfFreedom: Int
    let x: [Double]
    let y: [Double]

    func start(_ k: Int) -> [Double] { k == 1 ? start1 : start2 }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses NIST's file format: a header whose "File Format" block gives the line ranges of the starting
    /// and certified values and of the data; lines "bK = start1 start2 certified sd" (one per parameter);
    /// then the residual sum of squares, residual standard deviation, degrees of freedom and number of
    /// observations; the model in the "Model:" block; data lines "y x" (columns in the order their header
    /// names them).
    static func parse(_ text: String, name: String) throws -> StRDProblem {
        let lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        func fail(_ why: String) -> ParseError { ParseError(description: "\(name): \(why)") }
        /// The line range (1-based, inclusive) the File Format block gives for `label`.
        func range(_ label: String) throws -> ClosedRange<Int> {
            let pattern = label + #"\s*\(lines"#
            guard let line = lines.prefix(20).first(where: { $0.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil }),
                  let open = line.range(of: "(lines") else { throw fail("no '\(label) (lines a to b)' in the header") }
            let numbers = line[open.upperBound...].components(separatedBy: CharacterSet.decimalDigits.inverted).compactMap { Int($0) }
            guard numbers.count == 2, numbers[0] >= 1, numbers[0] <= numbers[1], numbers[1] <= lines.count else {
                throw fail("bad line range in '\(line)'")
            }
            return numbers[0]...numbers[1]
        }
        func line(_ k: Int) -> String { lines[k - 1] }
        func fields(_ s: String) -> [String] { s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        func number(_ s: String) throws -> Double {
            guard let v = Double(s), v.isFinite else { throw fail("'\(s)' is not a number") }
            return v
        }
        /// The number after "label:" on the first line that starts with `label`.
        func value(_ label: String) throws -> Double {
            guard let l = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
                  let colon = l.firstIndex(of: ":"), let f = fields(String(l[l.index(after: colon)...])).first
            else { throw fail("no '\(label)' line") }
            return try number(f)
        }

        let starts = try range("Starting Values"), data = try range("Data")
        var names = [String](), s1 = [Double](), s2 = [Double](), cert = [Double](), sd = [Double]()
        for k in starts {
            let parts = line(k).components(separatedBy: "=")
            let values = parts.count == 2 ? fields(parts[1]) : []
            guard values.count == 4 else { throw fail("line \(k) is not 'bK = start1 start2 certified sd': '\(line(k))'") }
            names.append(parts[0].trimmingCharacters(in: .whitespaces))
            s1.append(try number(values[0]))
            s2.append(try number(values[1]))
            cert.append(try number(values[2]))
            sd.append(try number(values[3]))
        }
        guard names == (1...names.count).map({ "b\($0)" }) else { throw fail("parameters \(names), expected b1, b2, ...") }

        // The model: the lines after "Model:" and its "N Parameters" line, up to the first blank line after
        // the formula.
        guard let modelLine = lines.firstIndex(where: { $0.hasPrefix("Model:") }),
              let countLine = lines[modelLine...].firstIndex(where: { $0.contains("Parameters") }),
              let declared = fields(lines[countLine]).first.flatMap({ Int($0) }) else { throw fail("no 'Model:' block") }
        guard declared == names.count else { throw fail("the model declares \(declared) parameters, the table lists \(names.count)") }
        var formula = [String]()
        for l in lines[(countLine + 1)...] {
            let t = l.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { if formula.isEmpty { continue } else { break } }
            formula.append(t)
        }
        guard let difficulty = lines.first(where: { $0.contains("Level of Difficulty") }).flatMap({ fields($0).first }) else {
            throw fail("no 'Level of Difficulty' line")
        }

        // The data, columns as their header line names them.
        let header = fields(line(data.lowerBound - 1))
        guard header.first == "Data:", let yColumn = header.firstIndex(of: "y"), let xColumn = header.firstIndex(of: "x") else {
            throw fail("line \(data.lowerBound - 1) is not the 'Data: y x' header")
        }
        var x = [Double](), y = [Double]()
        for k in data {
            let f = fields(line(k))
            guard f.count == 2 else { throw fail("data line \(k) has \(f.count) fields") }
            y.append(try number(f[yColumn - 1]))
            x.append(try number(f[xColumn - 1]))
        }
        let observations = try value("Number of Observations")
        guard Double(x.count) == observations else { throw fail("\(x.count) data lines for \(observations) observations") }
        let dof = try value("Degrees of Freedom")
        return StRDProblem(name: name, difficulty: difficulty, modelText: formula.joined(separator: " "), parameterNames: names,
                           start1: s1, start2: s2, certified: cert, certifiedSE: sd,
                           residualSumOfSquares: try value("Residual Sum of Squares"),
                           residualSD: try value("Residual Standard Deviation"), degreesOfFreedom: Int(dof), x: x, y: y)
    }

    /// The folder of NIST's files, found from this source file (Tests/AnalysisTests → Tests/Fixtures).
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nist-strd-nls")

    /// Every problem in the folder, in NIST's order of difficulty (the order of `StRDModels.all`).
    static func loadAll() throws -> [StRDProblem] {
        try StRDModels.all.map { entry in
            let url = folder.appendingPathComponent("\(entry.name).dat")
            return try parse(try String(contentsOf: url, encoding: .ascii), name: entry.name)
        }
    }

    /// Significant digits that double precision can reproduce in the residuals: the residual SD against the
    /// rounding of the data (ε max|y|). Below about 8 the certified residual sum of squares, and with it the
    /// standard errors, cannot be matched to 6 digits by any double-precision fit.
    var residualDigitsAvailable: Double {
        log10(residualSD / (Double.ulpOfOne * y.map { abs($0) }.max()!))
    }
}

/// The 25 models, written out from their files' formulas, with analytic Jacobians.
enum StRDModels {
    struct Entry {
        let name: String
        /// The file's formula without blanks and without the trailing "+e" (checked against the file).
        let formula: String
        let function: @Sendable (Double, [Double]) -> Double
        let gradient: @Sendable (Double, [Double]) -> [Double]

        func model(parameters p: Int, analytic: Bool) -> NonlinearModel {
            NonlinearModel(parameterNames: (1...p).map { "b\($0)" }, function: function, gradient: analytic ? gradient : nil)
        }
    }

    // y = b1 (1 - exp(-b2 x))  (Misra1a, BoxBOD)
    static let saturating: (@Sendable (Double, [Double]) -> Double, @Sendable (Double, [Double]) -> [Double]) = (
        { x, b in b[0] * (1 - exp(-b[1] * x)) },
        { x, b in
            let e = exp(-b[1] * x)
            return [1 - e, b[0] * x * e]
        })
    // y = exp(-b1 x) / (b2 + b3 x)  (Chwirut1, Chwirut2)
    static let chwirut: (@Sendable (Double, [Double]) -> Double, @Sendable (Double, [Double]) -> [Double]) = (
        { x, b in exp(-b[0] * x) / (b[1] + b[2] * x) },
        { x, b in
            let e = exp(-b[0] * x), d = b[1] + b[2] * x
            return [-x * e / d, -e / (d * d), -x * e / (d * d)]
        })
    // y = b1 exp(-b2 x) + b3 exp(-b4 x) + b5 exp(-b6 x)  (Lanczos1-3)
    static let lanczos: (@Sendable (Double, [Double]) -> Double, @Sendable (Double, [Double]) -> [Double]) = (
        { x, b in b[0] * exp(-b[1] * x) + b[2] * exp(-b[3] * x) + b[4] * exp(-b[5] * x) },
        { x, b in
            let e1 = exp(-b[1] * x), e2 = exp(-b[3] * x), e3 = exp(-b[5] * x)
            return [e1, -b[0] * x * e1, e2, -b[2] * x * e2, e3, -b[4] * x * e3]
        })
    // y = b1 exp(-b2 x) + b3 exp(-(x - b4)²/b5²) + b6 exp(-(x - b7)²/b8²)  (Gauss1-3)
    static let gauss: (@Sendable (Double, [Double]) -> Double, @Sendable (Double, [Double]) -> [Double]) = (
        { x, b in
            b[0] * exp(-b[1] * x) + b[2] * exp(-(x - b[3]) * (x - b[3]) / (b[4] * b[4]))
                + b[5] * exp(-(x - b[6]) * (x - b[6]) / (b[7] * b[7]))
        },
        { x, b in
            let e = exp(-b[1] * x)
            let u = x - b[3], g1 = exp(-u * u / (b[4] * b[4]))
            let v = x - b[6], g2 = exp(-v * v / (b[7] * b[7]))
            return [e, -b[0] * x * e,
                    g1, b[2] * g1 * 2 * u / (b[4] * b[4]), b[2] * g1 * 2 * u * u / (b[4] * b[4] * b[4]),
                    g2, b[5] * g2 * 2 * v / (b[7] * b[7]), b[5] * g2 * 2 * v * v / (b[7] * b[7] * b[7])]
        })
    // y = (b1 + b2 x + b3 x² + b4 x³) / (1 + b5 x + b6 x² + b7 x³)  (Hahn1, Thurber)
    static let cubicRational: (@Sendable (Double, [Double]) -> Double, @Sendable (Double, [Double]) -> [Double]) = (
        { x, b in (b[0] + b[1] * x + b[2] * x * x + b[3] * x * x * x) / (1 + b[4] * x + b[5] * x * x + b[6] * x * x * x) },
        { x, b in
            let num = b[0] + b[1] * x + b[2] * x * x + b[3] * x * x * x
            let den = 1 + b[4] * x + b[5] * x * x + b[6] * x * x * x
            let q = num / (den * den)
            return [1 / den, x / den, x * x / den, x * x * x / den, -x * q, -x * x * q, -x * x * x * q]
        })

    static let all: [Entry] = [
        // Lower difficulty
        Entry(name: "Misra1a", formula: "y=b1*(1-exp[-b2*x])", function: saturating.0, gradient: saturating.1),
        Entry(name: "Chwirut2", formula: "y=exp(-b1*x)/(b2+b3*x)", function: chwirut.0, gradient: chwirut.1),
        Entry(name: "Chwirut1", formula: "y=exp[-b1*x]/(b2+b3*x)", function: chwirut.0, gradient: chwirut.1),
        Entry(name: "Lanczos3", formula: "y=b1*exp(-b2*x)+b3*exp(-b4*x)+b5*exp(-b6*x)", function: lanczos.0, gradient: lanczos.1),
        Entry(name: "Gauss1", formula: "y=b1*exp(-b2*x)+b3*exp(-(x-b4)**2/b5**2)+b6*exp(-(x-b7)**2/b8**2)", function: gauss.0, gradient: gauss.1),
        Entry(name: "Gauss2", formula: "y=b1*exp(-b2*x)+b3*exp(-(x-b4)**2/b5**2)+b6*exp(-(x-b7)**2/b8**2)", function: gauss.0, gradient: gauss.1),
        Entry(name: "DanWood", formula: "y=b1*x**b2",
              function: { x, b in b[0] * pow(x, b[1]) },
              gradient: { x, b in [pow(x, b[1]), b[0] * pow(x, b[1]) * log(x)] }),
        Entry(name: "Misra1b", formula: "y=b1*(1-(1+b2*x/2)**(-2))",
              function: { x, b in b[0] * (1 - pow(1 + b[1] * x / 2, -2)) },
              gradient: { x, b in
                  let u = 1 + b[1] * x / 2
                  return [1 - 1 / (u * u), b[0] * x / (u * u * u)]
              }),
        // Average difficulty
        Entry(name: "Kirby2", formula: "y=(b1+b2*x+b3*x**2)/(1+b4*x+b5*x**2)",
              function: { x, b in (b[0] + b[1] * x + b[2] * x * x) / (1 + b[3] * x + b[4] * x * x) },
              gradient: { x, b in
                  let num = b[0] + b[1] * x + b[2] * x * x, den = 1 + b[3] * x + b[4] * x * x
                  let q = num / (den * den)
                  return [1 / den, x / den, x * x / den, -x * q, -x * x * q]
              }),
        Entry(name: "Hahn1", formula: "y=(b1+b2*x+b3*x**2+b4*x**3)/(1+b5*x+b6*x**2+b7*x**3)", function: cubicRational.0, gradient: cubicRational.1),
        Entry(name: "MGH17", formula: "y=b1+b2*exp[-x*b4]+b3*exp[-x*b5]",
              function: { x, b in b[0] + b[1] * exp(-x * b[3]) + b[2] * exp(-x * b[4]) },
              gradient: { x, b in
                  let e4 = exp(-x * b[3]), e5 = exp(-x * b[4])
                  return [1, e4, e5, -b[1] * x * e4, -b[2] * x * e5]
              }),
        Entry(name: "Lanczos1", formula: "y=b1*exp(-b2*x)+b3*exp(-b4*x)+b5*exp(-b6*x)", function: lanczos.0, gradient: lanczos.1),
        Entry(name: "Lanczos2", formula: "y=b1*exp(-b2*x)+b3*exp(-b4*x)+b5*exp(-b6*x)", function: lanczos.0, gradient: lanczos.1),
        Entry(name: "Gauss3", formula: "y=b1*exp(-b2*x)+b3*exp(-(x-b4)**2/b5**2)+b6*exp(-(x-b7)**2/b8**2)", function: gauss.0, gradient: gauss.1),
        Entry(name: "Misra1c", formula: "y=b1*(1-(1+2*b2*x)**(-.5))",
              function: { x, b in b[0] * (1 - 1 / (1 + 2 * b[1] * x).squareRoot()) },
              gradient: { x, b in
                  let u = 1 + 2 * b[1] * x
                  return [1 - 1 / u.squareRoot(), b[0] * x / (u * u.squareRoot())]
              }),
        Entry(name: "Misra1d", formula: "y=b1*b2*x*((1+b2*x)**(-1))",
              function: { x, b in b[0] * b[1] * x / (1 + b[1] * x) },
              gradient: { x, b in
                  let u = 1 + b[1] * x
                  return [b[1] * x / u, b[0] * x / (u * u)]
              }),
        Entry(name: "ENSO", formula: "y=b1+b2*cos(2*pi*x/12)+b3*sin(2*pi*x/12)+b5*cos(2*pi*x/b4)+b6*sin(2*pi*x/b4)+b8*cos(2*pi*x/b7)+b9*sin(2*pi*x/b7)",
              function: { x, b in
                  let w = 2 * Double.pi * x
                  return b[0] + b[1] * cos(w / 12) + b[2] * sin(w / 12) + b[4] * cos(w / b[3]) + b[5] * sin(w / b[3])
                      + b[7] * cos(w / b[6]) + b[8] * sin(w / b[6])
              },
              gradient: { x, b in
                  let w = 2 * Double.pi * x
                  let a = w / b[3], c = w / b[6]
                  // d/db4 of b5 cos(w/b4) + b6 sin(w/b4) = (b5 sin a - b6 cos a) w / b4²; likewise b7.
                  return [1, cos(w / 12), sin(w / 12),
                          (b[4] * sin(a) - b[5] * cos(a)) * w / (b[3] * b[3]), cos(a), sin(a),
                          (b[7] * sin(c) - b[8] * cos(c)) * w / (b[6] * b[6]), cos(c), sin(c)]
              }),
        // Higher difficulty
        Entry(name: "MGH09", formula: "y=b1*(x**2+x*b2)/(x**2+x*b3+b4)",
              function: { x, b in b[0] * (x * x + x * b[1]) / (x * x + x * b[2] + b[3]) },
              gradient: { x, b in
                  let num = x * x + x * b[1], den = x * x + x * b[2] + b[3]
                  return [num / den, b[0] * x / den, -b[0] * num * x / (den * den), -b[0] * num / (den * den)]
              }),
        Entry(name: "Thurber", formula: "y=(b1+b2*x+b3*x**2+b4*x**3)/(1+b5*x+b6*x**2+b7*x**3)", function: cubicRational.0, gradient: cubicRational.1),
        Entry(name: "BoxBOD", formula: "y=b1*(1-exp[-b2*x])", function: saturating.0, gradient: saturating.1),
        Entry(name: "Rat42", formula: "y=b1/(1+exp[b2-b3*x])",
              function: { x, b in b[0] / (1 + exp(b[1] - b[2] * x)) },
              gradient: { x, b in
                  let e = exp(b[1] - b[2] * x), d = 1 + e
                  return [1 / d, -b[0] * e / (d * d), b[0] * x * e / (d * d)]
              }),
        Entry(name: "MGH10", formula: "y=b1*exp[b2/(x+b3)]",
              function: { x, b in b[0] * exp(b[1] / (x + b[2])) },
              gradient: { x, b in
                  let e = exp(b[1] / (x + b[2]))
                  return [e, b[0] * e / (x + b[2]), -b[0] * e * b[1] / ((x + b[2]) * (x + b[2]))]
              }),
        Entry(name: "Eckerle4", formula: "y=(b1/b2)*exp[-0.5*((x-b3)/b2)**2]",
              function: { x, b in (b[0] / b[1]) * exp(-0.5 * ((x - b[2]) / b[1]) * ((x - b[2]) / b[1])) },
              gradient: { x, b in
                  let u = (x - b[2]) / b[1], e = exp(-0.5 * u * u)
                  return [e / b[1], (b[0] / b[1]) * e * (u * u - 1) / b[1], (b[0] / b[1]) * e * u / b[1]]
              }),
        Entry(name: "Rat43", formula: "y=b1/((1+exp[b2-b3*x])**(1/b4))",
              function: { x, b in b[0] / pow(1 + exp(b[1] - b[2] * x), 1 / b[3]) },
              gradient: { x, b in
                  let e = exp(b[1] - b[2] * x), d = 1 + e
                  let f = pow(d, -1 / b[3])            // d^(-1/b4)
                  return [f, -b[0] * f * e / (d * b[3]), b[0] * f * x * e / (d * b[3]), b[0] * f * log(d) / (b[3] * b[3])]
              }),
        Entry(name: "Bennett5", formula: "y=b1*(b2+x)**(-1/b3)",
              function: { x, b in b[0] * pow(b[1] + x, -1 / b[2]) },
              gradient: { x, b in
                  let u = b[1] + x, f = pow(u, -1 / b[2])
                  return [f, -b[0] * f / (b[2] * u), b[0] * f * log(u) / (b[2] * b[2])]
              }),
    ]
}

/// The fit of one problem from one start, scored against the certified values.
struct StRDResult {
    let problem: StRDProblem
    let start: Int
    let analytic: Bool
    let fit: NonlinearFit
    /// The smallest LRE over the parameters (capped at 11).
    var parameterDigits: Double { zip(fit.estimates, problem.certified).map { digits($0, $1) }.min()! }
    /// The smallest LRE over the standard errors; nil when the fit has none.
    var standardErrorDigits: Double? {
        let se = fit.parameters.compactMap(\.standardError)
        guard se.count == problem.certifiedSE.count else { return nil }
        return zip(se, problem.certifiedSE).map { digits($0, $1) }.min()!
    }
    var residualSumOfSquaresDigits: Double { digits(fit.chiSquare, problem.residualSumOfSquares) }

    /// -log10 of the relative error, capped at 11 (the certified digits); 0 when not finite.
    func digits(_ estimate: Double, _ certified: Double) -> Double {
        let rel = abs(estimate - certified) / abs(certified)
        guard rel.isFinite else { return 0 }
        return rel == 0 ? 11 : min(11, max(0, -log10(rel)))
    }

    /// "certified by <method>" or the failure's name.
    var outcome: String {
        if let f = fit.failure { return f.name }
        return fit.trustRegion.rawValue
    }

    static func fit(_ problem: StRDProblem, start: Int, analytic: Bool,
                    options: NonlinearFitOptions = NonlinearFitOptions()) throws -> StRDResult {
        guard let entry = StRDModels.all.first(where: { $0.name == problem.name }) else {
            throw StRDProblem.ParseError(description: "no model for \(problem.name)")
        }
        let model = entry.model(parameters: problem.certified.count, analytic: analytic)
        let fit = try fitNonlinear(x: problem.x, y: problem.y, model: model, start: problem.start(start), options: options)
        return StRDResult(problem: problem, start: start, analytic: analytic, fit: fit)
    }
}

enum StRDTable {
    static let begin = "<!-- nist-table:begin (generated by NISTStRDTests.testTheTableInTheDocsIsCurrent) -->"
    static let end = "<!-- nist-table:end -->"

    static func digits(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "–" }

    /// GSL's name of the trust-region subproblem method (gsl_multifit_nlinear_trs_<name>).
    static func gsl(_ m: NonlinearFitOptions.TrustRegion) -> String {
        switch m {
        case .levenbergMarquardt: return "lm"
        case .levenbergMarquardtAccelerated: return "lmaccel"
        case .dogleg: return "dogleg"
        case .doubleDogleg: return "ddogleg"
        case .subspace2D: return "subspace2D"
        }
    }

    /// The outcome of a fit in a word or two: the method whose end point was kept (with the first method's
    /// failure when a fallback won), or the failure's name.
    static func outcome(_ r: StRDResult) -> String {
        if let failure = r.fit.failure { return "**failure: \(failure.name)**" }
        guard r.fit.trustRegion != r.fit.attempts[0].trustRegion, let first = r.fit.attempts[0].failure else {
            return gsl(r.fit.trustRegion)
        }
        return "**\(gsl(r.fit.trustRegion))** (\(gsl(r.fit.attempts[0].trustRegion)): \(first.name))"
    }

    static func cells(_ r: StRDResult) -> String {
        "\(digits(r.parameterDigits)) | \(digits(r.standardErrorDigits)) | \(digits(r.residualSumOfSquaresDigits)) | \(outcome(r))"
    }

    /// "BoxBOD/1 (singular Jacobian: b2), ..." for the fits that failed.
    static func failures(_ results: [StRDResult]) -> String {
        let failed = results.filter { !$0.fit.converged }.map { r -> String in
            let f = r.fit.failure!
            if case let .singularJacobian(names) = f { return "\(r.problem.name)/\(r.start) \(f.name) (\(names.joined(separator: ", ")))" }
            return "\(r.problem.name)/\(r.start) \(f.name)"
        }
        return failed.isEmpty ? "none" : failed.joined(separator: ", ")
    }

    static func certifiedCount(_ results: [StRDResult]) -> Int {
        results.filter { $0.fit.converged && complaint($0) == nil }.count
    }

    static func summary(_ results: [StRDResult], _ label: String) -> String {
        let rescued = results.filter { $0.fit.converged && $0.fit.trustRegion != $0.fit.attempts[0].trustRegion }
            .map { "\($0.problem.name)/\($0.start)" }
        var line = "- \(label): **\(certifiedCount(results)) of \(results.count)** fits reach the certified values; named failures: \(failures(results))"
        if !rescued.isEmpty { line += "; a fallback's end point was kept for \(rescued.joined(separator: ", "))" }
        return line + "."
    }

    /// The generated part of docs/statistics-nist.md: summary lines, each GSL method alone, and the table,
    /// one row per problem and start, analytic and finite-difference Jacobians side by side.
    static func generatedSection(analytic: [StRDResult], finiteDifference: [StRDResult],
                                 alone: [(NonlinearFitOptions.TrustRegion, [StRDResult], [StRDResult])]) -> String {
        var lines = [
            summary(analytic, "Analytic Jacobians (default options: lm, then the fallbacks if needed)"),
            summary(finiteDifference, "Finite-difference Jacobians (default options)"),
            "",
            "Each of GSL's methods alone (`trustRegion = m`, `fallbacks = []`), fits certified of 50 and the failures it names:",
            "",
            "| method | analytic J: certified | named failures | finite-difference J: certified | named failures |",
            "|---|---|---|---|---|",
        ]
        for (m, a, d) in alone {
            lines.append("| \(gsl(m)) | \(certifiedCount(a)) | \(failures(a)) | \(certifiedCount(d)) | \(failures(d)) |")
        }
        lines += [
            "",
            "Digits (LRE, capped at 11) of the returned fit for every problem and start; \"kept\" is the method whose end point was returned, in bold when a fallback's, with the failure of lm's own end point:",
            "",
            "| problem | difficulty | start | params | SEs | RSS | analytic J: kept | params | SEs | RSS | finite-difference J: kept |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for (a, d) in zip(analytic, finiteDifference) {
            lines.append("| \(a.problem.name) | \(a.problem.difficulty) | \(a.start) | \(cells(a)) | \(cells(d)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

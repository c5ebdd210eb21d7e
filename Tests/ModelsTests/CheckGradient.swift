// The assertion the gradient tests share: a finite-difference gradient check that fails the test with
// the worst components side by side. See Tests/TestSupport/GradientCheck.swift for the method and tolerances.
import TestSupport
import XCTest

func checkGradient(_ name: String, at x: [Double], analytic: [Double], file: StaticString = #filePath, line: UInt = #line,
                   _ f: ([Double]) -> Double) {
    let r = gradientCheck(name, at: x, analytic: analytic, f)
    if !r.passed { XCTFail(r.description, file: file, line: line) }
}

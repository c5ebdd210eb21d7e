// The loss counts a row as saturated where its softmax rounds to one: at a margin of 30 in float32, not in float64.
import XCTest
import Training

final class SaturationTests: XCTestCase {
    /// A margin of 30 saturates float32's softmax (e^-30 ≈ 9e-14 < ulp(1)/2 ≈ 6e-8) but not float64's (1.1e-16).
    func testSoftmaxSaturationDependsOnPrecision() {
        let f = lossForwardBackward(.crossEntropy, logits: [Float(30), 0, 0, 5, 1, 2], labels: [0, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        XCTAssertEqual(f.saturated, 1)
        XCTAssertEqual(f.saturatedFraction, 0.5)
        let d = lossForwardBackward(.crossEntropy, logits: [Double(30), 0, 0, 5, 1, 2], labels: [0, 1], B: 2, C: 3, dlogits: nil, scale: 1)
        XCTAssertEqual(d.saturated, 0)
        // A wrong prediction is never counted as saturated, however large its margin.
        XCTAssertEqual(lossForwardBackward(.crossEntropy, logits: [Float(0), 40, 0], labels: [0], B: 1, C: 3, dlogits: nil, scale: 1).saturated, 0)
    }
}

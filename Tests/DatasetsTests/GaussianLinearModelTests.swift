// The Gaussian linear model: the variance of y, the signal seen and missed by the first features.
import XCTest
import Datasets
import Linalg

final class GaussianLinearModelTests: XCTestCase {
    func testSampleVarianceAndTheSignalOfTheFirstFeatures() {
        var rng = RNG(seed: 10)
        let m = GaussianLinearModel.randomDirection(dimension: 20, signal: 2, noise: 0.5, rng: &rng)
        XCTAssertEqual(m.signal, 2, accuracy: 1e-12)
        let data = m.sample(20000, rng: &rng)
        let vy = data.y.reduce(0) { $0 + $1 * $1 } / Double(data.count)
        XCTAssertEqual(vy, 4 + 0.25, accuracy: 0.15, "Var y = r² + σ²")      // sd of the estimate ~ 0.042
        let spread = GaussianLinearModel.evenlySpread(dimension: 100, signal: 1, noise: 0)
        XCTAssertEqual(spread.signalSeen(firstFeatures: 30), 0.3, accuracy: 1e-12)
        XCTAssertEqual(spread.signalMissed(firstFeatures: 30), 0.7, accuracy: 1e-12)
        XCTAssertEqual(data.firstFeatures(5).features, 5)
        XCTAssertEqual(data.firstFeatures(5).x[3, 4], data.x[3, 4])
    }
}

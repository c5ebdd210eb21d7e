// Gradient noise: mean 0 and standard deviation proportional to the gradient's RMS.
import XCTest
import Datasets
import Linalg
import Models
import Training

final class GradientNoiseTests: XCTestCase {
    /// The noise added to the gradient has mean 0 and standard deviation s · rms(g), whatever g's scale.
    func testNoiseScalesWithTheGradient() throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Double>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        let model = MLP<Double>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [64], classes: 11), capacity: tr.count, rng: RNG(seed: 2))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
        let n = model.store.count
        for (scale, s) in [(1e-3, 0.5), (10.0, 2.0)] {
            var r = RNG(seed: 4)
            let g = (0..<n).map { _ in scale * r.normal() }
            for i in 0..<n { model.store.grads[i] = g[i] }
            GradientNoise.add(ratio: s, to: model.store.grads, count: n, rng: &r)
            let noise = (0..<n).map { model.store.grads[$0] - g[$0] }
            let rms = (g.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
            let mean = noise.reduce(0, +) / Double(n)
            let sd = (noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
            let sigma = s * rms
            XCTAssertEqual(mean, 0, accuracy: 4 * sigma / Double(n).squareRoot())
            // The sample SD of n normals has a standard error of about σ/√(2n).
            XCTAssertEqual(sd, sigma, accuracy: 4 * sigma / (2 * Double(n)).squareRoot())
        }
    }
}

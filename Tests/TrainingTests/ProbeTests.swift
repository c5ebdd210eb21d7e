import XCTest
import Datasets
import Linalg
import Models
import Training

final class ProbeTests: XCTestCase {
    /// Embeddings built from two frequencies put all their power there, split by amplitude².
    func testSpectrumFindsTheFrequencies() {
        let p = 31, C = 6
        var e = [Double](repeating: 0, count: p * C)
        for x in 0..<p {
            for c in 0..<C {
                let phase = Double(c) * 0.7
                e[x * C + c] = 2 * cos(2 * .pi * 5 * Double(x) / Double(p) + phase) + 1 * sin(2 * .pi * 12 * Double(x) / Double(p) + phase)
            }
        }
        let s = embeddingSpectrum(e, p: p, C: C)
        XCTAssertEqual(s.count, 16)
        XCTAssertEqual(s.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(s[5], 0.8, accuracy: 1e-9)       // amplitude² 4 : 1
        XCTAssertEqual(s[12], 0.2, accuracy: 1e-9)
        let top = topFrequencies(s, count: 2)
        XCTAssertEqual(top.frequencies, [5, 12])
        XCTAssertEqual(top.share, 1, accuracy: 1e-9)
        // The Gini coefficient over the 15 non-constant frequencies, by its definition written out here.
        let shares = Array(s.dropFirst())
        var pairs = 0.0
        for a in shares { for b in shares { pairs += abs(a - b) } }
        XCTAssertEqual(spectrumGini(s), pairs / (2 * 15 * shares.reduce(0, +)), accuracy: 1e-12)
        // One frequency alone: all the power in it, the largest Gini for 15 frequencies, 14/15.
        let single = (0..<(p * C)).map { i in cos(2 * .pi * 7 * Double(i / C) / Double(p) + Double(i % C)) }
        let one = embeddingSpectrum(single, p: p, C: C)
        XCTAssertEqual(topFrequencies(one, count: 1).share, 1, accuracy: 1e-12)
        XCTAssertEqual(spectrumGini(one), 14.0 / 15, accuracy: 1e-12)
        XCTAssertEqual(spectrumGini([0.2] + [Double](repeating: 0.8 / 15, count: 15)), 0, accuracy: 1e-12)
        // Random embeddings spread their power: no frequency dominates.
        var rng = RNG(seed: 1)
        let noise = (0..<(p * C)).map { _ in rng.normal() }
        XCTAssertLessThan(topFrequencies(embeddingSpectrum(noise, p: p, C: C), count: 2).share, 0.5)
    }

    /// Points on a circle in a random 2-D plane of R^8 come back as a circle.
    func testPrincipalComponentsRecoverACircle() throws {
        let n = 40, d = 8
        var rng = RNG(seed: 2)
        let u = (0..<d).map { _ in rng.normal() }, w0 = (0..<d).map { _ in rng.normal() }
        let un = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let a = u.map { $0 / un }
        let proj = zip(w0, a).map(*).reduce(0, +)
        var b = zip(w0, a).map { $0 - proj * $1 }
        let bn = b.reduce(0) { $0 + $1 * $1 }.squareRoot(); b = b.map { $0 / bn }
        var x = [Double]()
        for i in 0..<n {
            let t = 2 * Double.pi * Double(i) / Double(n)
            for j in 0..<d { x.append(3 + 2 * cos(t) * a[j] + 2 * sin(t) * b[j]) }
        }
        let (points, explained) = try principalComponents2(x, rows: n, cols: d)
        XCTAssertEqual(explained, 1, accuracy: 1e-9)
        for (px, py) in points { XCTAssertEqual((px * px + py * py).squareRoot(), 2, accuracy: 1e-9) }
    }

    func testSharpnessIsReproducibleAndRestoresParameters() throws {
        let table = try OperationTable(operation: .add, modulus: 11)
        let (tr, va) = try table.split(trainFraction: 0.6, rng: RNG(seed: 1))
        let data = TrainingData<Float>(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: 11)
        var tc = TrainingConfig(); tc.maxSteps = 200
        let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 8), vocabulary: 11, hidden: [32], classes: 11), capacity: tr.count, rng: RNG(seed: 2))
        let trainer = Trainer(model: model, optimizer: OptimizerConfig(), config: tc, data: data, rng: RNG(seed: 3))
        _ = trainer.run()
        let before = model.store.valueArray
        let s1 = trainer.sharpness(relative: 0.05, samples: 4, rng: RNG(seed: 9))
        let s2 = trainer.sharpness(relative: 0.05, samples: 4, rng: RNG(seed: 9))
        XCTAssertEqual(s1, s2)
        XCTAssertEqual(model.store.valueArray, before)
        XCTAssertGreaterThan(s1, 0, "a perturbation of a trained minimum raises the loss")
        XCTAssertEqual(trainer.sharpness(relative: 0, samples: 2, rng: RNG(seed: 9)), 0)
        XCTAssertGreaterThan(trainer.sharpness(relative: 0.2, samples: 4, rng: RNG(seed: 9)), s1)
    }

    /// The t-SNE gradient against central finite differences of KL(P ‖ Q).
    func testTSNEGradientMatchesFiniteDifferences() {
        var rng = RNG(seed: 4)
        let n = 9, d = 5
        let x = (0..<(n * d)).map { _ in rng.normal() }
        let p = tsneAffinities(x, rows: n, cols: d, perplexity: 3)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
        let y = (0..<(2 * n)).map { _ in rng.normal() }
        let g = tsneObjective(affinities: p, map: y, count: n).gradient
        for c in 0..<(2 * n) {
            var up = y, down = y
            up[c] += 1e-6; down[c] -= 1e-6
            let numeric = (tsneObjective(affinities: p, map: up, count: n).kl - tsneObjective(affinities: p, map: down, count: n).kl) / 2e-6
            XCTAssertEqual(g[c], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "coordinate \(c)")
        }
    }

    /// Each row's bandwidth is set so that its conditional distribution has the asked perplexity.
    func testTSNEAffinitiesHaveThePerplexity() {
        var rng = RNG(seed: 5)
        let n = 40, d = 3
        let x = (0..<(n * d)).map { _ in rng.normal() * 10 }
        // Undo the symmetrization for one row is not possible; check through a set of identical rows instead:
        // n equidistant points (a simplex) give every conditional the uniform distribution, perplexity n − 1.
        let simplex = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        let uniform = tsneAffinities(simplex, rows: n, cols: n, perplexity: 5)
        XCTAssertEqual(uniform[1], 1 / Double(n * (n - 1)), accuracy: 1e-12)
        // Random points: symmetric, zero diagonal, sums to one.
        let p = tsneAffinities(x, rows: n, cols: d, perplexity: 10)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
        for i in 0..<n { XCTAssertEqual(p[i * n + i], 0); for j in 0..<n { XCTAssertEqual(p[i * n + j], p[j * n + i], accuracy: 1e-15) } }
    }

    /// Three well-separated clusters in 10 dimensions stay separated in the map: every point's nearest
    /// neighbour in 2-D is from its own cluster; the result is reproducible under the seed.
    func testTSNEKeepsClustersApart() {
        var rng = RNG(seed: 6)
        let perCluster = 20, d = 10, n = 3 * perCluster
        var x = [Double]()
        for i in 0..<n { let c = i / perCluster; for k in 0..<d { x.append(rng.normal() + (k == c ? 12 : 0)) } }
        let a = tsne(x, rows: n, cols: d, perplexity: 10, iterations: 600, rng: RNG(seed: 7))
        let b = tsne(x, rows: n, cols: d, perplexity: 10, iterations: 600, rng: RNG(seed: 7))
        XCTAssertEqual(a.points.map(\.0), b.points.map(\.0))
        XCTAssertLessThan(a.klDivergence, 1.0)
        for i in 0..<n {
            let nearest = (0..<n).filter { $0 != i }.min { j, k in
                hypot(a.points[i].0 - a.points[j].0, a.points[i].1 - a.points[j].1) < hypot(a.points[i].0 - a.points[k].0, a.points[i].1 - a.points[k].1)
            }!
            XCTAssertEqual(nearest / perCluster, i / perCluster, "point \(i)")
        }
    }

    /// Points on a circle embedded in 20 dimensions map to a ring: each point's two nearest neighbours in
    /// the map are its neighbours on the circle.
    func testTSNEMapsACircleToARing() {
        let n = 40, d = 20
        var rng = RNG(seed: 8)
        let q = (0..<(2 * d)).map { _ in rng.normal() }   // a random 2-plane in R^d
        var x = [Double]()
        for i in 0..<n {
            let t = 2 * Double.pi * Double(i) / Double(n)
            for k in 0..<d { x.append(cos(t) * q[k] + sin(t) * q[d + k]) }
        }
        let map = tsne(x, rows: n, cols: d, perplexity: 5, rng: RNG(seed: 9)).points
        for i in 0..<n {
            let order = (0..<n).filter { $0 != i }.sorted {
                hypot(map[i].0 - map[$0].0, map[i].1 - map[$0].1) < hypot(map[i].0 - map[$1].0, map[i].1 - map[$1].1)
            }
            XCTAssertEqual(Set(order.prefix(2)), [(i + 1) % n, (i + n - 1) % n], "point \(i)")
        }
    }

    /// Embeddings that use one frequency k put the operands on a circle in the plane of k, at angle 2πkx/p;
    /// the plane of another frequency holds nothing.
    func testFourierPlaneProjectionShowsTheCircle() {
        let p = 31, C = 7, k = 5
        var rng = RNG(seed: 10)
        // Two orthogonal directions of equal norm (Gram-Schmidt), so the circle is round.
        let u = (0..<C).map { _ in rng.normal() }
        var v = (0..<C).map { _ in rng.normal() }
        let uu = u.reduce(0) { $0 + $1 * $1 }, uv = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
        v = zip(v, u).map { $0 - uv / uu * $1 }
        let scale = (uu / v.reduce(0) { $0 + $1 * $1 }).squareRoot()
        v = v.map { $0 * scale }
        var e = [Double](repeating: 0, count: p * C)
        for x in 0..<p {
            let t = 2 * Double.pi * Double(k * x % p) / Double(p)
            for c in 0..<C { e[x * C + c] = cos(t) * u[c] + sin(t) * v[c] }
        }
        let pts = fourierPlaneProjection(e, p: p, C: C, frequency: k)
        let radii = pts.map { hypot($0.0, $0.1) }
        XCTAssertLessThan((radii.max()! - radii.min()!) / radii.max()!, 1e-9, "a round circle")
        // Consecutive multiples of k advance by the same angle around the circle (in one direction).
        let angles = pts.map { atan2($0.1, $0.0) }
        let inverse = (1..<p).first { ($0 * k) % p == 1 }!
        var turns = 0.0
        for j in 0..<p { let a = angles[(j * inverse) % p], b = angles[((j + 1) * inverse) % p]; turns += remainder(b - a, 2 * .pi) }
        XCTAssertEqual(abs(turns), 2 * .pi, accuracy: 1e-6)
        let other = fourierPlaneProjection(e, p: p, C: C, frequency: 11)
        XCTAssertLessThan(other.map { hypot($0.0, $0.1) }.max()!, 1e-9)
    }
}

import XCTest
import Datasets
import Linalg

/// The data loaders on the shipped files, their error messages, splits, standardization, the
/// synthetic generators and label noise.
final class TabularTests: XCTestCase {
    /// studies/data, found from this source file (Tests/DatasetsTests/TabularTests.swift).
    static let dataDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("studies/data").path

    static func data(_ file: String) -> String { (dataDir as NSString).appendingPathComponent(file) }

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-tabular-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: shipped files

    func testDigitsShapeAndLabels() throws {
        let d = try ClassificationData.load(Self.data("digits.csv.gz"), format: .digits)
        XCTAssertEqual(d.count, 1797)
        XCTAssertEqual(d.features, 64)
        XCTAssertEqual(d.classes, 10)
        XCTAssertEqual(Set(d.labels), Set(0..<10))
        XCTAssertEqual(d.classCounts.reduce(0, +), 1797)
        XCTAssertTrue(d.classCounts.allSatisfy { $0 >= 170 && $0 <= 190 }, "\(d.classCounts)")  // about 180 each
        XCTAssertEqual(d.x.data.min(), 0)
        XCTAssertEqual(d.x.data.max(), 16)
        XCTAssertTrue(d.x.data.allSatisfy { $0 == $0.rounded() }, "digits pixels are integer counts")
        // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
        XCTAssertEqual(Array(d.x.row(0).prefix(5)), [0, 0, 5, 13, 9])
        XCTAssertEqual(d.labels[0], 0)
        XCTAssertEqual(d.labels, d.cleanLabels)
    }

    func testMnist1dShapeAndLabels() throws {
        let train = try ClassificationData.load(Self.data("mnist1d_train.csv.gz"), format: .mnist1d)
        let test = try ClassificationData.load(Self.data("mnist1d_test.csv.gz"), format: .mnist1d)
        XCTAssertEqual(train.count, 4000); XCTAssertEqual(test.count, 1000)
        XCTAssertEqual(train.features, 40); XCTAssertEqual(test.features, 40)
        XCTAssertEqual(Set(train.labels), Set(0..<10)); XCTAssertEqual(Set(test.labels), Set(0..<10))
        XCTAssertEqual(train.labels[0], 2)                          // the file's first row starts "2,-0.332006"
        XCTAssertEqual(train.x[0, 0], -0.332006, accuracy: 1e-6)
        XCTAssertTrue(train.x.data.contains { $0 != $0.rounded() }, "MNIST-1D features are real-valued")
    }

    func testDiabetesShape() throws {
        let d = try RegressionData<Double>.load(features: Self.data("diabetes_data_raw.csv.gz"),
                                                target: Self.data("diabetes_target.csv.gz"))
        XCTAssertEqual(d.count, 442); XCTAssertEqual(d.features, 10)
        XCTAssertEqual(d.x[0, 0], 59); XCTAssertEqual(d.y[0], 151)
    }

    func testDefaultDataFolderIsFound() throws {
        let found = try DataFiles.directory()
        XCTAssertEqual(URL(fileURLWithPath: found).standardizedFileURL.resolvingSymlinksInPath().path,
                       URL(fileURLWithPath: Self.dataDir).standardizedFileURL.resolvingSymlinksInPath().path)
        XCTAssertEqual(try ClassificationData.digits().count, 1797)
    }

    // MARK: errors

    func testMissingFileNamesPathAndHint() {
        let path = Self.data("no-such-file.csv.gz")
        XCTAssertThrowsError(try ClassificationData.load(path, format: .digits)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), text)
            XCTAssertTrue(text.contains("no such file") && text.contains("HINT") && text.contains("studies/data"), text)
        }
    }

    func testMalformedRowNamesFileLineAndValue() throws {
        let path = try temporaryFile("bad.csv", "1,2,0\n3,4,1\n\n5,x7,1\n")
        XCTAssertThrowsError(try ClassificationData.load(path, format: .custom(label: .last))) { error in
            let e = error as! DataError
            XCTAssertEqual(e.line, 4)                                 // the blank line counts
            XCTAssertTrue(e.description.contains("\(path):4") && e.description.contains("\"x7\"")
                          && e.description.contains("HINT"), e.description)
        }
    }

    func testWrongColumnCountAndBadLabel() throws {
        let short = try temporaryFile("short.csv", "1,2,3\n")
        XCTAssertThrowsError(try ClassificationData.load(short, format: .digits)) { error in
            XCTAssertTrue("\(error)".contains(":1: 3 fields where 65 were expected"), "\(error)")
        }
        let badLabel = try temporaryFile("label.csv", "1,1,2\n11,1,2\n")
        XCTAssertThrowsError(try ClassificationData.load(badLabel, format: .custom(label: .first, classes: 10))) { error in
            XCTAssertTrue("\(error)".contains(":2: label 11.0"), "\(error)")
        }
    }

    func testNotGzipFileReportsGzipFailure() throws {
        let path = try temporaryFile("plain.csv.gz", "1,2,3\n")
        XCTAssertThrowsError(try readNumericTable(path)) { error in
            XCTAssertTrue("\(error)".contains("gzip -dc failed"), "\(error)")
        }
    }

    func testWhitespaceAndCustomFormats() throws {
        let path = try temporaryFile("ws.txt", "# comment\n1 2\t3\n4  5 6\r\n")
        let t = try readNumericTable(path)
        XCTAssertEqual(t.rows, 2); XCTAssertEqual(t.cols, 3)
        XCTAssertEqual(t.data, [1, 2, 3, 4, 5, 6])
        let c = try ClassificationData.load(path, format: .custom(label: .last))
        XCTAssertEqual(c.labels, [3, 6]); XCTAssertEqual(c.classes, 7); XCTAssertEqual(c.features, 2)
    }

    // MARK: splits and standardization

    func testSplitIsDisjointAndDeterministic() throws {
        let d = try ClassificationData.load(Self.data("digits.csv.gz"), format: .digits)
        var r1 = RNG(seed: 5).split("split"), r2 = RNG(seed: 5).split("split"), r3 = RNG(seed: 6).split("split")
        let a = try d.split(train: 200, test: 300, rng: &r1)
        let b = try d.split(train: 200, test: 300, rng: &r2)
        let c = try d.split(train: 200, rng: &r3)
        XCTAssertEqual(a.train, b.train); XCTAssertEqual(a.test, b.test)
        XCTAssertNotEqual(a.train, c.train)
        XCTAssertEqual(a.train.count, 200); XCTAssertEqual(a.test.count, 300); XCTAssertEqual(c.test.count, 1597)
        // Disjoint: no row of the training set appears with its index in the test set (rows of digits
        // can repeat, so compare (row, label) multisets against the full data instead).
        var all = Dictionary(grouping: 0..<d.count, by: { "\(Array(d.x.row($0)))|\(d.labels[$0])" }).mapValues(\.count)
        for s in [c.train, c.test] {
            for i in 0..<s.count {
                let key = "\(Array(s.x.row(i)))|\(s.labels[i])"
                all[key, default: 0] -= 1
                XCTAssertGreaterThanOrEqual(all[key]!, 0, "an example was used twice")
            }
        }
        XCTAssertTrue(all.values.allSatisfy { $0 == 0 }, "train + test is a partition")
        var r4 = RNG(seed: 1)
        XCTAssertThrowsError(try d.split(train: 1500, test: 500, rng: &r4)) { XCTAssertTrue("\($0)".contains("HINT")) }
    }

    func testStandardizer() throws {
        let x = Matrix<Float>(rows: 4, cols: 3, data: [1, 5, 2, 3, 5, 4, 5, 5, 6, 7, 5, 8])
        let s = Standardizer(fitting: x)
        let z = s.apply(x)
        for j in 0..<3 {
            let col = (0..<4).map { Double(z[$0, j]) }
            XCTAssertEqual(col.reduce(0, +) / 4, 0, accuracy: 1e-6)
            if j != 1 { XCTAssertEqual(col.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-6) }
        }
        XCTAssertEqual(s.scale[1], 1, "a constant column keeps scale 1 and maps to 0")
        XCTAssertTrue((0..<4).allSatisfy { z[$0, 1] == 0 })
        XCTAssertEqual(Standardizer.scaling(by: 16, features: 3).apply(x)[0, 0], 1.0 / 16)
    }

    // MARK: label noise

    func testLabelNoiseRateAndAlwaysIncorrect() {
        let n = 20000, k = 10, q = 0.2
        var rng = RNG(seed: 1).split("label-noise")
        let clean = (0..<n).map { $0 % k }
        let noisy = corruptLabels(clean, classes: k, rate: q, rng: &rng)
        let flipped = zip(clean, noisy).filter { $0 != $1 }
        let rate = Double(flipped.count) / Double(n)
        let se = (q * (1 - q) / Double(n)).squareRoot()              // 0.0028
        XCTAssertEqual(rate, q, accuracy: 4 * se, "realized noise rate \(rate)")
        // Uniform over the K − 1 incorrect labels: each offset (noisy − clean) mod K in 1...9 gets
        // about 1/9 of the flips (4 binomial standard errors).
        var offsets = [Int](repeating: 0, count: k)
        for (c, y) in flipped { offsets[(y - c + k) % k] += 1 }
        XCTAssertEqual(offsets[0], 0, "a corrupted label is never the clean one")
        let expected = Double(flipped.count) / 9, sd = (expected * 8 / 9).squareRoot()
        for o in 1..<k { XCTAssertEqual(Double(offsets[o]), expected, accuracy: 4 * sd, "offset \(o)") }
        // Rates 0 and 1.
        var r0 = RNG(seed: 2), r1 = RNG(seed: 2)
        XCTAssertEqual(corruptLabels(clean, classes: k, rate: 0, rng: &r0), clean)
        XCTAssertTrue(zip(clean, corruptLabels(clean, classes: k, rate: 1, rng: &r1)).allSatisfy { $0 != $1 })
    }

    func testLabelNoiseIsOncePerSeedAndCoupled() throws {
        let d = try ClassificationData.load(Self.data("digits.csv.gz"), format: .digits)
        var a = RNG(seed: 3).split("label-noise"), b = RNG(seed: 3).split("label-noise"), c = RNG(seed: 4).split("label-noise")
        let na = d.withLabelNoise(rate: 0.2, rng: &a), nb = d.withLabelNoise(rate: 0.2, rng: &b)
        let nc = d.withLabelNoise(rate: 0.2, rng: &c)
        XCTAssertEqual(na.labels, nb.labels, "same seed, same noise")
        XCTAssertNotEqual(na.labels, nc.labels)
        XCTAssertEqual(na.cleanLabels, d.labels)
        XCTAssertGreaterThan(na.corruptedFraction, 0)
        XCTAssertEqual(na.corruptedFraction, 0.2, accuracy: 4 * (0.16 / 1797.0).squareRoot())
        // Applying noise again redraws from the clean labels (no compounding).
        var a2 = RNG(seed: 3).split("label-noise")
        XCTAssertEqual(na.withLabelNoise(rate: 0.2, rng: &a2).labels, na.labels)
        // Coupling: with the same rng, rate 0.3 corrupts a superset of rate 0.1's examples, same wrong labels.
        var lo = RNG(seed: 8), hi = RNG(seed: 8)
        let l = d.withLabelNoise(rate: 0.1, rng: &lo), h = d.withLabelNoise(rate: 0.3, rng: &hi)
        for i in 0..<d.count where l.corrupted[i] { XCTAssertEqual(h.labels[i], l.labels[i]) }
        // Errors against both label sets.
        let e = na.errors(of: na.cleanLabels)
        XCTAssertEqual(e.clean, 0)
        XCTAssertEqual(e.observed, na.corruptedFraction)
    }

    // MARK: synthetic data

    func testGaussianLinearModel() {
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

    func testTeacherNetwork() {
        var rng = RNG(seed: 11)
        let t = TeacherNetwork(inputs: 8, hidden: 32, outputs: 4, rng: &rng)
        let d = t.classification(2000, rng: &rng)
        XCTAssertEqual(d.features, 8); XCTAssertEqual(d.classes, 4)
        XCTAssertTrue(d.classCounts.allSatisfy { $0 > 0 }, "\(d.classCounts)")
        // The labels are the teacher's arg-max: recomputing them from x agrees.
        let f = t.evaluate(Matrix(converting: d.x))
        for i in 0..<20 { XCTAssertEqual((0..<4).max { f[i, $0] < f[i, $1] }!, d.labels[i]) }
        let single = TeacherNetwork(inputs: 8, hidden: 16, outputs: 1, rng: &rng)
        XCTAssertEqual(single.regression(10, noise: 0.1, rng: &rng).count, 10)
    }
}

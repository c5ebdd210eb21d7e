import XCTest
import Datasets
import Linalg

/// The data loaders on the shipped files, their error messages, splits and standardization.
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
}

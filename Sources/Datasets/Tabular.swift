// Tabular: numeric CSV / whitespace tables (optionally gzipped) as classification or regression data,
// the named formats of the shipped data sets, standardization, and seeded train/test subsampling.
//
// Shapes: n examples, d features. ClassificationData.x [n, d] (Float32, row-major), labels [n] in
// 0..<classes. RegressionData.x [n, d], y [n].
//
// The shipped files live in `studies/data/` (see its README.md for provenance); `DataFiles` finds
// that folder relative to the package, never by an absolute machine path. Every loader takes a path,
// so a user can point a study at their own file of the same format.
import Foundation
import Linalg

// MARK: - Errors

/// A data file could not be read or parsed. `description` names the file (and line), the offending
/// value, and a HINT for the fix.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let message: String
    public let hint: String?

    public init(path: String, line: Int? = nil, message: String, hint: String? = nil) {
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return "\(place): \(message)" + (hint.map { ". HINT: \($0)" } ?? "")
    }
}

// MARK: - Raw text and numeric tables

/// How the fields of a row are separated.
public enum Separator: String, Sendable, Equatable, Codable {
    /// Commas (spaces around a value are ignored).
    case comma
    /// Runs of spaces and tabs.
    case whitespace
    /// Comma if the first data row contains one, whitespace otherwise.
    case automatic
}

/// Reads a text file; a name ending in `.gz` is decompressed by running `gzip -dc` (zlib is not
/// linked), found on PATH.
public func readTextFile(_ path: String) throws -> String {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DataError(path: path, message: "no such file",
                        hint: "check the path (relative paths start at \(fm.currentDirectoryPath)); the shipped "
                            + "data sets are in studies/data (\(DataFiles.shipped.joined(separator: ", ")))")
    }
    guard !isDirectory.boolValue else {
        throw DataError(path: path, message: "is a directory, not a data file", hint: "name a file inside it")
    }
    let data: Data
    if path.hasSuffix(".gz") {
        data = try gunzip(path)
    } else {
        guard let d = fm.contents(atPath: path) else {
            throw DataError(path: path, message: "cannot be read", hint: "check its permissions")
        }
        data = d
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw DataError(path: path, message: "is not UTF-8 text", hint: "data files are plain-text CSV, optionally gzipped")
    }
    return text
}

/// Decompresses a gzip file by running `gzip -dc path` and reading its standard output.
private func gunzip(_ path: String) throws -> Data {
    guard let gzip = findOnPath("gzip") else {
        throw DataError(path: path, message: "cannot decompress: no `gzip` program on PATH",
                        hint: "install gzip, or decompress the file and pass the .csv path")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: gzip)
    process.arguments = ["-dc", path]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch {
        throw DataError(path: path, message: "cannot run \(gzip): \(error)", hint: "decompress the file and pass the .csv path")
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()     // read before waiting: no pipe deadlock
    let errText = String(data: err.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DataError(path: path, message: "gzip -dc failed (status \(process.terminationStatus)): "
                            + errText.trimmingCharacters(in: .whitespacesAndNewlines),
                        hint: "the file is not a valid gzip archive; a plain CSV must not end in .gz")
    }
    return data
}

private func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Parses a numeric table: one row per non-empty line, every row with the same number of fields.
/// Lines starting with `#` are comments. Returns the values as a row-major `Matrix<Double>` [rows, cols].
/// - Throws: `DataError` naming `path:line` and the offending field when a value is not a number or a
///   row has the wrong number of fields.
public func parseNumericTable(_ text: String, path: String, separator: Separator = .automatic,
                              expectedColumns: Int? = nil) throws -> Matrix<Double> {
    try parseNumericTableWithLines(text, path: path, separator: separator, expectedColumns: expectedColumns).table
}

/// `parseNumericTable`, also returning the 1-based file line of every row (for error messages).
func parseNumericTableWithLines(_ text: String, path: String, separator: Separator,
                                expectedColumns: Int?) throws -> (table: Matrix<Double>, lines: [Int]) {
    // Works on the UTF-8 bytes (Character-level splitting is ten times slower on MNIST-1D); a line
    // ends at \n, a trailing \r is dropped, so \n and \r\n files both work.
    let bytes = Array(text.utf8)
    let newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), comma = UInt8(ascii: ","),
        space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), hash = UInt8(ascii: "#")
    var lines: [Int] = []
    var values: [Double] = []
    var cols = expectedColumns ?? -1
    var sep = separator
    var lineNumber = 0
    var lineStart = 0
    var fields: [Range<Int>] = []
    func string(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
    while lineStart < bytes.count {
        lineNumber += 1
        var lineEnd = lineStart
        while lineEnd < bytes.count && bytes[lineEnd] != newline { lineEnd += 1 }
        let next = lineEnd + 1
        if lineEnd > lineStart && bytes[lineEnd - 1] == cr { lineEnd -= 1 }
        defer { lineStart = next }
        // Skip blank lines and comments.
        var first = lineStart
        while first < lineEnd && (bytes[first] == space || bytes[first] == tab) { first += 1 }
        if first == lineEnd || bytes[first] == hash { continue }
        if sep == .automatic { sep = bytes[lineStart..<lineEnd].contains(comma) ? .comma : .whitespace }
        // Split into fields, trimming spaces and tabs around each.
        fields.removeAll(keepingCapacity: true)
        var i = lineStart
        if sep == .comma {
            while true {
                var j = i
                while j < lineEnd && bytes[j] != comma { j += 1 }
                var a = i, b = j
                while a < b && (bytes[a] == space || bytes[a] == tab) { a += 1 }
                while b > a && (bytes[b - 1] == space || bytes[b - 1] == tab) { b -= 1 }
                fields.append(a..<b)
                if j >= lineEnd { break }
                i = j + 1
            }
        } else {
            while i < lineEnd {
                while i < lineEnd && (bytes[i] == space || bytes[i] == tab) { i += 1 }
                if i == lineEnd { break }
                var j = i
                while j < lineEnd && bytes[j] != space && bytes[j] != tab { j += 1 }
                fields.append(i..<j)
                i = j
            }
        }
        if cols < 0 { cols = fields.count }
        guard fields.count == cols else {
            throw DataError(path: path, line: lineNumber,
                            message: "\(fields.count) fields where \(cols) were expected",
                            hint: expectedColumns != nil
                                ? "this format has \(cols) columns per row; check the format or the separator"
                                : "every row must have as many fields as the first row")
        }
        for (column, field) in fields.enumerated() {
            guard let v = Double(string(field)), v.isFinite else {
                let value = string(field)
                throw DataError(path: path, line: lineNumber,
                                message: "column \(column + 1): \"\(value)\" is not a finite number",
                                hint: value.isEmpty ? "an empty field (two separators in a row?)"
                                    : "files must be numeric with no header row; remove headers and text columns")
            }
            values.append(v)
        }
        lines.append(lineNumber)
    }
    guard !lines.isEmpty else {
        throw DataError(path: path, message: "contains no data rows", hint: "the file is empty or only comments")
    }
    return (Matrix(rows: lines.count, cols: cols, data: values), lines)
}

/// Reads and parses a numeric table file (see `parseNumericTable`); `.gz` files are decompressed.
public func readNumericTable(_ path: String, separator: Separator = .automatic,
                             expectedColumns: Int? = nil) throws -> Matrix<Double> {
    try parseNumericTable(readTextFile(path), path: path, separator: separator, expectedColumns: expectedColumns)
}

// MARK: - Classification data

/// A labeled classification data set. Label noise (see `withLabelNoise`) changes `labels` and keeps
/// `cleanLabels`, so errors can be measured against either.
public struct ClassificationData: Sendable, Equatable {
    public var name: String
    /// x [n, d], one example per row.
    public var x: Matrix<Float>
    /// [n] in 0..<classes: the labels a model is trained on (noisy after `withLabelNoise`).
    public var labels: [Int]
    /// [n] in 0..<classes: the original labels (equal to `labels` when no noise was applied).
    public var cleanLabels: [Int]
    /// K, the number of classes.
    public var classes: Int

    public init(name: String, x: Matrix<Float>, labels: [Int], cleanLabels: [Int]? = nil, classes: Int) {
        precondition(labels.count == x.rows, "ClassificationData: \(labels.count) labels for \(x.rows) rows")
        precondition(cleanLabels == nil || cleanLabels!.count == x.rows, "ClassificationData: clean labels count")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "ClassificationData: label outside 0..<\(classes)")
        self.name = name
        self.x = x
        self.labels = labels
        self.cleanLabels = cleanLabels ?? labels
        self.classes = classes
    }

    /// n, the number of examples.
    public var count: Int { x.rows }
    /// d, the number of features.
    public var features: Int { x.cols }
    /// [n]: true where the training label differs from the clean label.
    public var corrupted: [Bool] { zip(labels, cleanLabels).map { $0 != $1 } }
    /// How many examples each class has (by clean label).
    public var classCounts: [Int] {
        var c = [Int](repeating: 0, count: classes)
        for l in cleanLabels { c[l] += 1 }
        return c
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ClassificationData {
        var xs = [Float](); xs.reserveCapacity(indices.count * features)
        for i in indices { xs.append(contentsOf: x.row(i)) }
        return ClassificationData(name: name, x: Matrix(rows: indices.count, cols: features, data: xs),
                                  labels: indices.map { labels[$0] }, cleanLabels: indices.map { cleanLabels[$0] },
                                  classes: classes)
    }

    /// Disjoint random train and test subsets: one permutation of 0..<n drawn from `rng`; the first
    /// `train` indices are the training set, the next `test` (all the rest when nil) the test set.
    /// The same rng state gives the same split (derive it as `RNG(seed:).split("split")`).
    /// - Throws: `DataError` when train + test exceeds n.
    public func split(train: Int, test: Int? = nil, rng: inout RNG) throws -> (train: ClassificationData, test: ClassificationData) {
        let (a, b) = try splitIndices(count: count, train: train, test: test, name: name, rng: &rng)
        return (subset(a), subset(b))
    }

    /// A random subset of `size` examples (without replacement), e.g. n_train from a separate training file.
    public func sample(_ size: Int, rng: inout RNG) throws -> ClassificationData {
        try split(train: size, test: 0, rng: &rng).train
    }

    /// The same data with x replaced by `transform(x)` (e.g. a `Standardizer`).
    public func mapFeatures(_ transform: (Matrix<Float>) -> Matrix<Float>) -> ClassificationData {
        var copy = self
        copy.x = transform(x)
        precondition(copy.x.rows == count, "mapFeatures: the transform changed the number of rows")
        return copy
    }
}

func splitIndices(count n: Int, train: Int, test: Int?, name: String, rng: inout RNG) throws -> ([Int], [Int]) {
    let t = test ?? max(0, n - train)
    guard train >= 0, t >= 0, train + t <= n else {
        throw DataError(path: name, message: "cannot take \(train) training and \(t) test examples from \(n)",
                        hint: "lower n_train or n_test (at most \(n) together)")
    }
    var perm = Array(0..<n)
    rng.shuffle(&perm)
    return (Array(perm[0..<train]), Array(perm[train..<(train + t)]))
}

// MARK: - Formats

/// Where the label sits in a classification row.
public enum LabelPosition: String, Sendable, Equatable, Codable {
    case first, last
}

/// The layout of a classification file.
public enum TabularFormat: Sendable, Equatable {
    /// UCI optical digits as bundled with scikit-learn: 64 pixel counts 0..16, then the label 0..9,
    /// comma separated, no header (1797 rows in the shipped file).
    case digits
    /// MNIST-1D (Greydanus 2020): the label 0..9 first, then 40 floats, comma separated, no header.
    case mnist1d
    /// Any numeric table: the label in the first or last column, the rest features. `features` and
    /// `classes` are checked when given; otherwise inferred (classes = largest label + 1).
    case custom(label: LabelPosition, separator: Separator = .automatic, features: Int? = nil, classes: Int? = nil)

    /// The format's name as a study file would spell it ("digits", "mnist1d", "csv").
    public var name: String {
        switch self {
        case .digits: return "digits"
        case .mnist1d: return "mnist1d"
        case .custom: return "csv"
        }
    }

    var layout: (label: LabelPosition, separator: Separator, features: Int?, classes: Int?) {
        switch self {
        case .digits: return (.last, .comma, 64, 10)
        case .mnist1d: return (.first, .comma, 40, 10)
        case let .custom(label, separator, features, classes): return (label, separator, features, classes)
        }
    }
}

extension ClassificationData {
    /// Loads a classification table (see `TabularFormat`); `.gz` files are decompressed.
    /// - Throws: `DataError` for a missing file (naming the path, with a hint), a malformed row
    ///   (file:line and the value), or a label that is not an integer in range.
    public static func load(_ path: String, format: TabularFormat, name: String? = nil) throws -> ClassificationData {
        let layout = format.layout
        let (table, lines) = try parseNumericTableWithLines(readTextFile(path), path: path, separator: layout.separator,
                                                            expectedColumns: layout.features.map { $0 + 1 })
        guard table.cols >= 2 else {
            throw DataError(path: path, message: "\(table.cols) column(s): need at least one feature and a label",
                            hint: "check the separator (\(layout.separator.rawValue))")
        }
        let d = table.cols - 1
        let labelColumn = layout.label == .first ? 0 : d
        var labels = [Int](), xs = [Float]()
        labels.reserveCapacity(table.rows); xs.reserveCapacity(table.rows * d)
        for i in 0..<table.rows {
            let v = table[i, labelColumn]
            guard v == v.rounded(), v >= 0, v < Double(layout.classes ?? Int.max) else {
                throw DataError(path: path, line: lines[i],
                                message: "label \(v) in the \(layout.label.rawValue) column is not an integer in 0..<\(layout.classes.map(String.init) ?? "K")",
                                hint: "format \(format.name) expects the label in the \(layout.label.rawValue) column")
            }
            labels.append(Int(v))
            for j in 0..<table.cols where j != labelColumn { xs.append(Float(table[i, j])) }
        }
        let k = layout.classes ?? ((labels.max() ?? 0) + 1)
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return ClassificationData(name: name ?? base.replacingOccurrences(of: ".csv", with: ""),
                                  x: Matrix(rows: table.rows, cols: d, data: xs), labels: labels, classes: k)
    }

    /// The shipped digits file (1797 x 64, 10 classes); `path` nil means `DataFiles.path("digits.csv.gz")`.
    public static func digits(path: String? = nil) throws -> ClassificationData {
        try load(path ?? DataFiles.path("digits.csv.gz"), format: .digits, name: "digits")
    }

    /// The shipped MNIST-1D training (4000 x 40) or test (1000 x 40) file.
    public static func mnist1d(train: Bool, path: String? = nil) throws -> ClassificationData {
        let file = train ? "mnist1d_train.csv.gz" : "mnist1d_test.csv.gz"
        return try load(path ?? DataFiles.path(file), format: .mnist1d, name: train ? "mnist1d-train" : "mnist1d-test")
    }
}

// MARK: - Regression data

/// A regression data set: x [n, d], y [n].
public struct RegressionData<T: Scalar>: Sendable, Equatable {
    public var name: String
    /// x [n, d], one example per row.
    public var x: Matrix<T>
    /// y [n].
    public var y: [T]

    public init(name: String, x: Matrix<T>, y: [T]) {
        precondition(y.count == x.rows, "RegressionData: \(y.count) targets for \(x.rows) rows")
        self.name = name
        self.x = x
        self.y = y
    }

    public var count: Int { x.rows }
    public var features: Int { x.cols }

    public func subset(_ indices: [Int]) -> RegressionData {
        var xs = [T](); xs.reserveCapacity(indices.count * features)
        for i in indices { xs.append(contentsOf: x.row(i)) }
        return RegressionData(name: name, x: Matrix(rows: indices.count, cols: features, data: xs), y: indices.map { y[$0] })
    }

    /// Disjoint random train and test subsets (see `ClassificationData.split`).
    public func split(train: Int, test: Int? = nil, rng: inout RNG) throws -> (train: RegressionData, test: RegressionData) {
        let (a, b) = try splitIndices(count: count, train: train, test: test, name: name, rng: &rng)
        return (subset(a), subset(b))
    }

    /// The first `p` features only (the size axis of the misspecified linear model).
    public func firstFeatures(_ p: Int) -> RegressionData {
        precondition(p >= 0 && p <= features, "firstFeatures: \(p) of \(features)")
        var xs = [T](); xs.reserveCapacity(count * p)
        for i in 0..<count { xs.append(contentsOf: x.row(i).prefix(p)) }
        return RegressionData(name: name, x: Matrix(rows: count, cols: p, data: xs), y: y)
    }

    /// Loads features from one table and targets from another (one value per row), e.g. the diabetes
    /// files. Both may be gzipped; the separator is detected per file unless given.
    public static func load(features: String, target: String, separator: Separator = .automatic,
                            name: String? = nil) throws -> RegressionData {
        let x = try readNumericTable(features, separator: separator)
        let t = try readNumericTable(target, separator: separator)
        guard t.cols == 1 else {
            throw DataError(path: target, message: "\(t.cols) columns where one target per row was expected",
                            hint: "the target file has a single column")
        }
        guard t.rows == x.rows else {
            throw DataError(path: target, message: "\(t.rows) targets for \(x.rows) feature rows in \(features)",
                            hint: "the two files must have the same number of rows, in the same order")
        }
        let base = ((features as NSString).lastPathComponent as NSString).deletingPathExtension
        return RegressionData(name: name ?? base, x: Matrix(converting: x), y: t.data.map { T($0) })
    }

    /// The shipped diabetes data (Efron et al. 2004): 442 x 10 raw features, and the progression target.
    public static func diabetes(features: String? = nil, target: String? = nil) throws -> RegressionData {
        try load(features: features ?? DataFiles.path("diabetes_data_raw.csv.gz"),
                 target: target ?? DataFiles.path("diabetes_target.csv.gz"), separator: .whitespace, name: "diabetes")
    }
}

// MARK: - Standardization

/// A per-feature affine map x_j -> (x_j − shift_j) / scale_j, fitted on training data and applied to
/// both training and test data (so the test set never informs the preprocessing).
public struct Standardizer: Sendable, Equatable, Codable {
    /// [d]
    public var shift: [Double]
    /// [d], never zero.
    public var scale: [Double]

    public init(shift: [Double], scale: [Double]) {
        precondition(shift.count == scale.count, "Standardizer: \(shift.count) shifts, \(scale.count) scales")
        precondition(scale.allSatisfy { $0 != 0 && $0.isFinite }, "Standardizer: scales must be finite and non-zero")
        self.shift = shift
        self.scale = scale
    }

    /// Zero mean and unit variance per feature on `x` (population standard deviation). A constant
    /// feature (standard deviation below 1e-12, e.g. a border pixel of digits) gets scale 1, so it maps
    /// to 0 rather than to NaN.
    public init<T: Scalar>(fitting x: Matrix<T>) {
        let n = Double(max(x.rows, 1)), d = x.cols
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        for i in 0..<x.rows { for j in 0..<d { mean[j] += Double(x[i, j]) } }
        for j in 0..<d { mean[j] /= n }
        for i in 0..<x.rows { for j in 0..<d { let c = Double(x[i, j]) - mean[j]; sq[j] += c * c } }
        self.init(shift: mean, scale: sq.map { let s = ($0 / n).squareRoot(); return s < 1e-12 ? 1 : s })
    }

    /// Divides every feature by `divisor` (e.g. 16 for the 0..16 pixel counts of digits).
    public static func scaling(by divisor: Double, features d: Int) -> Standardizer {
        Standardizer(shift: [Double](repeating: 0, count: d), scale: [Double](repeating: divisor, count: d))
    }

    public func apply<T: Scalar>(_ x: Matrix<T>) -> Matrix<T> {
        precondition(x.cols == shift.count, "Standardizer: fitted on \(shift.count) features, applied to \(x.cols)")
        var out = x
        for i in 0..<x.rows { for j in 0..<x.cols { out[i, j] = T((Double(x[i, j]) - shift[j]) / scale[j]) } }
        return out
    }
}

// MARK: - Locating the shipped data

/// Finds the shipped data folder `studies/data` relative to the package, never by an absolute path.
public enum DataFiles {
    /// The files kept in `studies/data` (provenance in its README.md).
    public static let shipped = ["digits.csv.gz", "mnist1d_train.csv.gz", "mnist1d_test.csv.gz",
                                 "diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"]

    /// The folder relative to the package root.
    public static let relativeFolder = "studies/data"

    /// The environment variable that, when set, names the data folder directly.
    public static let environmentVariable = "DESCENT_DATA"

    /// The data folder: `$DESCENT_DATA` if set; otherwise the first `studies/data` found searching
    /// upward from the current directory, then upward from the running executable's folder (which
    /// finds the package from `.build/release/descent` or a test bundle).
    public static func directory() throws -> String {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment[environmentVariable], !env.isEmpty {
            return env
        }
        var starts = [URL(fileURLWithPath: fm.currentDirectoryPath)]
        if let exe = Bundle.main.executableURL { starts.append(exe.deletingLastPathComponent()) }
        if let arg0 = CommandLine.arguments.first, arg0.contains("/") {
            starts.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
        }
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent(relativeFolder).path
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw DataError(path: relativeFolder, message: "no \(relativeFolder) folder above the current directory or the executable",
                        hint: "run from inside the package, pass the file's path explicitly, or set \(environmentVariable) to the data folder")
    }

    /// The path of a shipped file, e.g. `path("digits.csv.gz")`.
    public static func path(_ file: String) throws -> String {
        (try directory() as NSString).appendingPathComponent(file)
    }
}

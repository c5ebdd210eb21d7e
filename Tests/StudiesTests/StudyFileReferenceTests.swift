import XCTest
import Foundation
import Studies

/// docs/study-file.md is generated from the key registry: it must equal `StudyFileReference.markdown()`.
/// With DESCENT_REGENERATE_DOCS=1 the test writes the file instead of comparing.
final class StudyFileReferenceTests: XCTestCase {
    static let document = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs").appendingPathComponent("study-file.md")

    func testStudyFileReferenceIsCurrent() throws {
        let generated = StudyFileReference.markdown()
        let url = Self.document
        if ProcessInfo.processInfo.environment["DESCENT_REGENERATE_DOCS"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try generated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let onDisk = try? String(contentsOf: url, encoding: .utf8) else {
            return XCTFail("docs/study-file.md is missing; generate it with: \(StudyFileReference.regenerateCommand)")
        }
        guard onDisk != generated else { return }
        let a = onDisk.components(separatedBy: "\n"), b = generated.components(separatedBy: "\n")
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        XCTFail("""
            docs/study-file.md differs from what the key registry and its prose generate, first at line \(i + 1):
              file:      \(i < a.count ? a[i] : "(end of file)")
              generated: \(i < b.count ? b[i] : "(end of text)")
            Regenerate it with: \(StudyFileReference.regenerateCommand)
            """)
    }

    /// Every key of the registry has its row, under its section's table, with its type and default.
    func testEveryKeyHasARow() {
        let md = StudyFileReference.markdown()
        for k in Schema.keys {
            XCTAssertTrue(md.contains("| `\(k.path)` |"), "no row for \(k.path)")
        }
        for key in ["n_test", "feature_map", "converge_tolerance", "rcond", "precision"] {
            XCTAssertTrue(md.contains(key), "\(key) is not in the reference")
        }
    }

    /// The prose explains every expectation kind of the size axis.
    func testEverySizeExpectationIsExplained() {
        let md = StudyFileReference.markdown()
        for key in SizeExpectation.keys {
            XCTAssertTrue(md.contains("| `{ \(key):"), "the expectation table has no row for \(key)")
        }
    }

    /// Every YAML example of a study in README.md and docs/study-file.md parses (contrast studies, which
    /// load the studies they name, excepted).
    func testDocumentedExamplesParse() throws {
        let root = Self.document.deletingLastPathComponent().deletingLastPathComponent()
        var checked = 0
        for name in ["README.md", "docs/study-file.md"] {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            for block in text.components(separatedBy: "```yaml\n").dropFirst() {
                guard let yaml = block.components(separatedBy: "```").first, !yaml.contains("axis: contrast") else { continue }
                XCTAssertNoThrow(try StudyParser.parse(yaml, file: name), "\(name): an example does not parse:\n\(yaml)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 5)
    }

    /// Cells hold no unescaped pipe, so every table row has exactly its five columns.
    func testTableRowsHaveFiveColumns() {
        let md = StudyFileReference.markdown()
        for line in md.components(separatedBy: "\n") where line.hasPrefix("| `") && line.hasSuffix(" |") && (line.hasSuffix("| yes |") || line.hasSuffix("| no |")) {
            let unescaped = line.replacingOccurrences(of: "\\|", with: "")
            XCTAssertEqual(unescaped.filter { $0 == "|" }.count, 6, line)
        }
    }
}

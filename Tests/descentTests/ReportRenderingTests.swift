// The contrast study through the real binary, and its report.html rendered by a real browser: a
// contrast run trains both studies, names its failing expectation in the terminal, report.md and
// junit.xml and exits 1; `descent report --format` writes only what it is asked; headless Chromium
// renders the page to a PNG of the window's size that holds far more than a blank page.
import Foundation
import XCTest

final class ReportRenderingTests: XCTestCase {
    /// Shared with the other test target's contrast tests: Tests/Fixtures/tiny-size.yaml and tiny-steps.yaml.
    static let size = fixture("tiny-size.yaml")
    static let steps = fixture("tiny-steps.yaml")
    // x + y mod 11 memorizes within 300 steps but does not generalize: the second expectation fails.
    static let contrast = """
    name: tiny-contrast
    axis: contrast
    size: size.yaml
    steps: steps.yaml
    expect:
      - { overfitting: steps }
      - { recovery: steps }

    """

    /// The headless browser: on PATH, or installed through apt-get when running as root; else nil.
    func chromium() -> URL? {
        func find() -> URL? {
            for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let u = URL(fileURLWithPath: String(dir)).appendingPathComponent("chromium-headless-shell")
                if FileManager.default.isExecutableFile(atPath: u.path) { return u }
            }
            return nil
        }
        if let c = find() { return c }
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") else { return nil }
        _ = try? runProcess(URL(fileURLWithPath: "/usr/bin/apt-get"), ["install", "-y", "-qq", "chromium-headless-shell"],
                            env: ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], in: URL(fileURLWithPath: "/"))
        return find()
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian), after checking the signature.
    func pngSize(_ data: Data) -> (Int, Int)? {
        let b = [UInt8](data)
        guard b.count > 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], String(decoding: b[12..<16], as: UTF8.self) == "IHDR" else { return nil }
        func be(_ i: Int) -> Int { b[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    func screenshot(_ browser: URL, _ page: URL, _ png: URL) throws -> Data {
        let r = try runProcess(browser, ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(png.path)", "--window-size=1200,2000", page.absoluteString],
                               in: page.deletingLastPathComponent())
        XCTAssertEqual(r.status, 0, r.stderr)
        return try Data(contentsOf: png)
    }

    func testContrastRunGatesAndItsPageRenders() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in [("size.yaml", Self.size), ("steps.yaml", Self.steps), ("contrast.yaml", Self.contrast)] {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let run = try descent(["run", "contrast.yaml"], in: dir)
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("FAIL contrast.yaml:7:5: { recovery: steps }"), run.stdout)
        XCTAssertTrue(run.stdout.contains("pass contrast.yaml:6:5: { overfitting: steps }"), run.stdout)
        let report = dir.appendingPathComponent("results/tiny-contrast/report")
        let md = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("- **FAIL**: `{ recovery: steps }` (contrast.yaml:7:5)"), md)
        let junit = try String(contentsOf: report.appendingPathComponent("junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("failures=\"1\"") && junit.contains("{ recovery: steps }\"><failure"), junit)
        // How it was made: the contrast's command, then each folder's own run (here, this one).
        XCTAssertTrue(md.contains("**Made by** `descent run contrast.yaml` at commit"), md)
        XCTAssertTrue(md.contains("- size axis, `tiny-size`: trained by `descent run contrast.yaml` at commit"), md)
        XCTAssertTrue(md.contains("- steps axis, `tiny-steps`: trained by `descent run contrast.yaml`"), md)
        let record = try String(contentsOf: dir.appendingPathComponent("results/tiny-contrast/contrast.json"), encoding: .utf8)
        XCTAssertTrue(record.contains("\"results/tiny-size\"") && !record.contains(dir.path), "the record names the folders as the run did: \(record)")
        let summary = try String(contentsOf: report.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertFalse(md.contains(dir.path) || summary.contains(dir.path), "no absolute paths in the contrast report")
        // Each study has its own folder and report beside the contrast's.
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results/tiny-size/report/summary.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results/tiny-steps/report/summary.json").path))

        // Formats: html alone writes the page and its figures, nothing else; a bad name exits 64.
        let only = dir.appendingPathComponent("only-html")
        let rep = try descent(["report", "results/tiny-contrast", "--format", "html", "--out", only.path], in: dir)
        XCTAssertEqual(rep.status, 1, rep.stdout + rep.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: only.path).sorted()
        XCTAssertEqual(written, ["figures", "report.html"])
        let bad = try descent(["report", "results/tiny-steps", "--format", "md,pdf"], in: dir)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("unknown report format 'pdf'"), bad.stderr)
        let sameAxis = try descent(["report", "results/tiny-size", "--contrast", "results/tiny-size"], in: dir)
        XCTAssertEqual(sameAxis.status, 64)
        XCTAssertTrue(sameAxis.stderr.contains("one size-axis and one steps-axis"), sameAxis.stderr)
        let pair = try descent(["report", "results/tiny-steps", "--contrast", "results/tiny-size", "--format", "md"], in: dir)
        XCTAssertEqual(pair.status, 0, pair.stdout + pair.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results/contrast-tiny-size-vs-tiny-steps/report/report.md").path))

        // The page in a real browser.
        guard let browser = chromium() else {
            throw XCTSkip("chromium-headless-shell is not installed and cannot be (not root): install it with 'apt-get install chromium-headless-shell' (scripts/setup.sh does as root)")
        }
        let page = try screenshot(browser, report.appendingPathComponent("report.html"), dir.appendingPathComponent("page.png"))
        let blankHTML = dir.appendingPathComponent("blank.html")
        try "<!DOCTYPE html><html><body style=\"background:#ffffff\"></body></html>".write(to: blankHTML, atomically: true, encoding: .utf8)
        let blank = try screenshot(browser, blankHTML, dir.appendingPathComponent("blank.png"))
        let (w, h) = try XCTUnwrap(pngSize(page), "not a PNG")
        XCTAssertEqual(w, 1200); XCTAssertEqual(h, 2000)
        XCTAssertEqual(pngSize(blank).map { [$0.0, $0.1] }, [1200, 2000])
        // A blank page compresses to a few kB; text, tables and charts make it tens of times larger.
        XCTAssertGreaterThan(page.count, 20 * blank.count, "page \(page.count) bytes vs blank \(blank.count): the report did not render")
    }
}

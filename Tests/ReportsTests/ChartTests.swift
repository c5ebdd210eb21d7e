// The charting module: snapshot tests (the SVG of a fixed chart and heatmap, byte for byte against
// Snapshots/*.svg) and the properties a reader relies on (labels that do not overlap, log ticks,
// the colour scale's ends, well-formed XML, ids unique per figure).
//
// To re-record the snapshots after an intended change of the drawing code:
//     RECORD_SNAPSHOTS=1 swift test -c release --skip-build --filter ChartTests
// then look at the new files (any browser opens an SVG) before committing them.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import XCTest

final class ChartTests: XCTestCase {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// Compares `svg` with Snapshots/<name>.svg byte for byte; with RECORD_SNAPSHOTS=1 writes it instead.
    func assertSnapshot(_ svg: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.snapshots.appendingPathComponent(name + ".svg")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try svg.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let reference = try? String(contentsOf: url, encoding: .utf8) else {
            return XCTFail("no snapshot \(url.lastPathComponent); record it with RECORD_SNAPSHOTS=1", file: file, line: line)
        }
        if reference != svg {
            let a = reference.split(separator: "\n", omittingEmptySubsequences: false), b = svg.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("\(name).svg differs from its snapshot at line \(i + 1):\n  snapshot: \(i < a.count ? String(a[i]) : "<end>")\n  now:      \(i < b.count ? String(b[i]) : "<end>")\n(re-record with RECORD_SNAPSHOTS=1 if the change is intended)", file: file, line: line)
        }
    }

    /// A log-x chart with every element: a band, a line, a dashed line, a step curve with its band,
    /// filled and hollow dots, and labelled markers two of which would collide.
    static func sampleChart() -> Chart {
        var c = Chart(title: "Sample: accuracy against steps", xLabel: "training step (log scale)", yLabel: "accuracy", xLog: true, yRange: (0, 1))
        let xs = (0..<25).map { pow(10, 1 + 3 * Double($0) / 24) }
        c.bands.append(Band(name: "validation, range over seeds", points: xs.map { x in
            let m = 1 / (1 + exp(-(log10(x) - 3) * 4)); return (x, max(0, m - 0.08), min(1, m + 0.08))
        }, color: Palette.color(0)))
        c.series.append(Series(name: "validation", points: xs.map { ($0, 1 / (1 + exp(-(log10($0) - 3) * 4))) }, color: Palette.color(0), width: 2.4))
        c.series.append(Series(name: "train", points: xs.map { ($0, 1 / (1 + exp(-(log10($0) - 2) * 6))) }, color: Palette.color(1), dashed: true))
        var km = Series(name: "not yet generalized", points: [(10, 1), (900, 0.75), (1500, 0.5), (3000, 0.25), (6000, 0)], color: Palette.color(2))
        km.step = true
        c.series.append(km)
        var kb = Band(name: "", points: [(10, 1, 1), (900, 0.45, 0.93), (1500, 0.2, 0.8), (3000, 0.04, 0.6), (6000, 0, 0)], color: Palette.color(2))
        kb.step = true
        c.bands.append(kb)
        c.series.append(Series(name: "reached", points: [(200, 0.3), (400, 0.35)], color: Palette.color(3), dots: true))
        var ring = Series(name: "censored", points: [(8000, 0.9)], color: Palette.color(4), dots: true)
        ring.hollow = true
        c.series.append(ring)
        c.markers = [Marker(x: 100, label: "memorization", color: "#009E73", labeled: true),
                     Marker(x: 110, label: "interpolation threshold", color: "#E69F00", labeled: true),
                     Marker(x: 1000, label: "generalization", color: "#0072B2", labeled: true),
                     Marker(x: 2000, label: "seed 1 (unlabelled)", color: "#999999")]
        return c
    }

    static func sampleHeatmap() -> Heatmap {
        let xEdges = (0...6).map { pow(10, Double($0) * 0.5) }, yEdges = [50.0, 150, 450, 1350, 4050]
        var values: [[Double?]] = []
        for r in 0..<4 {
            var row: [Double?] = []
            for c in 0..<6 {
                let v: Double = 0.3 + 0.1 * Double(r) - 0.05 * Double(c)
                row.append(r == 3 && c >= 4 ? nil : v)
            }
            values.append(row)
        }
        var h = Heatmap(title: "Sample: error over size × steps", xLabel: "training step (log scale)", yLabel: "parameters (log scale)",
                        colorLabel: "test error", xEdges: xEdges, yEdges: yEdges, values: values, range: (0, 0.6))
        h.lines = [Marker(x: 600, label: "interpolation threshold", color: "#ffffff")]
        return h
    }

    func testChartSnapshot() throws { try assertSnapshot(Self.sampleChart().svg(), "chart-all-elements") }
    func testHeatmapSnapshot() throws { try assertSnapshot(Self.sampleHeatmap().svg(), "heatmap") }

    func texts(_ svg: String) -> [(x: Double, y: Double, text: String)] {
        let re = try! NSRegularExpression(pattern: "<text x=\"([0-9.]+)\" y=\"([0-9.]+)\"[^>]*>([^<]*)</text>")
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            let g = { (i: Int) in String(svg[Range(m.range(at: i), in: svg)!]) }
            return (Double(g(1))!, Double(g(2))!, g(3))
        }
    }

    /// Marker labels that would overlap go to separate rows; unlabelled markers print nothing; the
    /// log axis shows 1-2-5 ticks when it spans few decades and k×10ⁿ labels from 10⁴.
    func testLabelsDoNotOverlapAndTicksAreReadable() throws {
        let svg = Self.sampleChart().svg()
        let t = texts(svg)
        let memo = try XCTUnwrap(t.first { $0.text == "memorization" }), th = try XCTUnwrap(t.first { $0.text == "interpolation threshold" })
        let gen = try XCTUnwrap(t.first { $0.text == "generalization" })
        XCTAssertNotEqual(memo.y, th.y, "close markers' labels share a row")
        XCTAssertEqual(gen.y, memo.y, "a label with room stays in the first row")
        XCTAssertFalse(svg.contains(">seed 1 (unlabelled)</text>"))
        let tickTexts = Set(t.map(\.text))
        var narrow = Chart(title: "t", xLabel: "x", yLabel: "y", xLog: true)
        narrow.series = [Series(name: "s", points: [(30, 0), (5000, 1)], color: "#000000")]
        let narrowTicks = Set(texts(narrow.svg()).map(\.text))
        for tick in ["50", "100", "200", "500", "1000", "2000", "5000"] { XCTAssertTrue(narrowTicks.contains(tick), "missing tick \(tick)") }
        XCTAssertFalse(narrowTicks.contains("20"), "a tick outside the data's range")
        for tick in ["10", "100", "1000", "10⁴"] { XCTAssertTrue(tickTexts.contains(tick), "missing decade tick \(tick)") }
        XCTAssertFalse(tickTexts.contains("200"), "1-2-5 ticks on an axis of three decades")
        // Legend entries: one per named series and band, none for the unnamed band.
        for name in ["validation", "train", "not yet generalized", "reached", "censored", "validation, range over seeds"] {
            XCTAssertTrue(tickTexts.contains(name), "legend lacks \(name)")
        }
        // The step curve is drawn with horizontal-then-vertical segments; hollow dots are rings.
        XCTAssertTrue(svg.contains(" H") && svg.contains(" V"))
        XCTAssertTrue(svg.contains("fill=\"#ffffff\" stroke=\"#E69F00\""))
        var wide = Chart(title: "t", xLabel: "x", yLabel: "y", xLog: true)
        wide.series = [Series(name: "s", points: [(3e3, 1), (3e5, 2)], color: "#000000")]
        let labels = Set(texts(wide.svg()).map(\.text))
        XCTAssertTrue(labels.contains("10⁴") && labels.contains("10⁵"), "\(labels)")
        // A linear axis keeps plain numbers (no 10⁴ between 8000 and 12000), with room around the points.
        var linear = Chart(title: "t", xLabel: "x", yLabel: "y")
        linear.series = [Series(name: "s", points: [(0.4, 12000), (0.8, 985)], color: "#000000", dots: true)]
        let linearSVG = linear.svg()
        let linearLabels = Set(texts(linearSVG).map(\.text))
        XCTAssertTrue(linearLabels.contains("10000") && !linearLabels.contains("10⁴"), "\(linearLabels)")
        XCTAssertFalse(linearSVG.contains("cx=\"64.00\""), "a point sits on the left edge of the plot")
    }

    /// A log y axis: points a decade apart are evenly spaced, decade ticks are labelled, and values ≤ 0
    /// are left out rather than drawn at minus infinity.
    func testLogYAxis() throws {
        var c = Chart(title: "t", xLabel: "x", yLabel: "y", xLog: true)
        c.yLog = true
        c.series = [Series(name: "s", points: [(1, 1e-4), (10, 1e-2), (100, 1), (1000, 0)], color: "#000000", dots: true)]
        let svg = c.svg()
        // The data's dots (the legend's dot has no stroke attribute).
        let dots = svg.components(separatedBy: "<circle").dropFirst().filter { $0.contains("stroke=\"none\"") }
        let ys = dots.compactMap { d in d.components(separatedBy: "cy=\"").dropFirst().first.flatMap { Double($0.prefix { $0 != "\"" }) } }
        XCTAssertEqual(ys.count, 3, "the point at 0 is not drawn")
        XCTAssertEqual(ys[0] - ys[1], ys[1] - ys[2], accuracy: 0.02)
        XCTAssertGreaterThan(ys[0], ys[2], "larger values higher up")
        let labels = Set(texts(svg).map(\.text))
        XCTAssertTrue(labels.contains("1") && labels.contains("0.01"), "\(labels)")
    }

    /// Viridis from dark purple to yellow, getting lighter all the way (readable in grey).
    func testSequentialScale() {
        XCTAssertEqual(Palette.sequential(0), "#440154")
        XCTAssertEqual(Palette.sequential(1), "#FDE725")
        XCTAssertEqual(Palette.sequential(-3), "#440154")
        func luminance(_ hex: String) -> Double {
            let v = Int(hex.dropFirst(), radix: 16)!
            return 0.2126 * Double(v >> 16) + 0.7152 * Double((v >> 8) & 255) + 0.0722 * Double(v & 255)
        }
        let l = (0...20).map { luminance(Palette.sequential(Double($0) / 20)) }
        XCTAssertTrue(zip(l, l.dropFirst()).allSatisfy { $0 < $1 }, "\(l)")
    }

    /// Both kinds parse as XML, and two figures on one page never share a defs id.
    func testWellFormedWithUniqueIds() throws {
        final class Ids: NSObject, XMLParserDelegate {
            var ids: [String] = []
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String] = [:]) {
                if let id = a["id"] { ids.append(id) }
            }
        }
        var all: [String] = []
        var other = Self.sampleChart()
        other.title = "Another chart"
        for svg in [Self.sampleChart().svg(), Self.sampleHeatmap().svg(), other.svg()] {
            let p = XMLParser(data: Data(svg.utf8)), d = Ids()
            p.delegate = d
            XCTAssertTrue(p.parse(), "\(p.parserError.map { "\($0)" } ?? "")")
            all += d.ids
        }
        XCTAssertEqual(all.count, 3)
        XCTAssertEqual(Set(all).count, all.count, "\(all)")
        // Same data, same bytes.
        XCTAssertEqual(Self.sampleChart().svg(), Self.sampleChart().svg())
    }

    /// Heatmap cells take the scale's colour at their value; missing cells show the hatching.
    func testHeatmapColoursCells() {
        let svg = Self.sampleHeatmap().svg()
        XCTAssertTrue(svg.contains("fill=\"\(Palette.sequential(0.3 / 0.6))\""), "the cell of value 0.3 lacks the colour at 0.5 of the range")
        XCTAssertEqual(svg.components(separatedBy: "<title>").count - 1, 22, "22 cells with data (24 minus 2 missing)")
        XCTAssertTrue(svg.contains("no evaluation"))
    }
}

// SVG charts, deterministic (same data, same bytes: fixed number formatting, no dictionary order):
// linear or log axes with readable ticks, several series from a colour-blind-safe palette (Okabe and
// Ito 2008) with a legend, shaded interval bands, step plots (Kaplan-Meier), scatter (filled or hollow
// dots) with a fitted curve, vertical markers with their labels, and heatmaps with a viridis colour bar.
import Foundation

public struct Series: Sendable {
    public var name: String
    public var points: [(Double, Double)]
    public var color: String
    public var dashed: Bool
    public var width: Double
    /// Draw the points as dots instead of a line (scatter plots).
    public var dots: Bool
    /// Dots drawn as rings (e.g. censored observations: the true value lies beyond).
    public var hollow = false
    /// A right-continuous step function (Kaplan-Meier): horizontal to the next x, then vertical.
    public var step = false
    public init(name: String, points: [(Double, Double)], color: String, dashed: Bool = false, width: Double = 1.6, dots: Bool = false) {
        self.name = name; self.points = points; self.color = color; self.dashed = dashed; self.width = width; self.dots = dots
    }
}

/// A shaded region between a lower and an upper curve (an interval band).
public struct Band: Sendable {
    public var name: String
    /// (x, lower, upper), in increasing x.
    public var points: [(Double, Double, Double)]
    public var color: String
    /// Drawn as steps, to sit under a step series.
    public var step = false
    public init(name: String, points: [(Double, Double, Double)], color: String) {
        self.name = name; self.points = points; self.color = color
    }
}

public struct Marker: Sendable {
    public var x: Double
    public var label: String
    public var color: String
    /// Print the label above the plot (off for per-seed markers, which would crowd it).
    public var labeled = false
    public init(x: Double, label: String, color: String, labeled: Bool = false) {
        self.x = x; self.label = label; self.color = color; self.labeled = labeled
    }
}

public enum Palette {
    /// Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    public static func color(_ i: Int) -> String { colors[i % colors.count] }

    /// Viridis (Smith and van der Walt 2015) at ten even stops: perceptually uniform, readable in grey
    /// and with the common colour-vision deficiencies.
    static let viridis: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3E, 0x4A, 0x89), (0x31, 0x68, 0x8E), (0x26, 0x82, 0x8E),
        (0x1F, 0x9E, 0x89), (0x35, 0xB7, 0x79), (0x6D, 0xCD, 0x59), (0xB4, 0xDE, 0x2C), (0xFD, 0xE7, 0x25),
    ]

    /// The viridis colour at t in [0, 1] (clamped), linearly interpolated between stops.
    public static func sequential(_ t: Double) -> String {
        let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
        let i = min(Int(u), viridis.count - 2), f = u - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02X%02X%02X", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }
}

func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

/// Approximate width in pixels of a label in the 12 px sans-serif the charts use.
func textWidth(_ s: String, size: Double = 12) -> Double { Double(s.count) * size * 0.55 }

public struct Chart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xLog = false
    /// A log y axis (values ≤ 0 are not drawn).
    public var yLog = false
    public var yRange: (Double, Double)? = nil
    public var series: [Series] = []
    public var bands: [Band] = []
    public var markers: [Marker] = []
    public var width = 720.0
    /// Height of the plot area plus axes; the title, marker labels and legend rows add to it.
    public var height = 420.0
    /// Entries of the legend when they differ from the series (e.g. one entry per line style).
    public var legend: [(String, String, Bool)]? = nil

    public init(title: String, xLabel: String, yLabel: String, xLog: Bool = false, yRange: (Double, Double)? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xLog = xLog; self.yRange = yRange
    }

    public func svg() -> String {
        let left = 64.0, right = 30.0
        let pw = width - left - right, ph = height - 40 - 80
        var xs: [Double] = []
        var ys: [Double] = []
        for se in series {
            for (x, y) in se.points where x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0) { xs.append(x); ys.append(y) }
        }
        for b in bands {
            for (x, lo, hi) in b.points where x.isFinite && lo.isFinite && hi.isFinite && (!xLog || x > 0) && (!yLog || lo > 0) { xs.append(x); ys += [lo, hi] }
        }
        for m in markers where m.x.isFinite && (!xLog || m.x > 0) { xs.append(m.x) }
        var x0 = xs.min() ?? 1, x1 = xs.max() ?? 10
        // A log axis spans the data with a little room, not whole decades, which can leave most of it empty.
        // A linear one gets the same room, so that points on the ends are not cut in half.
        if xLog { x0 /= 1.15; x1 *= 1.15 } else if x1 > x0 { let pad = (x1 - x0) * 0.04; x0 -= pad; x1 += pad }
        if x1 <= x0 { x1 = xLog ? x0 * 10 : x0 + 1 }
        var (y0, y1) = yRange ?? (ys.min() ?? (yLog ? 1 : 0), ys.max() ?? (yLog ? 10 : 1))
        if y1 <= y0 { y1 = yLog ? y0 * 10 : y0 + 1 }
        if yRange == nil { if yLog { y0 /= 1.15; y1 *= 1.15 } else { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad } }
        let lx0 = log10(x0), lx1 = log10(x1), ly0 = log10(y0), ly1 = log10(y1)
        func tx(_ x: Double) -> Double { xLog ? (log10(x) - lx0) / (lx1 - lx0) : (x - x0) / (x1 - x0) }
        func ty(_ y: Double) -> Double { yLog ? (log10(y) - ly0) / (ly1 - ly0) : (y - y0) / (y1 - y0) }

        // Marker labels sit in rows above the plot, each in the first row where it overlaps no other.
        var labelRows: [[(Double, Double)]] = []
        var placed: [(Marker, Double, Int)] = []
        for m in markers.enumerated().sorted(by: { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }).map(\.element)
        where m.labeled && m.x.isFinite && (!xLog || m.x > 0) {
            let cx = left + tx(m.x) * pw
            let w = textWidth(m.label, size: 11) + 6
            let a = min(max(cx - w / 2, 2), width - 2 - w), b = a + w
            var row = 0
            while row < labelRows.count && labelRows[row].contains(where: { a < $0.1 && $0.0 < b }) { row += 1 }
            if row == labelRows.count { labelRows.append([]) }
            labelRows[row].append((a, b))
            placed.append((m, a + w / 2, row))
        }
        let top = 40.0 + 15 * Double(labelRows.count)
        func px(_ x: Double) -> Double { left + tx(x) * pw }
        func py(_ y: Double) -> Double { top + (1 - min(max(ty(y), -1), 2)) * ph }

        // The legend below the plot, wrapping; its rows set the height.
        var items: [(String, String, String)] = []   // (name, colour, kind: line, dashed, dot, ring, area)
        if let legend {
            items = legend.map { ($0.0, $0.1, $0.2 ? "dashed" : "line") }
        } else {
            items = series.map { ($0.name, $0.color, $0.dots ? ($0.hollow ? "ring" : "dot") : $0.dashed ? "dashed" : "line") }
        }
        items += bands.filter { !$0.name.isEmpty }.map { ($0.name, $0.color, "area") }
        var legendAt: [(Double, Double)] = []
        var lx = left, ly = top + ph + 56
        for (name, _, _) in items {
            let w = 34 + textWidth(name)
            if lx + w > width - right && lx > left { lx = left; ly += 18 }
            legendAt.append((lx, ly))
            lx += w
        }
        let total = (items.isEmpty ? top + ph + 44 : ly + 14).rounded(.up)

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(total))\" width=\"\(Int(width))\" height=\"\(Int(total))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(fmt(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(esc(title))</text>\n"
        // Grid and ticks.
        for t in ticks(y0, y1, log: yLog) {
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(t)))\" x2=\"\(fmt(left + pw))\" y2=\"\(fmt(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\">\(yLog ? tickLabel(t, log: true) : tickLabel(t))</text>\n"
        }
        for t in ticks(x0, x1, log: xLog) {
            s += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(top + ph))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + ph + 16))\" text-anchor=\"middle\">\(tickLabel(t, log: xLog))</text>\n"
        }
        s += "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(top + ph + 36))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(fmt(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        // Bands under everything else, clipped to the plot.
        let clip = "plot-" + figureId(title, xLabel, yLabel, "\(width)x\(total)", "\(series.count)")
        s += "<clipPath id=\"\(clip)\"><rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\"/></clipPath>\n"
        s += "<g clip-path=\"url(#\(clip))\">\n"
        for b in bands {
            let pts = b.points.filter { $0.0.isFinite && $0.1.isFinite && $0.2.isFinite && (!xLog || $0.0 > 0) && (!yLog || $0.1 > 0) }
            guard pts.count >= 1 else { continue }
            var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
            for (i, p) in pts.enumerated() {
                if b.step && i > 0 { upper.append((p.0, pts[i - 1].2)); lower.append((p.0, pts[i - 1].1)) }
                upper.append((p.0, p.2)); lower.append((p.0, p.1))
            }
            let ring = upper + lower.reversed()
            let d = ring.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(fmt(px($0.element.0))) \(fmt(py($0.element.1)))" }.joined(separator: " ") + " Z"
            s += "<path d=\"\(d)\" fill=\"\(b.color)\" fill-opacity=\"0.18\" stroke=\"none\"><title>\(esc(b.name))</title></path>\n"
        }
        // Markers.
        for m in markers where m.x.isFinite && (!xLog || m.x > 0) {
            let x = px(m.x)
            s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + ph))\" stroke=\"\(m.color)\" stroke-dasharray=\"\(m.labeled ? "5 3" : "2 3")\" stroke-width=\"\(m.labeled ? "1.5" : "1")\"><title>\(esc(m.label))</title></line>\n"
        }
        // Series.
        s += "<g fill=\"none\" stroke-linejoin=\"round\">\n"
        for se in series {
            let pts = se.points.filter { $0.0.isFinite && $0.1.isFinite && (!xLog || $0.0 > 0) && (!yLog || $0.1 > 0) }
            guard !pts.isEmpty else { continue }
            if se.dots {
                for (x, y) in pts {
                    s += se.hollow ? "<circle cx=\"\(fmt(px(x)))\" cy=\"\(fmt(py(y)))\" r=\"3.5\" fill=\"#ffffff\" stroke=\"\(se.color)\" stroke-width=\"1.5\"/>\n"
                                   : "<circle cx=\"\(fmt(px(x)))\" cy=\"\(fmt(py(y)))\" r=\"3.5\" fill=\"\(se.color)\" stroke=\"none\"/>\n"
                }
                continue
            }
            var d = "M\(fmt(px(pts[0].0))) \(fmt(py(pts[0].1)))"
            for i in pts.indices.dropFirst() {
                if se.step { d += " H\(fmt(px(pts[i].0))) V\(fmt(py(pts[i].1)))" } else { d += " L\(fmt(px(pts[i].0))) \(fmt(py(pts[i].1)))" }
            }
            s += "<path d=\"\(d)\" stroke=\"\(se.color)\" stroke-width=\"\(fmt(se.width))\"\(se.dashed ? " stroke-dasharray=\"6 4\"" : "")><title>\(esc(se.name))</title></path>\n"
        }
        s += "</g>\n</g>\n"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\" fill=\"none\" stroke=\"#333333\"/>\n"
        for (m, cx, row) in placed {
            let y = 40 + 15 * Double(row) + 8
            s += "<text x=\"\(fmt(cx))\" y=\"\(fmt(y))\" text-anchor=\"middle\" font-size=\"11\" fill=\"\(m.color)\">\(esc(m.label))</text>\n"
        }
        for ((name, color, kind), (x, y)) in zip(items, legendAt) {
            switch kind {
            case "dot": s += "<circle cx=\"\(fmt(x + 11))\" cy=\"\(fmt(y - 4))\" r=\"3.5\" fill=\"\(color)\"/>\n"
            case "ring": s += "<circle cx=\"\(fmt(x + 11))\" cy=\"\(fmt(y - 4))\" r=\"3.5\" fill=\"#ffffff\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
            case "area": s += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y - 10))\" width=\"22\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.25\"/>\n"
            default: s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y - 4))\" x2=\"\(fmt(x + 22))\" y2=\"\(fmt(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(kind == "dashed" ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            s += "<text x=\"\(fmt(x + 28))\" y=\"\(fmt(y))\">\(esc(name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }
}

/// Ticks of an axis: decades on a log axis (with 2 and 5 between them when it spans at most two
/// decades), else about five round steps.
func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
    if log {
        var t: [Double] = []
        var e = floor(log10(lo))
        let fine = floor(log10(hi)) - ceil(log10(lo)) < 2
        while pow(10, e) <= hi * 1.0000001 {
            for k in fine ? [1.0, 2, 5] : [1.0] where k * pow(10, e) >= lo * 0.9999999 && k * pow(10, e) <= hi * 1.0000001 { t.append(k * pow(10, e)) }
            e += 1
        }
        return t
    }
    let span = hi - lo
    let raw = span / 5
    let mag = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { span / $0 <= 6 } ?? 10 * mag
    var t: [Double] = []
    var v = ceil(lo / step - 1e-9) * step
    while v <= hi + step * 1e-9 { t.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
    return t
}

/// A tick label: on a log axis 10ⁿ for powers of ten from 10⁴ and k×10ⁿ for other round large values;
/// otherwise plain (a linear axis reads 8000, 10000, 12000, not 8000, 10⁴, 12000).
func tickLabel(_ v: Double, log: Bool = false) -> String {
    let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    func sup(_ e: Int) -> String { String(String(e).map { superscripts[Int(String($0))!] }) }
    if log && v >= 1e4 {
        let e = Int(floor(log10(v) + 1e-9)), m = v / pow(10, Double(e))
        if abs(m - 1) < 1e-9 { return "10" + sup(e) }
        if abs(m - m.rounded()) < 1e-9 { return "\(Int(m.rounded()))×10" + sup(e) }
    }
    if v != 0 && (abs(v) >= 1e5 || abs(v) < 1e-3) { return String(format: "%.0e", v) }
    if v == v.rounded() { return String(Int(v)) }
    return String(format: "%g", v)
}

/// An id for the defs of one figure, stable for the same content: several figures are inlined in one
/// HTML page, where ids must be unique.
func figureId(_ parts: String...) -> String {
    var h: UInt64 = 0xcbf29ce484222325   // FNV-1a
    for b in parts.joined(separator: "|").utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return String(h, radix: 36)
}

/// A heatmap on (log or linear) axes: cells between given edges coloured by value on the viridis scale,
/// empty cells (no data) hatched grey, a colour bar with ticks, and horizontal reference lines.
public struct Heatmap: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var colorLabel: String
    /// Cell boundaries: xEdges.count = columns + 1, yEdges.count = rows + 1, both increasing.
    public var xEdges: [Double]
    public var yEdges: [Double]
    /// values[row][column], row 0 at the bottom (smallest y); nil: no data.
    public var values: [[Double?]]
    public var xLog = true
    public var yLog = true
    /// The colour scale's range (values outside are clamped).
    public var range: (Double, Double)
    /// Horizontal lines at a y (e.g. the interpolation threshold), labelled at the right end.
    public var lines: [Marker] = []
    /// The value of each row printed at the left instead of the y ticks (e.g. the widths of the models).
    public var rowLabels: [String]? = nil
    public var width = 720.0
    public var height = 420.0

    public init(title: String, xLabel: String, yLabel: String, colorLabel: String, xEdges: [Double], yEdges: [Double], values: [[Double?]], range: (Double, Double)) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.colorLabel = colorLabel
        self.xEdges = xEdges; self.yEdges = yEdges; self.values = values; self.range = range
    }

    public func svg() -> String {
        let left = 72.0, right = 120.0, top = 40.0, bottom = 70.0
        let pw = width - left - right, ph = height - top - bottom
        guard xEdges.count >= 2, yEdges.count >= 2 else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) 60\" width=\"\(Int(width))\" height=\"60\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\"><text x=\"10\" y=\"30\">\(esc(title)): no data</text></svg>\n"
        }
        func t(_ v: Double, _ edges: [Double], _ log: Bool) -> Double {
            let a = edges.first!, b = edges.last!
            return log ? (log10(v) - log10(a)) / (log10(b) - log10(a)) : (v - a) / (b - a)
        }
        func px(_ x: Double) -> Double { left + t(x, xEdges, xLog) * pw }
        func py(_ y: Double) -> Double { top + (1 - t(y, yEdges, yLog)) * ph }
        let (c0, c1) = range
        func color(_ v: Double) -> String { Palette.sequential(c1 > c0 ? (v - c0) / (c1 - c0) : 0) }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        let hatch = "nodata-" + figureId(title, xLabel, yLabel, "\(width)x\(height)")
        s += "<defs><pattern id=\"\(hatch)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#f2f2f2\"/><path d=\"M0 6 L6 0\" stroke=\"#bbbbbb\" stroke-width=\"1\"/></pattern></defs>\n"
        s += "<text x=\"\(fmt(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(esc(title))</text>\n"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\" fill=\"url(#\(hatch))\"/>\n"
        for (r, row) in values.enumerated() where r + 1 < yEdges.count {
            for (c, v) in row.enumerated() where c + 1 < xEdges.count {
                guard let v, v.isFinite else { continue }
                let xa = px(xEdges[c]), xb = px(xEdges[c + 1]), ya = py(yEdges[r + 1]), yb = py(yEdges[r])
                // Cells overlap by a hair so that no seam of background shows between them.
                s += "<rect x=\"\(fmt(xa))\" y=\"\(fmt(ya))\" width=\"\(fmt(xb - xa + 0.3))\" height=\"\(fmt(yb - ya + 0.3))\" fill=\"\(color(v))\"><title>\(String(format: "%.3f", v))</title></rect>\n"
            }
        }
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\" fill=\"none\" stroke=\"#333333\"/>\n"
        for tk in ticks(xEdges.first!, xEdges.last!, log: xLog) {
            s += "<line x1=\"\(fmt(px(tk)))\" y1=\"\(fmt(top + ph))\" x2=\"\(fmt(px(tk)))\" y2=\"\(fmt(top + ph + 5))\" stroke=\"#333333\"/>\n"
            s += "<text x=\"\(fmt(px(tk)))\" y=\"\(fmt(top + ph + 18))\" text-anchor=\"middle\">\(tickLabel(tk, log: xLog))</text>\n"
        }
        if let rowLabels {
            // Skip labels that would overlap the one below.
            var lastY = Double.infinity
            for (r, label) in rowLabels.enumerated() where r + 1 < yEdges.count {
                let y = (py(yEdges[r]) + py(yEdges[r + 1])) / 2
                guard lastY - y >= 13 else { continue }
                lastY = y
                s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(esc(label))</text>\n"
            }
        } else {
            for tk in ticks(yEdges.first!, yEdges.last!, log: yLog) {
                s += "<line x1=\"\(fmt(left - 5))\" y1=\"\(fmt(py(tk)))\" x2=\"\(fmt(left))\" y2=\"\(fmt(py(tk)))\" stroke=\"#333333\"/>\n"
                s += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(py(tk) + 4))\" text-anchor=\"end\">\(tickLabel(tk, log: yLog))</text>\n"
            }
        }
        for m in lines where m.x > yEdges.first! && m.x < yEdges.last! {
            let y = py(m.x)
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + pw))\" y2=\"\(fmt(y))\" stroke=\"\(m.color)\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n"
            s += "<text x=\"\(fmt(left + 6))\" y=\"\(fmt(y - 5))\" font-size=\"11\" fill=\"#000000\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(esc(m.label))</text>\n"
        }
        s += "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(top + ph + 40))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(fmt(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        // The colour bar: 50 slices, ticks at round values of the range.
        let bx = left + pw + 24, bw = 16.0
        for i in 0..<50 {
            let v0 = Double(i) / 50
            s += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(top + (1 - v0 - 0.02) * ph))\" width=\"\(fmt(bw))\" height=\"\(fmt(ph / 50 + 0.3))\" fill=\"\(Palette.sequential(v0 + 0.01))\"/>\n"
        }
        s += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(top))\" width=\"\(fmt(bw))\" height=\"\(fmt(ph))\" fill=\"none\" stroke=\"#333333\"/>\n"
        if c1 > c0 {
            for tk in ticks(c0, c1, log: false) {
                let y = top + (1 - (tk - c0) / (c1 - c0)) * ph
                s += "<line x1=\"\(fmt(bx + bw))\" y1=\"\(fmt(y))\" x2=\"\(fmt(bx + bw + 4))\" y2=\"\(fmt(y))\" stroke=\"#333333\"/>\n"
                s += "<text x=\"\(fmt(bx + bw + 7))\" y=\"\(fmt(y + 4))\">\(tickLabel(tk))</text>\n"
            }
        }
        s += "<text transform=\"translate(\(fmt(width - 12)) \(fmt(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(colorLabel))</text>\n"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top + ph + 48))\" width=\"14\" height=\"10\" fill=\"url(#\(hatch))\" stroke=\"#999999\"/>\n"
        s += "<text x=\"\(fmt(left + 20))\" y=\"\(fmt(top + ph + 57))\" font-size=\"11\">no evaluation (the run had stopped)</text>\n"
        s += "</svg>\n"
        return s
    }
}

func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

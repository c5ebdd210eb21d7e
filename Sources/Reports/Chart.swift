// SVG charts, deterministic (same data, same bytes): linear or log axes with readable ticks, several
// series from a colour-blind-safe palette (Okabe and Ito 2008) with a legend, and vertical markers.
import Foundation

public struct Series: Sendable {
    public var name: String
    public var points: [(Double, Double)]
    public var color: String
    public var dashed: Bool
    public var width: Double
    /// Draw the points as dots instead of a line (scatter plots).
    public var dots: Bool
    public init(name: String, points: [(Double, Double)], color: String, dashed: Bool = false, width: Double = 1.6, dots: Bool = false) {
        self.name = name; self.points = points; self.color = color; self.dashed = dashed; self.width = width; self.dots = dots
    }
}

public struct Marker: Sendable {
    public var x: Double
    public var label: String
    public var color: String
    public init(x: Double, label: String, color: String) { self.x = x; self.label = label; self.color = color }
}

public enum Palette {
    /// Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    public static func color(_ i: Int) -> String { colors[i % colors.count] }
}

public struct Chart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xLog = false
    public var yRange: (Double, Double)? = nil
    public var series: [Series] = []
    public var markers: [Marker] = []
    public var width = 720.0
    public var height = 420.0
    /// Entries of the legend when they differ from the series (e.g. one entry per line style).
    public var legend: [(String, String, Bool)]? = nil

    public init(title: String, xLabel: String, yLabel: String, xLog: Bool = false, yRange: (Double, Double)? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xLog = xLog; self.yRange = yRange
    }

    func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

    public func svg() -> String {
        let left = 64.0, right = 30.0, top = 40.0, bottom = 80.0
        let pw = width - left - right, ph = height - top - bottom
        var xs: [Double] = []
        var ys: [Double] = []
        for se in series {
            for (x, y) in se.points where x.isFinite && y.isFinite && (!xLog || x > 0) { xs.append(x); ys.append(y) }
        }
        for m in markers where !xLog || m.x > 0 { xs.append(m.x) }
        var x0 = xs.min() ?? 1, x1 = xs.max() ?? 10
        if xLog { x0 = pow(10, floor(log10(x0))); x1 = pow(10, ceil(log10(x1))) }
        if x1 <= x0 { x1 = x0 + 1 }
        var (y0, y1) = yRange ?? (ys.min() ?? 0, ys.max() ?? 1)
        if y1 <= y0 { y1 = y0 + 1 }
        let lx0 = log10(x0), lx1 = log10(x1)
        func px(_ x: Double) -> Double {
            let t: Double = xLog ? (log10(x) - lx0) / (lx1 - lx0) : (x - x0) / (x1 - x0)
            return left + t * pw
        }
        func py(_ y: Double) -> Double {
            let t: Double = (y - y0) / (y1 - y0)
            return top + (1 - t) * ph
        }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(fmt(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(esc(title))</text>\n"
        // Grid and ticks.
        for t in ticks(y0, y1, log: false) {
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(t)))\" x2=\"\(fmt(left + pw))\" y2=\"\(fmt(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
        }
        for t in ticks(x0, x1, log: xLog) {
            s += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(top + ph))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + ph + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
        }
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\" fill=\"none\" stroke=\"#333333\"/>\n"
        s += "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(top + ph + 36))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(fmt(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        // Markers.
        for m in markers where !xLog || m.x > 0 {
            let x = px(m.x)
            s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + ph))\" stroke=\"\(m.color)\" stroke-dasharray=\"2 3\" stroke-width=\"1\"/>\n"
        }
        // Series.
        s += "<g fill=\"none\" stroke-linejoin=\"round\">\n"
        for se in series {
            let pts = se.points.filter { $0.0.isFinite && $0.1.isFinite && (!xLog || $0.0 > 0) }
            guard !pts.isEmpty else { continue }
            if se.dots {
                for (x, y) in pts { s += "<circle cx=\"\(fmt(px(x)))\" cy=\"\(fmt(py(y)))\" r=\"3\" fill=\"\(se.color)\" stroke=\"none\"/>\n" }
                continue
            }
            let d = pts.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(fmt(px($0.element.0))) \(fmt(py($0.element.1)))" }.joined(separator: " ")
            s += "<path d=\"\(d)\" stroke=\"\(se.color)\" stroke-width=\"\(fmt(se.width))\"\(se.dashed ? " stroke-dasharray=\"6 4\"" : "")><title>\(esc(se.name))</title></path>\n"
        }
        s += "</g>\n"
        // Legend below the plot, wrapping.
        let entries = legend ?? series.map { ($0.name, $0.color, $0.dashed) }
        var lx = left, ly = top + ph + 56
        for (name, color, dashed) in entries {
            let w = 30 + Double(name.count) * 6.6
            if lx + w > width - right { lx = left; ly += 16 }
            s += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 22))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            s += "<text x=\"\(fmt(lx + 26))\" y=\"\(fmt(ly))\">\(esc(name))</text>\n"
            lx += w
        }
        s += "</svg>\n"
        return s
    }

    func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
        if log {
            var t: [Double] = []
            var e = floor(log10(lo))
            while pow(10, e) <= hi * 1.0000001 { t.append(pow(10, e)); e += 1 }
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

    func tickLabel(_ v: Double) -> String {
        if v >= 1e4, v == pow(10, log10(v).rounded()) {
            let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
            return "10" + String(String(Int(log10(v).rounded())).map { superscripts[Int(String($0))!] })
        }
        if v != 0 && (abs(v) >= 1e5 || abs(v) < 1e-3) { return String(format: "%.0e", v) }
        if v == v.rounded() { return String(Int(v)) }
        return String(format: "%g", v)
    }
}

func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

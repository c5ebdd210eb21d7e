// report.html from a report document: one self-contained page, figures inline as SVG, tables that
// scroll sideways on a narrow screen, side-by-side figures in two columns.
import Foundation

public enum HTMLRenderer {
    public static func render(_ d: ReportDocument) -> String {
        var body = "<h1>\(inline(d.title))</h1>\n"
        for s in d.sections {
            if let t = s.title { body += "<h2>\(inline(t))</h2>\n" }
            for b in s.blocks { body += block(b) }
        }
        return page(title: d.title, body: body)
    }

    static func block(_ b: Block) -> String {
        switch b {
        case .paragraph(let text):
            return text.split(separator: "\n").map { "<p>\(inline(String($0)))</p>\n" }.joined()
        case .list(let items): return items.map { "<p class=\"item\">\(inline($0))</p>\n" }.joined()
        case .table(let t):
            return "<div class=\"scroll\"><table>\n<tr>" + t.header.map { "<th>\(inline($0))</th>" }.joined() + "</tr>\n"
                + t.rows.map { "<tr>" + $0.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n" }.joined() + "</table></div>\n"
        case .figure(let f): return "<figure>\(f.svg)</figure>\n<p>\(inline(f.caption))</p>\n"
        case .figures(let fs, let caption):
            return "<div class=\"pair\">" + fs.map { "<figure>\($0.svg)</figure>" }.joined() + "</div>\n<p>\(inline(caption))</p>\n"
        case .note(let text): return "<blockquote>\(inline(text))</blockquote>\n"
        case .heading(let text): return "<h3>\(inline(text))</h3>\n"
        }
    }

    /// The page around a body.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; max-width: 1000px; margin: 0 auto; padding: 16px; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
        th { background: #f3f3f3; } .scroll { overflow-x: auto; margin: 8px 0 16px; }
        figure { margin: 12px 0; } figure svg { display: block; max-width: 100%; height: auto; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; } .pair figure { margin: 0; }
        @media (max-width: 760px) { .pair { grid-template-columns: 1fr; } body { padding: 8px; } }
        code { background: #f4f4f4; padding: 0 3px; } blockquote { border-left: 4px solid #D55E00; margin: 8px 0; padding: 4px 10px; background: #fff4ec; }
        @media print { body { max-width: none; } .scroll { overflow: visible; } figure, .pair, tr { break-inside: avoid; } h2 { break-after: avoid; } }
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// Markdown inline code and bold to HTML, everything else escaped.
    static func inline(_ s: String) -> String {
        var out = ""
        var code = false, bold = false
        var chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "`" { out += code ? "</code>" : "<code>"; code.toggle(); i += 1; continue }
            if !code && c == "*" && i + 1 < chars.count && chars[i + 1] == "*" { out += bold ? "</b>" : "<b>"; bold.toggle(); i += 2; continue }
            if !code && c == "*" { i += 1; continue }
            out += esc(String(c))
            i += 1
        }
        chars.removeAll()
        return out
    }
}

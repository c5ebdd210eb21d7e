// report.md from a report document: "# title", "## section", blocks separated by blank lines, tables
// in pipe syntax, figures as images with their caption in italics below.

public enum MarkdownRenderer {
    public static func render(_ d: ReportDocument) -> String {
        var md = "# \(d.title)\n\n"
        for s in d.sections {
            if let t = s.title { md += "## \(t)\n\n" }
            for b in s.blocks { md += block(b) }
        }
        return md
    }

    static func block(_ b: Block) -> String {
        switch b {
        case .paragraph(let text): return text + "\n\n"
        case .list(let items): return items.isEmpty ? "" : items.map { "- \($0)\n" }.joined() + "\n"
        case .table(let t): return table(t) + "\n"
        case .figure(let f): return "![\(f.caption)](\(f.file))\n\n*\(f.caption)*\n\n"
        case .figures(let fs, let caption): return fs.map { "![\($0.caption)](\($0.file))" }.joined(separator: " ") + "\n\n\(caption)\n\n"
        case .note(let text): return "> \(text)\n\n"
        case .heading(let text): return "### \(text)\n\n"
        }
    }

    static func table(_ t: Table) -> String {
        var md = "| " + t.header.joined(separator: " | ") + " |\n|" + t.header.map { _ in "---|" }.joined() + "\n"
        for r in t.rows { md += "| " + r.joined(separator: " | ") + " |\n" }
        return md
    }
}

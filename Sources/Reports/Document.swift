// A report as a document: a title and sections of typed blocks (paragraphs, lists, tables, figures,
// notes), built once from what Evaluation computed and rendered by one writer per format (Markdown.swift,
// HTML.swift; JSON and JUnit from the analyses and the gates, DocumentWriter.swift). A new section is one
// function that returns a `Section`.

/// A figure: its file under the report folder ("figures/x.svg"), its caption, its SVG.
public struct Figure: Sendable {
    public var file: String
    public var caption: String
    public var svg: String
    public init(file: String, caption: String, svg: String) {
        self.file = file
        self.caption = caption
        self.svg = svg
    }
}

/// A table whose rows have exactly as many cells as its header (a row of another length stops the
/// program: it is a bug in the section that built it, not in the data).
public struct Table: Sendable {
    public let header: [String]
    public private(set) var rows: [[String]] = []
    public init(_ header: [String]) { self.header = header }
    public init(_ header: [String], rows: [[String]]) {
        self.header = header
        for r in rows { add(r) }
    }
    public mutating func add(_ cells: [String]) {
        precondition(cells.count == header.count, "table row of \(cells.count) cells under a header of \(header.count): \(header)")
        rows.append(cells)
    }
}

/// One block of a section. Text is inline Markdown: `code`, **bold**.
public enum Block: Sendable {
    case paragraph(String)
    /// Items of a bulleted list.
    case list([String])
    case table(Table)
    /// A figure where it stands, with its caption below.
    case figure(Figure)
    /// Figures side by side (one caption line naming them all).
    case figures([Figure], caption: String)
    /// A note set apart (Markdown "> ").
    case note(String)
    /// A sub-heading inside a section (level 3).
    case heading(String)
}

/// A section: a level-2 heading (none for the front matter) and its blocks.
public struct Section: Sendable {
    public var title: String?
    public var blocks: [Block]
    public init(_ title: String?, _ blocks: [Block] = []) {
        self.title = title
        self.blocks = blocks
    }
    public var isEmpty: Bool { blocks.isEmpty && title == nil }
}

public struct ReportDocument: Sendable {
    public var title: String
    public var sections: [Section]
    public init(title: String, sections: [Section] = []) {
        self.title = title
        self.sections = sections
    }

    /// Every figure the document shows, in order (each file once).
    public var figures: [Figure] {
        var seen = Set<String>(), out: [Figure] = []
        for s in sections {
            for b in s.blocks {
                let fs: [Figure]
                switch b {
                case .figure(let f): fs = [f]
                case .figures(let f, _): fs = f
                default: fs = []
                }
                for f in fs where seen.insert(f.file).inserted { out.append(f) }
            }
        }
        return out
    }
}

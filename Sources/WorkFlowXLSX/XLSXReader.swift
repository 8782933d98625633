import Foundation
import ZIPFoundation

/// A value read from a cell.
public enum XLSXValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case bool(Bool)
    /// A number shown as a date or time, as ISO 8601 text: `2024-03-01`, `2024-03-01T13:45:00`, `13:45:00`.
    case date(String)
    /// An error value such as `#N/A` or `#DIV/0!`.
    case error(String)
}

/// A cell that holds a value, by its 0-based column.
public struct XLSXReadCell: Sendable, Hashable {
    public var column: Int
    public var value: XLSXValue

    public init(column: Int, value: XLSXValue) {
        self.column = column
        self.value = value
    }
}

/// A row that holds at least one value: its 1-based number and its cells in column order.
public struct XLSXRow: Sendable, Hashable {
    public var number: Int
    public var cells: [XLSXReadCell]

    public init(number: Int, cells: [XLSXReadCell]) {
        self.number = number
        self.cells = cells
    }
}

/// Reads the cells of `.xlsx` workbooks (Office Open XML spreadsheets): the sheet list from
/// `workbook.xml` and its relationships, shared and inline strings, booleans, errors, formula
/// results (the cached values; formulas are not evaluated) and numbers, with numbers whose
/// style has a date or time format turned into ISO text.
///
/// The reader is synchronous and meant for a thread of its own; it checks `isCancelled` as it
/// goes and then throws `CancellationError`. Every other failure is an ``XLSXError`` saying
/// what is wrong with the file. A part that unpacks beyond ``Limits/maximumPartSize`` is
/// refused, so that a small file cannot expand without bound.
public struct XLSXReader {
    /// Bounds on the work one workbook may cause.
    public struct Limits: Sendable {
        /// Bytes one part of the workbook (a sheet, the shared strings) may unpack to.
        public var maximumPartSize: Int

        public init(maximumPartSize: Int = 200 << 20) {
            self.maximumPartSize = maximumPartSize
        }
    }

    /// Excel's limit on columns (A to XFD).
    public static let maximumColumns = 16_384

    /// The names of the workbook's sheets, in workbook order.
    public var sheetNames: [String] { sheets.map(\.name) }

    private struct Sheet {
        var name: String
        var part: String?
        var kind: String
    }

    private let archive: Archive
    private let entries: [String: Entry]
    private let sheets: [Sheet]
    private let workbookRelationships: [XLSXRelationship]
    private let workbookPart: String
    private let date1904: Bool
    private let limits: Limits
    private let isCancelled: () -> Bool

    /// Opens a workbook from its bytes and reads its sheet list.
    public init(data: Data, limits: Limits = Limits(), isCancelled: @escaping () -> Bool = { false }) throws {
        self.limits = limits
        self.isCancelled = isCancelled
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw XLSXError(message: "this is an old binary .xls workbook or an encrypted .xlsx, not an XLSX (Office Open XML) file")
        }
        guard data.starts(with: [0x50, 0x4B]) else {
            throw XLSXError(message: "this is not an XLSX file (an XLSX file is a ZIP archive)")
        }
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw XLSXError(message: "this is not a readable XLSX file: the ZIP archive is damaged (\(error))")
        }
        var entries: [String: Entry] = [:]
        for entry in archive where entry.type == .file {
            // Part names are case-insensitive in OOXML packages.
            entries[Self.normalized(entry.path)] = entry
        }
        self.entries = entries

        let rootRelationships = try Self.relationships(of: "", in: archive, entries: entries, limits: limits, isCancelled: isCancelled)
        workbookPart =
            rootRelationships.first { $0.isKind("officeDocument") && !$0.external }.map { Self.resolve($0.target, from: "") }
            ?? "xl/workbook.xml"
        guard let workbookData = try Self.part(workbookPart, in: archive, entries: entries, limits: limits, isCancelled: isCancelled) else {
            if entries["mimetype"] != nil || entries["content.xml"] != nil {
                throw XLSXError(message: "this is an OpenDocument file (.ods), not an XLSX workbook")
            }
            throw XLSXError(message: "this ZIP archive is not an XLSX workbook: it has no \(workbookPart)")
        }
        let workbook = WorkbookHandler()
        try XLSXPartParser.parse(workbookData, part: workbookPart, into: workbook, isCancelled: isCancelled)
        date1904 = workbook.date1904

        workbookRelationships = try Self.relationships(
            of: workbookPart, in: archive, entries: entries, limits: limits, isCancelled: isCancelled)
        let byID = Dictionary(workbookRelationships.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let workbookPart = self.workbookPart
        sheets = workbook.sheets.map { sheet in
            guard let relationship = byID[sheet.relationshipID], !relationship.external else {
                return Sheet(name: sheet.name, part: nil, kind: "sheet")
            }
            let kind = relationship.type.split(separator: "/").last.map(String.init) ?? "sheet"
            return Sheet(name: sheet.name, part: Self.resolve(relationship.target, from: workbookPart), kind: kind)
        }
    }

    /// The rows of the sheet at `index` (in ``sheetNames`` order) that hold at least one value.
    public func rows(ofSheet index: Int) throws -> [XLSXRow] {
        guard sheets.indices.contains(index) else {
            throw XLSXError(message: "the workbook has no sheet \(index) (it has \(sheets.count))")
        }
        let sheet = sheets[index]
        guard sheet.kind == "worksheet" else {
            throw XLSXError(message: "sheet '\(sheet.name)' is a \(sheet.kind), not a worksheet with cells")
        }
        guard let path = sheet.part, let data = try part(path) else {
            throw XLSXError(message: "the workbook lists sheet '\(sheet.name)' but has no part for it")
        }
        let handler = WorksheetHandler(sharedStrings: try sharedStrings(), dateKinds: try dateKinds(), date1904: date1904)
        try XLSXPartParser.parse(data, part: path, into: handler, isCancelled: isCancelled)
        return handler.rows
    }

    private func sharedStrings() throws -> [String] {
        let path = relatedPart("sharedStrings") ?? "xl/sharedStrings.xml"
        guard let data = try part(path) else { return [] }
        let handler = SharedStringsHandler()
        try XLSXPartParser.parse(data, part: path, into: handler, isCancelled: isCancelled)
        return handler.strings
    }

    private func dateKinds() throws -> [XLSXDateKind?] {
        let path = relatedPart("styles") ?? "xl/styles.xml"
        guard let data = try part(path) else { return [] }
        let handler = StylesHandler()
        try XLSXPartParser.parse(data, part: path, into: handler, isCancelled: isCancelled)
        return handler.dateKinds
    }

    private func relatedPart(_ kind: String) -> String? {
        workbookRelationships.first { $0.isKind(kind) && !$0.external }.map { Self.resolve($0.target, from: workbookPart) }
    }

    private func part(_ path: String) throws -> Data? {
        try Self.part(path, in: archive, entries: entries, limits: limits, isCancelled: isCancelled)
    }

    // MARK: Package parts

    /// The unpacked bytes of a part, or nil when the package has none by that name.
    private static func part(
        _ path: String, in archive: Archive, entries: [String: Entry], limits: Limits, isCancelled: () -> Bool
    ) throws -> Data? {
        guard let entry = entries[normalized(path)] else { return nil }
        let limit = limits.maximumPartSize
        let tooLarge = XLSXError(
            message: "the workbook part \(path) unpacks to more than \(Self.size(limit)); refusing it (a damaged file or a ZIP bomb?)")
        guard entry.uncompressedSize <= UInt64(limit) else { throw tooLarge }
        var data = Data()
        do {
            _ = try archive.extract(entry) { chunk in
                // The declared size may lie; count what really comes out.
                guard data.count + chunk.count <= limit else { throw tooLarge }
                if isCancelled() { throw CancellationError() }
                data.append(chunk)
            }
        } catch let error as XLSXError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw XLSXError(message: "the workbook part \(path) cannot be unpacked: the file is damaged (\(error))")
        }
        return data
    }

    /// The relationships of `part` (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`; the
    /// package itself, `""` → `_rels/.rels`); none when the package has no such part.
    private static func relationships(
        of part: String, in archive: Archive, entries: [String: Entry], limits: Limits, isCancelled: @escaping () -> Bool
    ) throws -> [XLSXRelationship] {
        let (folder, name) = split(part)
        let path = (folder.isEmpty ? "" : folder + "/") + "_rels/" + name + ".rels"
        guard let data = try Self.part(path, in: archive, entries: entries, limits: limits, isCancelled: isCancelled) else { return [] }
        let handler = RelationshipsHandler()
        try XLSXPartParser.parse(data, part: path, into: handler, isCancelled: isCancelled)
        return handler.relationships
    }

    /// A relationship target as a part path: absolute targets (`/xl/worksheets/sheet1.xml`) from
    /// the package root, others relative to the folder of the part that holds the relationship.
    static func resolve(_ target: String, from source: String) -> String {
        let decoded = target.removingPercentEncoding ?? target
        var segments: [Substring] = decoded.hasPrefix("/") ? [] : split(source).folder.split(separator: "/")
        for segment in decoded.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return segments.joined(separator: "/")
    }

    private static func split(_ part: String) -> (folder: String, name: String) {
        guard let slash = part.lastIndex(of: "/") else { return ("", part) }
        return (String(part[..<slash]), String(part[part.index(after: slash)...]))
    }

    private static func normalized(_ path: String) -> String {
        var path = path.replacingOccurrences(of: "\\", with: "/").lowercased()
        while path.hasPrefix("/") { path.removeFirst() }
        return path
    }

    private static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// A 0-based column index as Excel names it: 0 → `A`, 26 → `AA`.
    public static func columnName(_ index: Int) -> String {
        var name = ""
        var rest = index + 1
        while rest > 0 {
            let remainder = (rest - 1) % 26
            name.insert(Character(Unicode.Scalar(UInt8(65 + remainder))), at: name.startIndex)
            rest = (rest - 1) / 26
        }
        return name
    }
}

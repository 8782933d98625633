import CXlsxWriter
import Foundation

/// One cell of a sheet.
public enum XLSXCell: Sendable, Hashable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case empty
}

/// A problem writing a workbook, with libxlsxwriter's own words.
public struct XLSXError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

/// Writes `.xlsx` workbooks with libxlsxwriter: one sheet, a bold header row that stays in view,
/// columns sized to their contents. Text is always written as text, never as a formula.
///
/// Writing is synchronous and meant for a thread of its own: it checks `isCancelled` between
/// rows and then throws `CancellationError`; other failures are ``XLSXError``s.
public enum XLSXWriter {
    /// Excel's limits: characters in a cell, rows in a sheet, characters in a sheet name.
    public static let maximumCellText = 32_767
    public static let maximumRows = 1_048_576
    public static let maximumSheetName = 31
    /// Excel's limit on columns in a sheet.
    public static let maximumColumns = 16_384

    /// The workbook as bytes.
    public static func data(
        sheet: String, header: [String], rows: [[XLSXCell]], isCancelled: () -> Bool = { false }
    ) throws -> Data {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-\(UUID().uuidString).xlsx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(to: path, sheet: sheet, header: header, rows: rows, isCancelled: isCancelled)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XLSXError(message: "the workbook written to \(path) cannot be read back")
        }
        return data
    }

    /// Writes the workbook to `path` (replacing a file there).
    public static func write(
        to path: String, sheet: String, header: [String], rows: [[XLSXCell]], isCancelled: () -> Bool = { false }
    ) throws {
        guard rows.count + 1 <= maximumRows else {
            throw XLSXError(message: "a sheet holds at most \(maximumRows - 1) rows under its header; there are \(rows.count)")
        }
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        guard columns <= maximumColumns else {
            throw XLSXError(message: "a sheet holds at most \(maximumColumns) columns; there are \(columns)")
        }
        guard let workbook = workbook_new(path) else { throw XLSXError(message: "cannot create a workbook at \(path)") }
        guard let worksheet = workbook_add_worksheet(workbook, sheetName(sheet)) else {
            _ = workbook_close(workbook)
            throw XLSXError(message: "cannot add the sheet '\(sheet)'")
        }
        let bold = workbook_add_format(workbook)
        format_set_bold(bold)
        var widths = header.map { min(60, max(8, $0.count + 2)) }
        var failure: lxw_error = LXW_NO_ERROR
        var cancelled = false
        for (column, title) in header.enumerated() {
            failure = worksheet_write_string(worksheet, 0, lxw_col_t(column), cellText(title), bold)
            if failure != LXW_NO_ERROR { break }
        }
        rowLoop: for (index, row) in rows.enumerated() where failure == LXW_NO_ERROR {
            if index % 1024 == 0, isCancelled() {
                cancelled = true
                break
            }
            for (column, cell) in row.enumerated() {
                let r = lxw_row_t(index + 1)
                let c = lxw_col_t(column)
                switch cell {
                case .text(let text):
                    failure = worksheet_write_string(worksheet, r, c, cellText(text), nil)
                    if column < widths.count { widths[column] = min(60, max(widths[column], text.count + 2)) }
                case .number(let number):
                    failure = worksheet_write_number(worksheet, r, c, number, nil)
                case .bool(let value):
                    failure = worksheet_write_boolean(worksheet, r, c, value ? 1 : 0, nil)
                case .empty:
                    continue
                }
                if failure != LXW_NO_ERROR { break rowLoop }
            }
        }
        for (column, width) in widths.enumerated() {
            _ = worksheet_set_column(worksheet, lxw_col_t(column), lxw_col_t(column), Double(width), nil)
        }
        worksheet_freeze_panes(worksheet, 1, 0)
        let closed = workbook_close(workbook)
        if cancelled { throw CancellationError() }
        if failure != LXW_NO_ERROR { throw XLSXError(message: "cannot write a cell: \(String(cString: lxw_strerror(failure)))") }
        if closed != LXW_NO_ERROR { throw XLSXError(message: "cannot write \(path): \(String(cString: lxw_strerror(closed)))") }
    }

    /// Text within Excel's cell limit, which libxlsxwriter counts in Unicode scalars (a CRLF is
    /// two, though Swift sees one character), with literal `_xHHHH_` sequences escaped.
    static func cellText(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > maximumCellText else { return escapingOOXMLSequences(text) }
        var cut = String.UnicodeScalarView(scalars.prefix(maximumCellText - 1))
        cut.append("…")
        return escapingOOXMLSequences(String(cut))
    }

    /// OOXML reads `_xHHHH_` in text as the character U+HHHH; libxlsxwriter writes control
    /// characters that way but leaves such text as it is. Its underscore is written `_x005F_`
    /// so that readers see the text itself.
    static func escapingOOXMLSequences(_ text: String) -> String {
        guard text.contains("_x") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for index in scalars.indices {
            if startsOOXMLEscape(scalars, at: index) {
                out.append(contentsOf: "_x005F_".unicodeScalars)
            } else {
                out.append(scalars[index])
            }
        }
        return String(out)
    }

    /// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not blank.
    static func sheetName(_ name: String) -> String {
        let cleaned = String(name.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(maximumSheetName))
        return cleaned.trimmingCharacters(in: .whitespaces).isEmpty ? "Sheet1" : cleaned
    }
}

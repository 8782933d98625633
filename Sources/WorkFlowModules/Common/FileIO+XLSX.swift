import Foundation
import WorkFlowEngine
import WorkFlowXLSX

/// XLSX for `common.FileIO`, shaped like the seed's pandas `read_excel(...).to_dict('records')`
/// and `DataFrame(data).to_excel(index=False)`: the first row that holds a value is the header,
/// each later row an object keyed by it.
///
/// Reading and writing run on a thread of their own (see ``DedicatedThread``), so that a large
/// workbook does not hold one of the cooperative pool's threads; both stop when the step is cancelled.
enum XLSXCodec {
    /// Rows × columns one read may produce; past this it fails rather than exhausting memory.
    static let maximumValues = 10_000_000
    /// Excel's limits.
    static let maximumRows = XLSXWriter.maximumRows
    static let maximumColumns = XLSXWriter.maximumColumns
    static let maximumCellText = XLSXWriter.maximumCellText
    static let defaultSheet = "Sheet1"

    // MARK: Reading

    /// The records of the chosen sheet (`sheet`: a name, a 0-based index, or absent for the
    /// first) and the sheet's name.
    static func read(_ bytes: [UInt8], sheet: JSONValue?) async throws -> (records: JSONValue, sheet: String) {
        let data = Data(bytes)
        return try await DedicatedThread.run { isCancelled in
            do {
                let workbook = try XLSXReader(data: data, isCancelled: isCancelled)
                let index = try sheetIndex(sheet, in: workbook.sheetNames)
                let rows = try workbook.rows(ofSheet: index)
                return (try records(from: rows, isCancelled: isCancelled), workbook.sheetNames[index])
            } catch let error as XLSXError {
                throw FileIOFailure(error.message)
            }
        }
    }

    private static func sheetIndex(_ sheet: JSONValue?, in names: [String]) throws(FileIOFailure) -> Int {
        guard !names.isEmpty else { throw FileIOFailure("the workbook has no sheets") }
        let listed = names.map { "'\($0)'" }.joined(separator: ", ")
        switch sheet {
        case nil:
            return 0
        case .string(let name)?:
            if let index = names.firstIndex(of: name) { return index }
            // Excel itself treats sheet names as case-insensitive.
            if let index = names.firstIndex(where: { $0.lowercased() == name.lowercased() }) { return index }
            throw FileIOFailure("params.sheet: the workbook has no sheet '\(name)'; its sheets are \(listed)")
        case let value?:
            guard let index = value.intValue, names.indices.contains(index) else {
                throw FileIOFailure(
                    "params.sheet: sheet index \(value) is out of range; the workbook has \(names.count) "
                        + "sheet\(names.count == 1 ? "" : "s") (0-based): \(listed)")
            }
            return index
        }
    }

    /// pandas' shape: blank rows skipped (a cell with empty text or an error value is blank),
    /// the first row the header, columns counted from A to the last one holding a value in any
    /// row. A blank header cell is `Unnamed: N` (N the 0-based column) and a repeated name gets
    /// `.1`, `.2`, ...; a cell without a value is null.
    static func records(from rows: [XLSXRow], isCancelled: () -> Bool) throws -> JSONValue {
        let filled = rows.compactMap { row -> [XLSXReadCell]? in
            let cells = row.cells.filter { !isBlank($0.value) }
            return cells.isEmpty ? nil : cells
        }
        guard let headerCells = filled.first else { return [] }
        let width = filled.map { ($0.map(\.column).max() ?? -1) + 1 }.max() ?? 0
        let values = (filled.count - 1) * width
        guard values <= maximumValues else {
            throw FileIOFailure(
                "the sheet has \(filled.count - 1) rows of \(width) columns, more than the \(maximumValues) values one read may return")
        }

        var names = (0..<width).map { "Unnamed: \($0)" }
        for cell in headerCells { names[cell.column] = headerName(cell.value) }
        names = deduplicated(names)

        var records: [JSONValue] = []
        records.reserveCapacity(filled.count - 1)
        for (index, cells) in filled.dropFirst().enumerated() {
            if index % 4096 == 0, isCancelled() { throw CancellationError() }
            var row = [JSONValue](repeating: .null, count: width)
            for cell in cells { row[cell.column] = json(cell.value) }
            var object = JSONObject(minimumCapacity: width)
            for (name, value) in zip(names, row) { object[name] = value }
            records.append(.object(object))
        }
        return .array(records)
    }

    private static func isBlank(_ value: XLSXValue) -> Bool {
        switch value {
        case .text(let text): text.isEmpty
        case .error: true
        case .number, .bool, .date: false
        }
    }

    /// A cell as JSON: whole numbers (within Int's range) as integers, other numbers as
    /// doubles, dates as their ISO text; error values (`#N/A`) are null, as pandas reads them.
    static func json(_ value: XLSXValue) -> JSONValue {
        switch value {
        case .text(let text): return text.isEmpty ? .null : .string(text)
        case .number(let number):
            if number == number.rounded(), abs(number) < 9.2e18 { return .int(Int(number)) }
            return .double(number)
        case .bool(let flag): return .bool(flag)
        case .date(let text): return .string(text)
        case .error: return .null
        }
    }

    /// A header cell as a key: text as it is, other values as the seed's JSON would key them.
    private static func headerName(_ value: XLSXValue) -> String {
        switch json(value) {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case let other: other.pythonRepr
        }
    }

    /// Repeated names made unique the way pandas does it: the second `a` becomes `a.1`, the
    /// third `a.2`, skipping names already taken.
    static func deduplicated(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { original in
            var name = original
            var count = seen[name, default: 0]
            while count > 0 {
                seen[name] = count + 1
                name = "\(name).\(count)"
                count = seen[name, default: 0]
            }
            seen[name] = count + 1
            return name
        }
    }

    // MARK: Writing

    /// The workbook bytes for `data` (a list of objects) in one sheet named `sheet`.
    static func write(_ data: JSONValue, sheet: String) async throws -> [UInt8] {
        try await DedicatedThread.run { isCancelled in
            let cells = try table(from: data, isCancelled: isCancelled)
            do {
                let bytes = try XLSXWriter.data(sheet: sheet, header: cells.header, rows: cells.rows, isCancelled: isCancelled)
                return [UInt8](bytes)
            } catch let error as XLSXError {
                throw FileIOFailure("cannot write the workbook: \(error.message)")
            }
        }
    }

    /// The sheet name to write: `sheet`, or `Sheet1` when absent. Excel takes 1 to 31
    /// characters, none of `[ ] : * ? / \`, not starting or ending with an apostrophe.
    static func sheetName(_ sheet: JSONValue?) throws(FileIOFailure) -> String {
        guard let sheet else { return defaultSheet }
        guard case .string(let name) = sheet else {
            throw FileIOFailure("params.sheet: expected a sheet name to write, got \(ParameterReader.describe(sheet))")
        }
        let length = name.unicodeScalars.count
        let valid =
            (1...XLSXWriter.maximumSheetName).contains(length) && !name.contains(where: { "[]:*?/\\".contains($0) })
            && !name.hasPrefix("'") && !name.hasSuffix("'")
        guard valid else {
            throw FileIOFailure(
                "params.sheet: \"\(name)\" is not a valid Excel sheet name (1 to 31 characters, none of [ ] : * ? / \\, "
                    + "not starting or ending with ')")
        }
        return name
    }

    /// The header (every key of every row, in first-seen order, as pandas builds a DataFrame)
    /// and the rows as cells, checked against Excel's limits.
    static func table(from data: JSONValue, isCancelled: () -> Bool) throws -> (header: [String], rows: [[XLSXCell]]) {
        guard case .array(let items) = data else {
            throw FileIOFailure("params.data: expected an array of objects (one per row) for XLSX, got \(ParameterReader.describe(data))")
        }
        guard items.count < maximumRows else {
            throw FileIOFailure(
                "params.data: \(items.count) rows do not fit in an Excel sheet (at most \(maximumRows - 1) under the header row)")
        }
        var objects: [JSONObject] = []
        objects.reserveCapacity(items.count)
        var columns: [String: Int] = [:]
        var header: [String] = []
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else {
                throw FileIOFailure("params.data[\(index)]: expected an object (one row), got \(ParameterReader.describe(item))")
            }
            for key in object.keys where columns[key] == nil {
                try checkText(key, at: "params.data[\(index)]: a key")
                columns[key] = header.count
                header.append(key)
            }
            objects.append(object)
        }
        guard header.count <= maximumColumns else {
            throw FileIOFailure(
                "params.data: the rows have \(header.count) different keys, but an Excel sheet holds at most \(maximumColumns) columns")
        }

        var rows: [[XLSXCell]] = []
        rows.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            if index % 4096 == 0, isCancelled() { throw CancellationError() }
            var row = [XLSXCell](repeating: .empty, count: header.count)
            for (key, value) in object {
                guard let column = columns[key] else { continue }
                row[column] = try cell(value, at: "params.data[\(index)].\(key)")
            }
            // Trailing empty cells write nothing; dropping them keeps short rows short.
            while row.last == .empty { row.removeLast() }
            rows.append(row)
        }
        return (header, rows)
    }

    /// A JSON value as a cell: integers and doubles as numbers (an integer a double cannot
    /// hold exactly, beyond ±2^53, as its digits in text, so that no digit is lost), booleans
    /// as booleans, text as text (never a formula), null as an empty cell, arrays and objects
    /// as compact JSON text.
    private static func cell(_ value: JSONValue, at field: String) throws(FileIOFailure) -> XLSXCell {
        switch value {
        case .null: return .empty
        case .bool(let flag): return .bool(flag)
        case .int(let number):
            let double = Double(number)
            return Int(exactly: double) == number ? .number(double) : .text(String(number))
        case .double(let number): return .number(number)
        case .string(let text):
            try checkText(text, at: field)
            return .text(text)
        case .array, .object:
            let text = JSONWriter.string(from: value)
            try checkText(text, at: field)
            return .text(text)
        }
    }

    private static func checkText(_ text: String, at field: String) throws(FileIOFailure) {
        // libxlsxwriter counts Unicode scalars against the limit.
        let length = text.unicodeScalars.count
        guard length <= maximumCellText else {
            throw FileIOFailure("\(field): the text has \(length) characters, but an Excel cell holds at most \(maximumCellText)")
        }
    }
}

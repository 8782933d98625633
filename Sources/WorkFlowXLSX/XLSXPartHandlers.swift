import Foundation

/// One relationship of a `.rels` part.
struct XLSXRelationship: Equatable {
    var id: String
    var type: String
    var target: String
    var external: Bool

    /// Whether the type URI names this kind (`worksheet`, `sharedStrings`), in the transitional
    /// or the strict OOXML namespace.
    func isKind(_ kind: String) -> Bool { type.hasSuffix("/" + kind) }
}

/// Reads a `.rels` part.
final class RelationshipsHandler: XLSXPartHandler {
    private(set) var relationships: [XLSXRelationship] = []

    func start(_ name: Substring, attributes: [String: String]) {
        guard name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
        relationships.append(
            XLSXRelationship(
                id: id, type: attributes["Type"] ?? "", target: target,
                external: attributes["TargetMode"]?.lowercased() == "external"))
    }
}

/// Reads `xl/workbook.xml`: the sheets in order and the date system.
final class WorkbookHandler: XLSXPartHandler {
    struct Sheet {
        var name: String
        var relationshipID: String
    }

    private(set) var sheets: [Sheet] = []
    private(set) var date1904 = false

    func start(_ name: Substring, attributes: [String: String]) {
        switch name {
        case "workbookPr":
            let value = attributes["date1904"]?.lowercased()
            date1904 = value == "1" || value == "true"
        case "sheet":
            sheets.append(Sheet(name: attributes["name"] ?? "", relationshipID: attributes.attribute("id") ?? ""))
        default:
            break
        }
    }
}

/// Reads `xl/sharedStrings.xml`: each `<si>` is one string, plain (`<t>`) or rich text (the
/// `<t>` of each `<r>` run, joined). Phonetic hints (`<rPh>`) are not part of the text.
final class SharedStringsHandler: XLSXPartHandler {
    private(set) var strings: [String] = []
    private var current: String?
    private var inText = false
    private var phoneticDepth = 0

    func start(_ name: Substring, attributes: [String: String]) {
        switch name {
        case "si": current = ""
        case "rPh": phoneticDepth += 1
        case "t": inText = current != nil && phoneticDepth == 0
        default: break
        }
    }

    func end(_ name: Substring) {
        switch name {
        case "si":
            strings.append(decodeOOXMLEscapes(current ?? ""))
            current = nil
        case "rPh": phoneticDepth = max(0, phoneticDepth - 1)
        case "t": inText = false
        default: break
        }
    }

    func text(_ text: String) {
        if inText { current?.append(text) }
    }
}

/// Reads `xl/styles.xml` for one thing: which cell formats (`cellXfs`, indexed by a cell's `s`)
/// show numbers as dates or times.
final class StylesHandler: XLSXPartHandler {
    private var customFormats: [Int: String] = [:]
    private var formatIDs: [Int] = []
    private var inCellFormats = false

    func start(_ name: Substring, attributes: [String: String]) {
        switch name {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), let code = attributes["formatCode"] {
                customFormats[id] = code
            }
        case "cellXfs":
            inCellFormats = true
        case "xf" where inCellFormats:
            formatIDs.append(attributes["numFmtId"].flatMap { Int($0) } ?? 0)
        default:
            break
        }
    }

    func end(_ name: Substring) {
        if name == "cellXfs" { inCellFormats = false }
    }

    /// The date kind of each cell format, by index.
    var dateKinds: [XLSXDateKind?] {
        formatIDs.map { id in
            if let code = customFormats[id] { return XLSXDateKind.ofFormatCode(code) }
            return XLSXDateKind.ofBuiltInFormat(id)
        }
    }
}

/// Reads a worksheet's `<sheetData>` into rows of typed cells.
final class WorksheetHandler: XLSXPartHandler {
    private let sharedStrings: [String]
    private let dateKinds: [XLSXDateKind?]
    private let date1904: Bool

    private(set) var rows: [XLSXRow] = []
    private var rowNumber = 0
    private var cells: [XLSXReadCell] = []
    private var nextColumn = 0

    private var inSheetData = false
    private var inCell = false
    private var column = 0
    private var type = "n"
    private var style = 0
    private var value: String?
    private var inlineText: String?
    private var capture = Capture.none
    private var phoneticDepth = 0

    private enum Capture { case none, value, inlineText }

    init(sharedStrings: [String], dateKinds: [XLSXDateKind?], date1904: Bool) {
        self.sharedStrings = sharedStrings
        self.dateKinds = dateKinds
        self.date1904 = date1904
    }

    func start(_ name: Substring, attributes: [String: String]) throws {
        switch name {
        case "sheetData":
            inSheetData = true
        case "row" where inSheetData:
            // Rows without `r` follow the one before.
            rowNumber = attributes["r"].flatMap { Int($0) } ?? rowNumber + 1
            cells = []
            nextColumn = 0
        case "c" where inSheetData:
            inCell = true
            if let reference = attributes["r"] {
                column = try Self.column(of: reference, row: rowNumber)
            } else {
                guard nextColumn < XLSXReader.maximumColumns else {
                    throw XLSXError(message: "row \(rowNumber) has more than \(XLSXReader.maximumColumns) cells")
                }
                column = nextColumn
            }
            nextColumn = column + 1
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap { Int($0) } ?? 0
            value = nil
            inlineText = nil
        case "v" where inCell:
            value = ""
            capture = .value
        case "is" where inCell:
            inlineText = ""
        case "rPh" where inCell:
            phoneticDepth += 1
        case "t" where inlineText != nil && phoneticDepth == 0:
            capture = .inlineText
        default:
            break
        }
    }

    func end(_ name: Substring) throws {
        switch name {
        case "sheetData":
            inSheetData = false
        case "row" where inSheetData:
            if !cells.isEmpty { rows.append(XLSXRow(number: rowNumber, cells: cells)) }
            cells = []
        case "c" where inCell:
            inCell = false
            if let cellValue = try resolvedValue() { cells.append(XLSXReadCell(column: column, value: cellValue)) }
        case "v", "t":
            capture = .none
        case "rPh":
            phoneticDepth = max(0, phoneticDepth - 1)
        default:
            break
        }
    }

    func text(_ text: String) {
        switch capture {
        case .none: break
        case .value: value?.append(text)
        case .inlineText: inlineText?.append(text)
        }
    }

    /// The cell's value by its type (`t`): shared string, inline string, formula text, boolean,
    /// error, ISO date, or (the default) a number that its style may show as a date.
    private func resolvedValue() throws -> XLSXValue? {
        switch type {
        case "s":
            guard let value else { return nil }
            guard let index = Int(value.trimmingCharacters(in: .whitespaces)), sharedStrings.indices.contains(index) else {
                throw XLSXError(
                    message: "cell \(reference) refers to shared string \(value), but the workbook has \(sharedStrings.count)")
            }
            return .text(sharedStrings[index])
        case "inlineStr":
            return (inlineText ?? value).map { .text(decodeOOXMLEscapes($0)) }
        case "str":
            return value.map { .text(decodeOOXMLEscapes($0)) }
        case "b":
            guard let value else { return nil }
            return .bool(value.trimmingCharacters(in: .whitespaces) == "1" || value.lowercased() == "true")
        case "e":
            return value.map { .error($0) }
        case "d":
            return value.map { .date($0.hasSuffix("Z") ? String($0.dropLast()) : $0) }
        default:
            guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let number = Double(text) else {
                throw XLSXError(message: "cell \(reference) holds \"\(text.prefix(40))\", which is not a number")
            }
            if dateKinds.indices.contains(style), let kind = dateKinds[style],
                let iso = kind.isoText(serial: number, date1904: date1904)
            {
                return .date(iso)
            }
            return .number(number)
        }
    }

    private var reference: String { XLSXReader.columnName(column) + String(rowNumber) }

    /// The 0-based column of a reference such as `AB12`.
    static func column(of reference: String, row: Int) throws -> Int {
        var column = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            let value = scalar.value
            let letter: UInt32
            switch value {
            case 65...90: letter = value - 64
            case 97...122: letter = value - 96
            case 36: continue  // `$`
            default:
                guard letters > 0 else {
                    throw XLSXError(message: "row \(row) has a cell reference \"\(reference.prefix(20))\" without a column")
                }
                return column - 1
            }
            letters += 1
            column = column * 26 + Int(letter)
            guard column <= XLSXReader.maximumColumns else {
                throw XLSXError(
                    message: "the cell reference \"\(reference.prefix(20))\" is beyond Excel's last column, XFD")
            }
        }
        guard letters > 0 else {
            throw XLSXError(message: "row \(row) has a cell reference \"\(reference.prefix(20))\" without a column")
        }
        return column - 1
    }
}

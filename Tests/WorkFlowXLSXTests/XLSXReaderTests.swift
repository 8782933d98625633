import Foundation
import Testing
import ZIPFoundation

@testable import WorkFlowXLSX

/// Workbooks put together part by part, to reach the layouts other writers use.
private func package(_ parts: [(String, String)]) throws -> Data {
    let archive = try Archive(accessMode: .create)
    for (path, text) in parts {
        let data = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
            position, size in data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    return try #require(archive.data)
}

private let main = #"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#
private let relationshipsNamespace = #"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#
private let relationshipType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

/// A workbook with one sheet (`xl/worksheets/sheet1.xml` holding `sheetData`), optional shared
/// strings and styles, and no package relationships (readers fall back to `xl/workbook.xml`).
private func workbook(sheetData: String, sharedStrings: String? = nil, styles: String? = nil, date1904: Bool = false) throws -> Data {
    var parts = [
        (
            "xl/workbook.xml",
            "<workbook \(main) \(relationshipsNamespace)><workbookPr date1904=\"\(date1904 ? 1 : 0)\"/>"
                + "<sheets><sheet name=\"Only\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                + "<Relationship Id=\"rId1\" Type=\"\(relationshipType)worksheet\" Target=\"./worksheets/../worksheets/sheet1.xml\"/>"
                + "</Relationships>"
        ),
        ("xl/worksheets/sheet1.xml", "<worksheet \(main)><sheetData>\(sheetData)</sheetData></worksheet>"),
    ]
    if let sharedStrings { parts.append(("xl/sharedStrings.xml", "<sst \(main)>\(sharedStrings)</sst>")) }
    if let styles { parts.append(("xl/styles.xml", "<styleSheet \(main)>\(styles)</styleSheet>")) }
    return try package(parts)
}

private func cells(_ data: Data) throws -> [[XLSXValue?]] {
    let rows = try XLSXReader(data: data).rows(ofSheet: 0)
    return rows.map { row in
        var values = [XLSXValue?](repeating: nil, count: (row.cells.map(\.column).max() ?? -1) + 1)
        for cell in row.cells { values[cell.column] = cell.value }
        return values
    }
}

@Suite("XLSX reader")
struct XLSXReaderTests {
    @Test("shared strings (rich text runs joined, phonetic hints left out), inline strings, formula text, booleans, errors, ISO dates")
    func cellTypes() throws {
        let data = try workbook(
            sheetData: """
                <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><r><t>in</t></r><r><t xml:space="preserve">line </t></r></is></c>\
                <c r="D1" t="str"><f>A1&amp;"!"</f><v>plain!</v></c><c r="E1" t="b"><v>1</v></c><c r="F1" t="b"><v>0</v></c>\
                <c r="G1" t="e"><v>#N/A</v></c><c r="H1" t="d"><v>2024-03-01T13:45:00Z</v></c><c r="I1" t="s"><v>2</v></c></row>
                """,
            sharedStrings: """
                <si><t>plain</t></si><si><r><rPr><b/></rPr><t>ri</t></r><r><t>ch</t></r><rPh sb="0" eb="1"><t>ルビ</t></rPh></si>\
                <si><t>a_x000D_b _x005F_x0041_</t></si>
                """)
        #expect(
            try cells(data) == [
                [
                    .text("plain"), .text("rich"), .text("inline "), .text("plain!"), .bool(true), .bool(false), .error("#N/A"),
                    .date("2024-03-01T13:45:00"), .text("a\rb _x0041_"),
                ]
            ])
    }

    @Test("cells and rows without r follow the one before; gaps stay gaps; empty rows and valueless cells give nothing")
    func positions() throws {
        let data = try workbook(
            sheetData: """
                <row><c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c></row>\
                <row r="3"/><row><c r="B4"/><c r="C4"><v>1E3</v></c></row>
                """)
        let rows = try XLSXReader(data: data).rows(ofSheet: 0)
        #expect(rows.map(\.number) == [1, 4])
        #expect(rows[0].cells.map(\.column) == [0, 1, 4, 5])
        #expect(rows[1].cells == [XLSXReadCell(column: 2, value: .number(1000))])
    }

    @Test("namespace prefixes on elements do not matter")
    func prefixedElements() throws {
        let sheet = #"<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>"#
            + #"<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>hi</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"#
        let data = try package([
            (
                "_rels/.rels",
                #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
                    + #"<Relationship Id="r" Type="\#(relationshipType)officeDocument" Target="/book/main.xml"/></Relationships>"#
            ),
            (
                "book/main.xml",
                #"<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \#(relationshipsNamespace)>"#
                    + #"<x:sheets><x:sheet name="First" r:id="s1"/><x:sheet name="Second" r:id="s2"/></x:sheets></x:workbook>"#
            ),
            (
                "book/_rels/main.xml.rels",
                #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
                    + #"<Relationship Id="s1" Type="\#(relationshipType)worksheet" Target="/book/one.xml"/>"#
                    + #"<Relationship Id="s2" Type="\#(relationshipType)chartsheet" Target="two.xml"/></Relationships>"#
            ),
            ("book/one.xml", sheet),
        ])
        let reader = try XLSXReader(data: data)
        #expect(reader.sheetNames == ["First", "Second"])
        #expect(try reader.rows(ofSheet: 0) == [XLSXRow(number: 1, cells: [XLSXReadCell(column: 0, value: .text("hi"))])])
        #expect(throws: XLSXError.self) { try reader.rows(ofSheet: 1) }
    }

    @Test("number formats decide dates: built-in ids and custom codes, with the 1900 and 1904 date systems")
    func dates() throws {
        let styles = """
            <numFmts><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="0.00E+00"/>\
            <numFmt numFmtId="166" formatCode="[h]:mm:ss"/></numFmts>\
            <cellStyleXfs><xf numFmtId="14"/></cellStyleXfs>\
            <cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="21"/><xf numFmtId="164"/><xf numFmtId="165"/>\
            <xf numFmtId="166"/><xf numFmtId="10"/></cellXfs>
            """
        let row = """
            <row r="1"><c r="A1"><v>45352</v></c><c r="B1" s="1"><v>45352</v></c><c r="C1" s="2"><v>45352.5729166667</v></c>\
            <c r="D1" s="3"><v>0.5729166666666666</v></c><c r="E1" s="4"><v>45352.25</v></c><c r="F1" s="5"><v>45352</v></c>\
            <c r="G1" s="6"><v>1.5</v></c><c r="H1" s="7"><v>0.5</v></c><c r="I1" s="1"><v>-1</v></c></row>
            """
        #expect(
            try cells(workbook(sheetData: row, styles: styles)) == [
                [
                    .number(45352), .date("2024-03-01"), .date("2024-03-01T13:45:00"), .date("13:45:00"), .date("2024-03-01T06:00:00"),
                    .number(45352), .date("1900-01-01T12:00:00"), .number(0.5), .number(-1),
                ]
            ])
        let old = try cells(workbook(sheetData: #"<row r="1"><c r="A1" s="1"><v>43890</v></c></row>"#, styles: styles, date1904: true))
        #expect(old == [[.date("2024-03-01")]])
    }

    @Test("format codes: tokens in quotes, escapes and brackets do not count; m is a minute beside h or s", arguments: [
        ("yyyy-mm-dd", XLSXDateKind.date), ("d-mmm-yy", .date), ("mmm yyyy", .date), ("dd/mm/yyyy hh:mm", .dateTime),
        ("h:mm AM/PM", .time), ("mm:ss", .time), ("[h]:mm", .time), ("[mm]:ss", .time), ("hh:mm:ss.000", .time),
        (#"[$-409]dddd, mmmm d, yyyy"#, .date), (#"[Red]0.00;"d""#, nil), (#"0 "days""#, nil), (#"\d0"#, nil), ("General", nil),
        ("0.00E+00", nil), ("#,##0.00 [$€-407]", nil), ("@", nil), ("_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)", nil),
    ] as [(String, XLSXDateKind?)])
    func formatCodes(code: String, kind: XLSXDateKind?) {
        #expect(XLSXDateKind.ofFormatCode(code) == kind)
    }

    @Test("serial numbers become ISO text, to the millisecond, with Excel's phantom 29 February 1900")
    func serials() {
        #expect(XLSXDateKind.date.isoText(serial: 1, date1904: false) == "1900-01-01")
        #expect(XLSXDateKind.date.isoText(serial: 59, date1904: false) == "1900-02-28")
        #expect(XLSXDateKind.date.isoText(serial: 61, date1904: false) == "1900-03-01")
        #expect(XLSXDateKind.date.isoText(serial: 2_958_465, date1904: false) == "9999-12-31")
        #expect(XLSXDateKind.date.isoText(serial: 2_958_466, date1904: false) == nil)
        #expect(XLSXDateKind.date.isoText(serial: 0, date1904: true) == "1904-01-01")
        #expect(XLSXDateKind.dateTime.isoText(serial: 45352, date1904: false) == "2024-03-01T00:00:00")
        #expect(XLSXDateKind.time.isoText(serial: 0.5 + 0.25 / 86_400, date1904: false) == "12:00:00.250")
        #expect(XLSXDateKind.time.isoText(serial: 0.999_999_999_9, date1904: false) == "1900-01-01T00:00:00", "rounds to the next day")
        #expect(XLSXDateKind.date.isoText(serial: 36_585, date1904: false) == "2000-02-29")
    }

    @Test("column names and references up to XFD")
    func columns() throws {
        #expect([0, 25, 26, 701, 702, 16_383].map(XLSXReader.columnName) == ["A", "Z", "AA", "ZZ", "AAA", "XFD"])
        #expect(try WorksheetHandler.column(of: "XFD1", row: 1) == 16_383)
        #expect(try WorksheetHandler.column(of: "$b$7", row: 7) == 1)
        #expect(throws: XLSXError.self) { try WorksheetHandler.column(of: "XFE1", row: 1) }
        #expect(throws: XLSXError.self) { try WorksheetHandler.column(of: "12", row: 1) }
    }

    @Test("relationship targets resolve relative to their part or from the root")
    func targets() {
        #expect(XLSXReader.resolve("worksheets/sheet1.xml", from: "xl/workbook.xml") == "xl/worksheets/sheet1.xml")
        #expect(XLSXReader.resolve("/xl/worksheets/sheet1.xml", from: "xl/workbook.xml") == "xl/worksheets/sheet1.xml")
        #expect(XLSXReader.resolve("../other/s%201.xml", from: "xl/workbook.xml") == "other/s 1.xml")
        #expect(XLSXReader.resolve("xl/workbook.xml", from: "") == "xl/workbook.xml")
    }

    @Test("a part that unpacks beyond the limit is refused (a ZIP bomb)")
    func zipBomb() throws {
        let zeros = "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>" + String(repeating: " ", count: 1 << 20)
        let data = try workbook(sheetData: zeros)
        #expect(data.count < 100_000)
        let reader = try XLSXReader(data: data, limits: XLSXReader.Limits(maximumPartSize: 512 << 10))
        let error = try #require(throws: XLSXError.self) { try reader.rows(ofSheet: 0) }
        #expect(error.message == "the workbook part xl/worksheets/sheet1.xml unpacks to more than 512 KiB; refusing it (a damaged file or a ZIP bomb?)")
    }

    @Test("a part of more than 10 MB reads to its end (Linux's XMLParser fails on such data handed over whole)")
    func largePart() throws {
        let padded = #"<row r="1"><c><v>1</v></c></row>"# + String(repeating: " ", count: 12_000_000) + #"<row r="2"><c><v>2</v></c></row>"#
        let rows = try XLSXReader(data: try workbook(sheetData: padded)).rows(ofSheet: 0)
        #expect(rows.map(\.number) == [1, 2])
    }

    @Test("damaged or foreign files fail with what is wrong")
    func damaged() throws {
        func message(_ data: Data) -> String? {
            do {
                let reader = try XLSXReader(data: data)
                _ = try reader.rows(ofSheet: 0)
                return nil
            } catch {
                return (error as? XLSXError)?.message
            }
        }
        #expect(message(Data("PK nonsense".utf8))?.hasPrefix("this is not a readable XLSX file: the ZIP archive is damaged") == true)
        #expect(message(try package([("mimetype", "application/vnd.oasis.opendocument.spreadsheet")])) == "this is an OpenDocument file (.ods), not an XLSX workbook")
        #expect(message(try package([("hello.txt", "hi")])) == "this ZIP archive is not an XLSX workbook: it has no xl/workbook.xml")
        #expect(message(try workbook(sheetData: "<row><c t=\"s\"><v>3</v></c></row>")) == "cell A1 refers to shared string 3, but the workbook has 0")
        #expect(message(try workbook(sheetData: "<row><c><v>abc</v></c></row>")) == "cell A1 holds \"abc\", which is not a number")
        let broken = message(try workbook(sheetData: "<row><c><v>1</v></row>"))
        #expect(broken?.hasPrefix("the workbook part xl/worksheets/sheet1.xml is not valid XML") == true, "\(broken ?? "no error")")
        let doctype = try package([("xl/workbook.xml", "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><workbook \(main)/>")])
        #expect(message(doctype) == "the workbook part xl/workbook.xml declares a document type, which XLSX parts never do")
    }

    @Test("reading stops with CancellationError when cancelled")
    func cancelled() throws {
        let rows = String(repeating: "<row><c><v>1</v></c></row>", count: 10_000)
        let data = try workbook(sheetData: rows)
        #expect(throws: CancellationError.self) { try XLSXReader(data: data, isCancelled: { true }).rows(ofSheet: 0) }
    }

    @Test("what the writer writes, the reader reads: booleans as booleans, text never as a formula")
    func writtenByUs() throws {
        let data = try XLSXWriter.data(
            sheet: "Mixed", header: ["n", "b", "t"], rows: [[.number(1.5), .bool(true), .text("=1+1")], [.empty, .bool(false)]])
        let reader = try XLSXReader(data: data)
        #expect(reader.sheetNames == ["Mixed"])
        #expect(
            try reader.rows(ofSheet: 0).map { $0.cells.map(\.value) } == [
                [.text("n"), .text("b"), .text("t")], [.number(1.5), .bool(true), .text("=1+1")], [.bool(false)],
            ])
    }
}

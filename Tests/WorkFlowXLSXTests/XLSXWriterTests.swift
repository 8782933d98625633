import Foundation
import Testing
import ZIPFoundation

@testable import WorkFlowXLSX

@Suite("XLSX writer")
struct XLSXWriterTests {
    /// The text of one part of the workbook (an .xlsx is a ZIP of XML parts).
    static func part(_ name: String, of data: Data) throws -> String {
        let archive = try Archive(data: data, accessMode: .read)
        let entry = try #require(archive[name], "the workbook has no \(name)")
        var bytes = Data()
        _ = try archive.extract(entry) { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a workbook holds the header, text as text (never a formula), numbers as numbers, and empty cells")
    func writes() throws {
        let data = try XLSXWriter.data(
            sheet: "Runs", header: ["id", "name", "note"],
            rows: [[.number(7), .text("=SUM(A1:A2)"), .empty], [.number(2.5), .text("ü & <b>"), .text("x")]])
        #expect(data.starts(with: [0x50, 0x4B]), "a ZIP file")
        let strings = try Self.part("xl/sharedStrings.xml", of: data)
        #expect(strings.contains("<t>=SUM(A1:A2)</t>"))
        #expect(strings.contains("ü &amp; &lt;b&gt;"))
        #expect(strings.contains("<t>name</t>"))
        let sheet = try Self.part("xl/worksheets/sheet1.xml", of: data)
        #expect(sheet.contains(#"<c r="A2"><v>7</v></c>"#))
        #expect(sheet.contains(#"<c r="A3"><v>2.5</v></c>"#))
        #expect(!sheet.contains("<f>"), "no formulas")
        #expect(!sheet.contains(#"r="C2""#), "an empty cell is not written")
        #expect(sheet.contains(#"<pane ySplit="1""#), "the header stays in view")
        let workbook = try Self.part("xl/workbook.xml", of: data)
        #expect(workbook.contains(#"<sheet name="Runs""#))
    }

    @Test("sheet names and long texts are fitted to Excel's limits")
    func limits() throws {
        #expect(XLSXWriter.sheetName("a/b:c*d?[e]") == "a_b_c_d__e_")
        #expect(XLSXWriter.sheetName(String(repeating: "x", count: 40)).count == 31)
        #expect(XLSXWriter.sheetName("  ") == "Sheet1")
        let long = String(repeating: "y", count: 40_000)
        #expect(XLSXWriter.cellText(long).count == XLSXWriter.maximumCellText)
        let lines = String(repeating: "ab\r\n", count: 20_000)
        #expect(XLSXWriter.cellText(lines).unicodeScalars.count == XLSXWriter.maximumCellText, "CRLF counts as two")
        _ = try XLSXWriter.data(sheet: "s", header: ["t"], rows: [[.text(lines)]])
        let data = try XLSXWriter.data(sheet: "s", header: ["t"], rows: [[.text(long)]])
        #expect(try Self.part("xl/sharedStrings.xml", of: data).contains("…"))
    }

    @Test("a path that cannot be written is an error, not a crash")
    func unwritable() {
        #expect(throws: XLSXError.self) {
            try XLSXWriter.write(to: "/nonexistent-folder/x.xlsx", sheet: "s", header: ["a"], rows: [])
        }
    }
}

import Foundation
import Testing
import WorkFlowEngine

@testable import WorkFlowModules

#if canImport(Glibc)
import Glibc
#endif

private func fileIO(_ method: String, _ params: JSONObject) async throws -> ModuleOutput {
    try await FileIOModule().call(method, params: params, context: .standalone())
}

private let failedRead: JSONValue = ["status": false, "data": []]
private let failedWrite: JSONValue = ["status": false]
private let wrote = ModuleOutput.success(["status": true])

private func rows(_ data: JSONValue) -> ModuleOutput {
    .success(["status": true, "data": data])
}

/// A workbook another tool wrote, from `Fixtures/` (see its README).
private func fixture(_ name: String) -> JSONValue {
    .string(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path)
}

@Suite("common.FileIO XLSX")
struct FileIOXLSXTests {
    @Test("a round trip keeps ints, big ints, doubles, negatives, booleans, unicode, empty cells, long text and nested JSON")
    func roundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let longText = String(repeating: "é", count: 32_766) + "!"
        let data: JSONValue = [
            ["id": 1, "name": "Ada", "amount": 1234.5, "ok": true, "note": "=SUM(A1:A2)", "nested": [1, ["a": "b"]]],
            ["id": -42, "name": "北京 Zoë 😀", "amount": -0.25, "ok": false, "note": nil, "nested": ["k": nil]],
            ["id": 9_007_199_254_740_992, "name": " padded \n two lines ", "amount": 1e-10, "ok": nil, "note": .string(longText)],
            ["id": 1_152_921_504_606_846_976, "name": "_x0041_ stays \u{1}", "amount": 1.5e300, "extra": "only here"],
            ["id": 9_007_199_254_740_993, "name": "", "amount": 3.0],
        ]
        let path = JSONValue.string(scratch.path("mixed.xlsx"))
        #expect(try await fileIO("write", ["file_path": path, "data": data]) == wrote)
        #expect(try scratch.bytes("mixed.xlsx").starts(with: [0x50, 0x4B]))

        let expected: JSONValue = [
            ["id": 1, "name": "Ada", "amount": 1234.5, "ok": true, "note": "=SUM(A1:A2)", "nested": "[1,{\"a\":\"b\"}]", "extra": nil],
            ["id": -42, "name": "北京 Zoë 😀", "amount": -0.25, "ok": false, "note": nil, "nested": "{\"k\":null}", "extra": nil],
            [
                "id": 9_007_199_254_740_992, "name": " padded \n two lines ", "amount": 1e-10, "ok": nil, "note": .string(longText),
                "nested": nil, "extra": nil,
            ],
            [
                "id": 1_152_921_504_606_846_976, "name": "_x0041_ stays \u{1}", "amount": 1.5e300, "ok": nil, "note": nil, "nested": nil,
                "extra": "only here",
            ],
            // 2^53 + 1 has no exact double: it is written as its digits; "" is an empty cell; 3.0 is whole.
            ["id": "9007199254740993", "name": nil, "amount": 3, "ok": nil, "note": nil, "nested": nil, "extra": nil],
        ]
        let out = try await fileIO("read", ["file_path": path])
        let records = try #require(out.result["data"]?.arrayValue)
        let expectedRecords = try #require(expected.arrayValue)
        #expect(records.count == expectedRecords.count)
        for (index, (record, wanted)) in zip(records, expectedRecords).enumerated() {
            #expect(record == wanted, "row \(index)")
        }
    }

    @Test("write names the sheet, read finds it by name (exact, then ignoring case), by index, or takes the first")
    func sheetByName() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = JSONValue.string(scratch.path("named.xlsx"))
        let data: JSONValue = [["k": "v"]]
        #expect(try await fileIO("write", ["file_path": path, "data": data, "sheet": "Résumé 2024"]) == wrote)
        #expect(try await fileIO("read", ["file_path": path, "sheet": "Résumé 2024"]) == rows(data))
        #expect(try await fileIO("read", ["file_path": path, "sheet": "résumé 2024"]) == rows(data))
        #expect(try await fileIO("read", ["file_path": path, "sheet": 0]) == rows(data))
        #expect(try await fileIO("read", ["file_path": path]) == rows(data))
        #expect(
            try await fileIO("read", ["file_path": path, "sheet": "Sheet1"])
                == .failure(failedRead, error: "params.sheet: the workbook has no sheet 'Sheet1'; its sheets are 'Résumé 2024'"))
        #expect(
            try await fileIO("read", ["file_path": path, "sheet": 1])
                == .failure(failedRead, error: "params.sheet: sheet index 1 is out of range; the workbook has 1 sheet (0-based): 'Résumé 2024'"))

        let plain = JSONValue.string(scratch.path("plain.xlsx"))
        #expect(try await fileIO("write", ["file_path": plain, "data": data]) == wrote)
        #expect(try await fileIO("read", ["file_path": plain, "sheet": "Sheet1"]) == rows(data))
    }

    @Test("a sheet name Excel refuses fails naming params.sheet and writes nothing", arguments: [
        "a/b", "what?", "[x]", "", String(repeating: "s", count: 32), "'quoted'",
    ])
    func badSheetName(name: String) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = try await fileIO("write", ["file_path": .string(scratch.path("bad.xlsx")), "data": [["a": 1]], "sheet": .string(name)])
        #expect(out.result == failedWrite)
        #expect(out.error?.hasPrefix("params.sheet: \"\(name)\" is not a valid Excel sheet name (1 to 31 characters") == true)
        #expect(try scratch.files() == [])
    }

    @Test("a sheet index cannot name a sheet to write")
    func sheetIndexOnWrite() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = try await fileIO("write", ["file_path": .string(scratch.path("bad.xlsx")), "data": [["a": 1]], "sheet": 2])
        #expect(out == .failure(failedWrite, error: "params.sheet: expected a sheet name to write, got number 2"))
    }

    @Test("write refuses data that is not a list of objects, naming the row, and text beyond Excel's cell limit")
    func badData() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("keep", to: "old.xlsx")
        let path = JSONValue.string(scratch.path("old.xlsx"))
        #expect(
            try await fileIO("write", ["file_path": path, "data": [["a": 1], ["a": 2], ["a": 3], 4]])
                == .failure(failedWrite, error: "params.data[3]: expected an object (one row), got number 4"))
        #expect(
            try await fileIO("write", ["file_path": path, "data": ["a": 1]])
                == .failure(failedWrite, error: "params.data: expected an array of objects (one per row) for XLSX, got an object"))
        #expect(
            try await fileIO("write", ["file_path": path, "data": "text"])
                == .failure(failedWrite, error: "params.data: expected an array of objects (one per row) for XLSX, got string \"text\""))
        let tooLong = JSONValue.string(String(repeating: "x", count: 32_768))
        #expect(
            try await fileIO("write", ["file_path": path, "data": [["a": 1], ["note": tooLong]]])
                == .failure(
                    failedWrite, error: "params.data[1].note: the text has 32768 characters, but an Excel cell holds at most 32767"))
        #expect(try scratch.text("old.xlsx") == "keep", "a failed write leaves the old file")
        #expect(try scratch.files() == ["old.xlsx"])
    }

    @Test("empty data writes an empty sheet, which reads as no rows; so does a header-only sheet")
    func emptyData() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = JSONValue.string(scratch.path("empty.xlsx"))
        #expect(try await fileIO("write", ["file_path": path, "data": []]) == wrote)
        #expect(try await fileIO("read", ["file_path": path]) == rows([]))
        #expect(try await fileIO("write", ["file_path": path, "data": [[:], [:]]]) == wrote)
        #expect(try await fileIO("read", ["file_path": path]) == rows([]))
    }

    @Test("a LibreOffice workbook: numbers, percentages, dates, date-times, times, booleans, formulas, an empty cell, a blank row")
    func libreOfficeFixture() async throws {
        let people = try await fileIO("read", ["file_path": fixture("libreoffice.xlsx")])
        #expect(
            people
                == rows([
                    [
                        "id": 1, "name": "Ada Lovelace", "amount": 1234.5, "share": 0.125, "joined": "2024-03-01",
                        "updated": "2024-03-01T13:45:00", "alarm": "13:45:00", "active": true, "note": "first & <best>", "double": 2469,
                    ],
                    [
                        "id": 2, "name": "Zoë 北京", "amount": -7, "share": 1, "joined": "1999-12-31", "updated": "2000-01-01T00:00:30",
                        "alarm": "00:00:01", "active": false, "note": nil, "double": -14,
                    ],
                    [
                        "id": 3, "name": "=not a formula", "amount": 0.1, "share": nil, "joined": nil, "updated": nil, "alarm": nil,
                        "active": nil, "note": nil, "double": nil,
                    ],
                ]))
        let totals: JSONValue = [["key": "people", "value": 3], ["key": "label", "value": "n=3"]]
        #expect(try await fileIO("read", ["file_path": fixture("libreoffice.xlsx"), "sheet": "Totals"]) == rows(totals))
        #expect(try await fileIO("read", ["file_path": fixture("libreoffice.xlsx"), "sheet": 1]) == rows(totals))
    }

    @Test("an openpyxl workbook: 1904 dates, inline strings, Unnamed and .1 header names like pandas, gaps, errors as null")
    func openpyxlFixture() async throws {
        let data = try await fileIO("read", ["file_path": fixture("openpyxl.xlsx"), "sheet": "Data"])
        #expect(
            data
                == rows([
                    ["name": "alpha", "when": "2024-03-01T13:45:00", "Unnamed: 2": "x", "name.1": "dup", "count": 10, "Unnamed: 5": nil],
                    ["name": "beta", "when": "2024-02-29", "Unnamed: 2": nil, "name.1": nil, "count": 2.5, "Unnamed: 5": nil],
                    ["name": "gamma", "when": "07:05:09", "Unnamed: 2": "y", "name.1": "z", "count": -3, "Unnamed: 5": "extra"],
                    ["name": "delta", "when": nil, "Unnamed: 2": nil, "name.1": nil, "count": nil, "Unnamed: 5": nil],
                ]))
        #expect(try await fileIO("read", ["file_path": fixture("openpyxl.xlsx"), "sheet": "Empty"]) == rows([]))
        #expect(
            try await fileIO("read", ["file_path": fixture("openpyxl.xlsx"), "sheet": "Missing"])
                == .failure(failedRead, error: "params.sheet: the workbook has no sheet 'Missing'; its sheets are 'Data', 'Empty'"))
    }

    @Test("a file that is not a workbook, or is missing, fails clearly")
    func notAWorkbook() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("a,b\n1,2\n", to: "text.xlsx")
        try scratch.write([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], to: "old.xlsx")
        #expect(
            try await fileIO("read", ["file_path": .string(scratch.path("text.xlsx"))])
                == .failure(failedRead, error: "this is not an XLSX file (an XLSX file is a ZIP archive)"))
        #expect(
            try await fileIO("read", ["file_path": .string(scratch.path("old.xlsx"))])
                == .failure(
                    failedRead, error: "this is an old binary .xls workbook or an encrypted .xlsx, not an XLSX (Office Open XML) file"))
        let missing = scratch.path("missing.xlsx")
        #expect(try await fileIO("read", ["file_path": .string(missing)]) == .failure(failedRead, error: "file '\(missing)' does not exist"))
        let csv = try await fileIO("read", ["file_path": .string(scratch.path("text.xlsx")), "format": "csv"])
        #expect(csv == rows([["a": "1", "b": "2"]]), "an explicit format wins over .xlsx")
    }

    @Test("header names are made unique the way pandas does it")
    func deduplicatedNames() {
        #expect(XLSXCodec.deduplicated(["a", "a", "b", "a"]) == ["a", "a.1", "b", "a.2"])
        #expect(XLSXCodec.deduplicated(["a", "a.1", "a"]) == ["a", "a.1", "a.1.1"])
        #expect(XLSXCodec.deduplicated(["a.1", "a", "a"]) == ["a.1", "a", "a.1.1"])
    }

    @Test("work on the dedicated thread stops when the awaiting task is cancelled")
    func cancellation() async throws {
        let task = Task {
            try await DedicatedThread.run { isCancelled in
                while !isCancelled() { sched_yield() }
                throw CancellationError()
            }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

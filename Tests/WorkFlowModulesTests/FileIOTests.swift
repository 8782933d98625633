import Foundation
import Testing
import WorkFlowEngine

@testable import WorkFlowModules

#if canImport(Glibc)
import Glibc
#endif

/// A folder of its own for one test, removed by the test when it ends.
struct Scratch {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fileio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder + "/" + name }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
    }

    func write(_ text: String, to name: String) throws {
        try write(Array(text.utf8), to: name)
    }

    func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func permissions(_ name: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

private func call(_ method: String, _ params: JSONObject, context: StepContext = .standalone()) async throws -> ModuleOutput {
    try await FileIOModule().call(method, params: params, context: context)
}

private let readFailed: JSONValue = ["status": false, "data": []]
private let writeFailed: JSONValue = ["status": false]
private let written = ModuleOutput.success(["status": true])

private func readOK(_ data: JSONValue) -> ModuleOutput {
    .success(["status": true, "data": data])
}

@Suite("common.FileIO")
struct FileIOTests {
    // MARK: CSV

    @Test("CSV round trip keeps quotes, commas, line breaks and unicode, written as Python's csv writes them")
    func csvRoundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let rows: JSONValue = [
            ["name": "Alice, A.", "quote": "say \"hi\"", "note": "line1\nline2", "city": "北京"],
            ["name": "Bob", "quote": "", "note": " padded ", "city": "Zürich"],
        ]
        let path = scratch.path("people.csv")

        #expect(try await call("write", ["file_path": .string(path), "data": rows]) == written)
        #expect(
            try scratch.text("people.csv")
                == "name,quote,note,city\r\n\"Alice, A.\",\"say \"\"hi\"\"\",\"line1\nline2\",北京\r\nBob,, padded ,Zürich\r\n")
        #expect(try await call("read", ["file_path": .string(path)]) == readOK(rows))
    }

    @Test("CSV write formats values like Python's str, writes null and missing keys as empty")
    func csvWriteValues() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let rows: JSONValue = [
            ["a": 1, "b": true, "c": 1.5, "d": nil, "e": ["x": [1, "y"]]],
            ["a": "only a"],
            ["e": ""],
        ]
        let path = scratch.path("values.csv")
        #expect(try await call("write", ["file_path": .string(path), "data": rows]) == written)
        #expect(try scratch.text("values.csv") == "a,b,c,d,e\r\n1,True,1.5,,\"{'x': [1, 'y']}\"\r\nonly a,,,,\r\n,,,,\r\n")
    }

    @Test("a CSV record of one empty field is quoted, as Python does, and reads back")
    func csvSingleEmptyField() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path("one.csv")
        let rows: JSONValue = [["v": ""], ["v": "x"]]
        #expect(try await call("write", ["file_path": .string(path), "data": rows]) == written)
        #expect(try scratch.text("one.csv") == "v\r\n\"\"\r\nx\r\n")
        #expect(try await call("read", ["file_path": .string(path)]) == readOK(rows))
    }

    @Test("a header-only or empty CSV file reads as no rows")
    func csvHeaderOnly() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("a,b,c\r\n", to: "header.csv")
        try scratch.write("", to: "empty.csv")
        #expect(try await call("read", ["file_path": .string(scratch.path("header.csv"))]) == readOK([]))
        #expect(try await call("read", ["file_path": .string(scratch.path("empty.csv"))]) == readOK([]))
    }

    @Test("short CSV rows get null for missing fields; extra fields are dropped with a warning naming the row")
    func csvShortAndExtraRows() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("a,b,c\n1,2\n1,2,3,4\n", to: "ragged.csv")
        let context = StepContext.standalone()
        let out = try await call("read", ["file_path": .string(scratch.path("ragged.csv"))], context: context)
        #expect(out == readOK([["a": "1", "b": "2", "c": nil], ["a": "1", "b": "2", "c": "3"]]))
        let warnings = context.logger.lines.filter { $0.level == .warning }.map(\.message)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("CSV row 2 (line 3) has 4 fields but the header has 3") == true)
    }

    @Test("CSV reading follows Python: CRLF or LF, blank lines skipped, whitespace-only lines kept, quoted CRLF read as LF")
    func csvParsingDetails() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("k,v\r\n\r\n\"multi\r\nline\",\"a \"\"q\"\"\"\r\n \r\n\"ab\"c,d\n\"open", to: "details.csv")
        let out = try await call("read", ["file_path": .string(scratch.path("details.csv"))])
        #expect(
            out
                == readOK([
                    ["k": "multi\nline", "v": "a \"q\""],
                    ["k": " ", "v": nil],
                    ["k": "abc", "v": "d"],
                    ["k": "open", "v": nil],
                ]))
    }

    @Test("CSV records and their lines", arguments: [
        ("a,b\n", [["a", "b"]]),
        ("a,\n", [["a", ""]]),
        (",\n", [["", ""]]),
        ("\"\"\n", [[""]]),
        ("x\"y,z", [["x\"y", "z"]]),
        ("\n\n", []),
    ] as [(String, [[String]])])
    func csvRecords(text: String, expected: [[String]]) {
        #expect(CSVCodec.records(in: text).map(\.fields) == expected)
    }

    @Test("a CSV row with a key that is not in the header fails naming the row and key")
    func csvUnknownKey() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path("bad.csv")
        let out = try await call("write", ["file_path": .string(path), "data": [["a": 1], ["a": 2, "x": 3, "y": 4]]])
        #expect(out.result == writeFailed)
        #expect(out.error == "data[1] has field(s) not in the CSV header: 'x', 'y' (the header is the keys of data[0]: a)")
        #expect(try scratch.files() == [])
    }

    @Test("CSV write refuses empty data and data that is not a list of objects")
    func csvBadData() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = JSONValue.string(scratch.path("bad.csv"))
        let empty = try await call("write", ["file_path": path, "data": []])
        #expect(empty == .failure(writeFailed, error: "data is empty: a CSV file needs at least one row"))
        let object = try await call("write", ["file_path": path, "data": ["a": 1]])
        #expect(object == .failure(writeFailed, error: "CSV data must be an array of objects, got an object"))
        let strings = try await call("write", ["file_path": path, "data": ["a", "b"]])
        #expect(strings == .failure(writeFailed, error: "CSV data must be an array of objects, but data[0] is string \"a\""))
        let mixed = try await call("write", ["file_path": path, "data": [["a": 1], 2]])
        #expect(mixed == .failure(writeFailed, error: "CSV data must be an array of objects, but data[1] is number 2"))
        #expect(try scratch.files() == [])
    }

    // MARK: Formats

    @Test("the format follows the lower-cased file extension", arguments: [
        ("data.csv", "a,b\n1,2\n", [["a": "1", "b": "2"]] as JSONValue),
        ("DATA.CSV", "a\n1\n", [["a": "1"]]),
        ("data.json", "{\"a\": 1}", [["a": 1]]),
        ("data.yaml", "a: 1\n", [["a": 1]]),
        ("data.YML", "- 1\n- x\n", [1, "x"]),
        ("notes.txt", "a: 1\n", "a: 1\n"),
        ("app.log", "a: 1\n", "a: 1\n"),
        ("README.md", "# Title\n", "# Title\n"),
        ("app.conf", "k=v", "k=v"),
        ("app.ini", "[s]\nk=v", "[s]\nk=v"),
        ("app.Cfg", "k=v", "k=v"),
    ] as [(String, String, JSONValue)])
    func extensionDetection(name: String, content: String, expected: JSONValue) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write(content, to: name)
        #expect(try await call("read", ["file_path": .string(scratch.path(name))]) == readOK(expected))
    }

    @Test("extensions are found as os.path.splitext finds them", arguments: [
        ("a.csv", ".csv"), ("dir/a.tar.gz", ".gz"), (".bashrc", ""), ("dir.d/file", ""), ("noext", ""), ("..a.b", ".b"),
    ])
    func pathExtension(path: String, ext: String) {
        #expect(FileFormat.pathExtension(path) == ext)
    }

    @Test("an explicit format wins over the extension; an empty one means detect")
    func explicitFormat() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("{\"a\": [1, 2]}", to: "data.txt")
        let path = JSONValue.string(scratch.path("data.txt"))
        #expect(try await call("read", ["file_path": path, "format": "json"]) == readOK([["a": [1, 2]]]))
        #expect(try await call("read", ["file_path": path, "format": ""]) == readOK("{\"a\": [1, 2]}"))
        #expect(try await call("read", ["file_path": path, "format": nil]) == readOK("{\"a\": [1, 2]}"))

        let out = scratch.path("rows.dat")
        #expect(try await call("write", ["file_path": .string(out), "data": [["k": "v"]], "format": "csv"]) == written)
        #expect(try scratch.text("rows.dat") == "k\r\nv\r\n")
    }

    @Test("an unsupported extension or format fails, saying what is supported")
    func unsupportedFormat() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("<a/>", to: "data.xml")
        let path = JSONValue.string(scratch.path("data.xml"))
        let supported =
            "(supported: .csv, .json, .yaml, .yml, .txt, .log, .md, .conf, .ini, .cfg, .xlsx; or set format to csv, json, yaml, txt or xlsx)"

        #expect(try await call("read", ["file_path": path]) == .failure(readFailed, error: "Unsupported file extension: .xml \(supported)"))
        #expect(
            try await call("read", ["file_path": .string(scratch.path("Makefile"))])
                == .failure(readFailed, error: "Unsupported file extension: none \(supported)"))
        #expect(
            try await call("read", ["file_path": path, "format": "xml"])
                == .failure(readFailed, error: "unsupported format 'xml' (use csv, json, yaml, txt or xlsx)"))
        #expect(
            try await call("write", ["file_path": path, "data": "x"])
                == .failure(writeFailed, error: "Unsupported file extension: .xml \(supported)"))
        #expect(
            try await call("write", ["file_path": path, "data": "x", "format": "CSV"])
                == .failure(writeFailed, error: "unsupported format 'CSV' (use csv, json, yaml, txt or xlsx)"))
        #expect(try scratch.text("data.xml") == "<a/>")
    }

    // MARK: JSON

    @Test("JSON: a top-level object is wrapped in a list, other values are kept, key order too")
    func jsonRead() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("{\"b\": 1, \"a\": [1, 2.5, \"x\", null, true]}", to: "object.json")
        try scratch.write("[{\"z\": 1}, {\"y\": 2}]", to: "list.json")
        try scratch.write("42", to: "scalar.json")
        #expect(
            try await call("read", ["file_path": .string(scratch.path("object.json"))])
                == readOK([["b": 1, "a": [1, 2.5, "x", nil, true]]]))
        #expect(try await call("read", ["file_path": .string(scratch.path("list.json"))]) == readOK([["z": 1], ["y": 2]]))
        #expect(try await call("read", ["file_path": .string(scratch.path("scalar.json"))]) == readOK(42))
    }

    @Test("invalid JSON fails with the line and column")
    func jsonSyntaxError() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("{\n  \"a\": 1,\n  \"b\" 2\n}", to: "bad.json")
        let path = scratch.path("bad.json")
        let out = try await call("read", ["file_path": .string(path)])
        #expect(out.result == readFailed)
        let error = try #require(out.error)
        #expect(error.hasPrefix("invalid JSON in '\(path)': line 3, column 7"))
    }

    @Test("JSON is written indented by 2 with non-ASCII kept and no final newline")
    func jsonWrite() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let data: JSONValue = [["名": "值", "n": 1, "f": 1.5, "b": true, "z": nil, "e": [], "o": [:]]]
        let path = scratch.path("out.json")
        #expect(try await call("write", ["file_path": .string(path), "data": data]) == written)
        #expect(
            try scratch.text("out.json") == """
                [
                  {
                    "名": "值",
                    "n": 1,
                    "f": 1.5,
                    "b": true,
                    "z": null,
                    "e": [],
                    "o": {}
                  }
                ]
                """)
        #expect(try await call("read", ["file_path": .string(path)]) == readOK(data))
    }

    // MARK: YAML

    @Test("YAML reads like PyYAML's safe_load: mapping wrapped, key order kept, YAML 1.1 types")
    func yamlRead() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write(
            """
            zeta: 1
            alpha: 007
            hex: 0x1F
            big: 1_000
            float: 1.5
            exp: 1.0e+3
            notfloat: 1e5
            yes_: yes
            off_: Off
            quoted: 'yes'
            nothing: ~
            empty:
            date: 2024-01-02
            sexagesimal: 1:30
            list: [a, "b", 3]
            text: |
              line one
              line two
            nested:
              - k: v
            """, to: "config.yaml")
        let out = try await call("read", ["file_path": .string(scratch.path("config.yaml"))])
        #expect(
            out
                == readOK([
                    [
                        "zeta": 1, "alpha": 7, "hex": 31, "big": 1000, "float": 1.5, "exp": 1000.0, "notfloat": "1e5",
                        "yes_": true, "off_": false, "quoted": "yes", "nothing": nil, "empty": nil, "date": "2024-01-02",
                        "sexagesimal": 90, "list": ["a", "b", 3], "text": "line one\nline two\n", "nested": [["k": "v"]],
                    ]
                ]))
    }

    @Test("YAML: an empty file is null, a list stays a list, merge keys expand as in PyYAML")
    func yamlShapes() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("", to: "empty.yaml")
        try scratch.write("# only a comment\n", to: "comment.yml")
        try scratch.write("- 1\n- two\n", to: "list.yml")
        try scratch.write("base: &b {x: 1, y: 2}\nother: &o {y: 9, z: 3}\nm:\n  <<: [*b, *o]\n  w: 0\n", to: "merge.yaml")
        #expect(try await call("read", ["file_path": .string(scratch.path("empty.yaml"))]) == readOK(nil))
        #expect(try await call("read", ["file_path": .string(scratch.path("comment.yml"))]) == readOK(nil))
        #expect(try await call("read", ["file_path": .string(scratch.path("list.yml"))]) == readOK([1, "two"]))
        #expect(
            try await call("read", ["file_path": .string(scratch.path("merge.yaml"))])
                == readOK([["base": ["x": 1, "y": 2], "other": ["y": 9, "z": 3], "m": ["y": 2, "z": 3, "x": 1, "w": 0]]]))
    }

    @Test("plain YAML scalars are typed by YAML 1.1 rules", arguments: [
        ("yes", true), ("NO", false), ("on", true), ("y", "y"), ("007", 7), ("09", "09"), ("0o17", "0o17"),
        ("0b101", 5), ("-0x10", -16), ("+12", 12), ("190:20:30", 685230), ("1.", 1.0), (".5", 0.5), ("-.5", "-.5"),
        ("1_000.5", 1000.5), ("1e5", "1e5"), ("1.0e+5", 100000.0), ("1:30.5", 90.5), ("-.inf", .double(-.infinity)),
        ("~", nil), ("Null", nil), ("", nil), ("nullx", "nullx"), ("2024-01-02", "2024-01-02"),
        ("99999999999999999999", 1e20),
    ] as [(String, JSONValue)])
    func yamlScalars(text: String, expected: JSONValue) {
        #expect(YAML11Scalar.resolve(text) == expected)
    }

    @Test("YAML write then read gives back the same data, tricky strings included")
    func yamlRoundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tricky: [String] = [
            "yes", "No", "on", "007", "09", "1.0", "1e5", "0x1F", "null", "~", "", " lead", "trail ", "multi\nline\n",
            "a: b", "- x", "#hash", "2024-01-02", "中文", "tab\there", "true", "<<", "=", "@at", "`bt", "%p",
            "it's", "q\"d", "win\r\nline", "1:30", ".inf", "[x]", "{y}", "*star", "&amp", "!bang", "|pipe", ">gt",
            "x #not comment", String(repeating: "long words ", count: 20),
        ]
        var object = JSONObject()
        for (i, s) in tricky.enumerated() { object["k\(i)"] = .string(s) }
        for s in tricky where !s.isEmpty { object[s] = "as key" }
        let data: JSONValue = [
            .object(object),
            ["ints": [0, -3, 42], "doubles": [1.0, 1e20, -0.5, 1e-5], "flags": [true, false], "none": nil],
            ["empty list": [], "empty object": [:], "nested": [[["deep": ["a", ["b": nil]]]]]],
        ]
        let path = scratch.path("round.yaml")
        #expect(try await call("write", ["file_path": .string(path), "data": data]) == written)
        #expect(try await call("read", ["file_path": .string(path)]) == readOK(data))
    }

    @Test("YAML is written in block style with unicode kept and ambiguous strings quoted")
    func yamlWriteText() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let data: JSONValue = [["name": "张三", "tags": ["a", "b"], "flag": "yes", "code": "007", "n": 1, "f": 1e20, "x": nil]]
        let path = scratch.path("out.yml")
        #expect(try await call("write", ["file_path": .string(path), "data": data]) == written)
        #expect(
            try scratch.text("out.yml") == """
                - name: 张三
                  tags:
                  - a
                  - b
                  flag: 'yes'
                  code: '007'
                  n: 1
                  f: 1.0e+20
                  x: null

                """)
    }

    @Test("invalid YAML fails with the line and column")
    func yamlSyntaxError() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("a: 1\nb: [1, 2\n", to: "bad.yaml")
        let path = scratch.path("bad.yaml")
        let out = try await call("read", ["file_path": .string(path)])
        #expect(out.result == readFailed)
        let error = try #require(out.error)
        #expect(error.hasPrefix("invalid YAML in '\(path)': line 3, column 1"))
    }

    @Test("YAML that expands through aliases beyond the limit fails instead of exhausting memory")
    func yamlAliasBomb() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...7 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        try scratch.write(text, to: "bomb.yaml")
        let out = try await call("read", ["file_path": .string(scratch.path("bomb.yaml"))])
        #expect(out.result == readFailed)
        #expect(out.error?.contains("expands to more than") == true)
    }

    @Test("deeply nested YAML fails cleanly")
    func yamlDeepNesting() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write(String(repeating: "[", count: 600) + String(repeating: "]", count: 600), to: "deep.yaml")
        try scratch.write(String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000), to: "deeper.yaml")
        let deep = try await call("read", ["file_path": .string(scratch.path("deep.yaml"))])
        #expect(deep.result == readFailed)
        #expect(deep.error?.hasSuffix("the YAML document nests deeper than 512 levels") == true)
        // libyaml stops even earlier than our converter could.
        let deeper = try await call("read", ["file_path": .string(scratch.path("deeper.yaml"))])
        #expect(deeper.result == readFailed)
        #expect(deeper.error?.contains("Maximum nesting level reached") == true)
    }

    @Test("YAML tags that safe_load has no constructor for are refused")
    func yamlUnknownTag() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("a: !!python/object:os.system ls\nb: !!str 12\n", to: "tag.yaml")
        try scratch.write("b: !!str 12\nc: !!int '7'\n", to: "ok.yaml")
        let out = try await call("read", ["file_path": .string(scratch.path("tag.yaml"))])
        #expect(out.result == readFailed)
        #expect(out.error?.contains("unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system' at line 1") == true)
        #expect(try await call("read", ["file_path": .string(scratch.path("ok.yaml"))]) == readOK([["b": "12", "c": 7]]))
    }

    // MARK: TXT

    @Test("TXT reads the whole text with line breaks as \\n and writes strings as they are")
    func txtString() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("one\r\ntwo\rthree\n", to: "in.txt")
        #expect(try await call("read", ["file_path": .string(scratch.path("in.txt"))]) == readOK("one\ntwo\nthree\n"))

        let path = scratch.path("out.txt")
        #expect(try await call("write", ["file_path": .string(path), "data": "héllo\nworld"]) == written)
        #expect(try scratch.bytes("out.txt") == Array("héllo\nworld".utf8))
        #expect(try await call("read", ["file_path": .string(path)]) == readOK("héllo\nworld"))
    }

    @Test("TXT writes a list one item per line as Python's str, with no final newline; other values as str")
    func txtList() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path("list.log")
        #expect(try await call("write", ["file_path": .string(path), "data": ["a", 1, true, nil, 1.5, ["k": "v"]]]) == written)
        #expect(try scratch.text("list.log") == "a\n1\nTrue\nNone\n1.5\n{'k': 'v'}")
        #expect(try await call("write", ["file_path": .string(path), "data": ["k": [1, "x"]]]) == written)
        #expect(try scratch.text("list.log") == "{'k': [1, 'x']}")
        #expect(try await call("write", ["file_path": .string(path), "data": []]) == written)
        #expect(try scratch.text("list.log") == "")
    }

    // MARK: Encodings

    @Test("GBK bytes D6 D0 CE C4 read as 中文 and 中文 writes as those bytes")
    func gbk() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write([0xD6, 0xD0, 0xCE, 0xC4], to: "gbk.txt")
        #expect(try await call("read", ["file_path": .string(scratch.path("gbk.txt")), "encoding": "gbk"]) == readOK("中文"))
        #expect(try await call("read", ["file_path": .string(scratch.path("gbk.txt")), "encoding": "CP936"]) == readOK("中文"))
        #expect(try await call("read", ["file_path": .string(scratch.path("gbk.txt")), "encoding": "gb18030"]) == readOK("中文"))

        try scratch.write([0x61, 0x0D, 0x0A, 0xD6, 0xD0, 0xCE, 0xC4, 0x0D, 0x0A], to: "gbk.csv")
        #expect(try await call("read", ["file_path": .string(scratch.path("gbk.csv")), "encoding": "gbk"]) == readOK([["a": "中文"]]))

        let out = scratch.path("out.txt")
        #expect(try await call("write", ["file_path": .string(out), "data": "中文", "encoding": "gbk"]) == written)
        #expect(try scratch.bytes("out.txt") == [0xD6, 0xD0, 0xCE, 0xC4])
    }

    @Test("Latin-1 reads and writes single bytes; characters it lacks fail naming the character")
    func latin1() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write([0x63, 0x61, 0x66, 0xE9], to: "in.txt")
        #expect(try await call("read", ["file_path": .string(scratch.path("in.txt")), "encoding": "latin-1"]) == readOK("café"))

        let path = scratch.path("out.txt")
        #expect(try await call("write", ["file_path": .string(path), "data": "café", "encoding": "latin1"]) == written)
        #expect(try scratch.bytes("out.txt") == [0x63, 0x61, 0x66, 0xE9])

        let out = try await call("write", ["file_path": .string(path), "data": "price: 5€", "encoding": "iso-8859-1"])
        #expect(
            out == .failure(
                writeFailed,
                error: "cannot write '\(path)': character '€' (U+20AC) at position 8 cannot be encoded as iso-8859-1"))
        #expect(try scratch.bytes("out.txt") == [0x63, 0x61, 0x66, 0xE9])
    }

    @Test("UTF-16 writes a BOM and reads it back; utf-8-sig writes a BOM; a UTF-8 BOM is skipped on read")
    func byteOrderMarks() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let wide = scratch.path("wide.txt")
        #expect(try await call("write", ["file_path": .string(wide), "data": "hi", "encoding": "utf-16"]) == written)
        #expect(try scratch.bytes("wide.txt") == [0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00])
        #expect(try await call("read", ["file_path": .string(wide), "encoding": "UTF_16"]) == readOK("hi"))

        let sig = scratch.path("sig.csv")
        #expect(try await call("write", ["file_path": .string(sig), "data": [["a": "1"]], "encoding": "utf-8-sig"]) == written)
        #expect(try scratch.bytes("sig.csv") == [0xEF, 0xBB, 0xBF] + Array("a\r\n1\r\n".utf8))
        #expect(try await call("read", ["file_path": .string(sig)]) == readOK([["a": "1"]]))
    }

    @Test("bytes that are invalid in the encoding fail naming the encoding and offset")
    func invalidBytes() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write([0x61, 0x62, 0xFF, 0x63], to: "bad.txt")
        try scratch.write([0x61, 0xD6], to: "cut.txt")
        let bad = scratch.path("bad.txt")
        let cut = scratch.path("cut.txt")
        #expect(
            try await call("read", ["file_path": .string(bad)])
                == .failure(readFailed, error: "cannot read '\(bad)': the bytes are not valid utf-8: byte 0xFF at offset 2"))
        #expect(
            try await call("read", ["file_path": .string(bad), "encoding": "gbk"])
                == .failure(readFailed, error: "cannot read '\(bad)': the bytes are not valid gbk: byte 0xFF at offset 2"))
        #expect(
            try await call("read", ["file_path": .string(cut), "encoding": "gbk"])
                == .failure(
                    readFailed,
                    error: "cannot read '\(cut)': the bytes are not valid gbk: incomplete character at offset 1, at the end of the data"))
    }

    @Test("an unknown encoding fails for read and write without touching the file")
    func unknownEncoding() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("x", to: "a.txt")
        let path = JSONValue.string(scratch.path("a.txt"))
        #expect(
            try await call("read", ["file_path": path, "encoding": "klingon"])
                == .failure(readFailed, error: "unknown encoding 'klingon'"))
        #expect(
            try await call("read", ["file_path": path, "encoding": "utf-8//IGNORE"])
                == .failure(readFailed, error: "unknown encoding 'utf-8//IGNORE'"))
        #expect(
            try await call("write", ["file_path": path, "data": "y", "encoding": ""])
                == .failure(writeFailed, error: "unknown encoding ''"))
        #expect(try scratch.text("a.txt") == "x")
    }

    // MARK: Files and folders

    @Test("a missing file or a directory fails with a clear message")
    func missingFileAndDirectory() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let missing = scratch.path("nope.csv")
        #expect(try await call("read", ["file_path": .string(missing)]) == .failure(readFailed, error: "file '\(missing)' does not exist"))
        let inFile = scratch.path("nope.csv/x.csv")
        #expect(try await call("read", ["file_path": .string(inFile)]) == .failure(readFailed, error: "file '\(inFile)' does not exist"))

        try FileManager.default.createDirectory(atPath: scratch.path("dir.txt"), withIntermediateDirectories: false)
        let dir = scratch.path("dir.txt")
        #expect(try await call("read", ["file_path": .string(dir)]) == .failure(readFailed, error: "'\(dir)' is a directory"))
        #expect(try await call("write", ["file_path": .string(dir), "data": "x"]) == .failure(writeFailed, error: "'\(dir)' is a directory"))
    }

    @Test("write does not create a missing parent folder")
    func missingParentFolder() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let folder = scratch.path("sub/deeper")
        let out = try await call("write", ["file_path": .string(folder + "/out.json"), "data": [1]])
        #expect(out == .failure(writeFailed, error: "folder '\(folder)' does not exist; create it first"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("sub")))
    }

    @Test("a failed write leaves the old content and no temporary file")
    func atomicWrite() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("old,content\r\n", to: "keep.csv")
        let path = JSONValue.string(scratch.path("keep.csv"))

        let badRow = try await call("write", ["file_path": path, "data": [["a": 1], ["b": 2]]])
        #expect(badRow.result == writeFailed)
        let badChar = try await call("write", ["file_path": path, "data": [["a": "😀"]], "encoding": "gbk"])
        #expect(badChar.result == writeFailed)
        #expect(badChar.error?.contains("character '😀' (U+1F600) at position 3 cannot be encoded as gbk") == true)

        #expect(try scratch.text("keep.csv") == "old,content\r\n")
        #expect(try scratch.files() == ["keep.csv"])
    }

    @Test("a new file gets 0644; overwriting keeps the old permission bits; a symlink is written through")
    func permissionsAndLinks() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(try await call("write", ["file_path": .string(scratch.path("new.txt")), "data": "a"]) == written)
        #expect(try scratch.permissions("new.txt") == 0o644)

        try scratch.write("old", to: "private.txt")
        #expect(chmod(scratch.path("private.txt"), 0o600) == 0)
        #expect(try await call("write", ["file_path": .string(scratch.path("private.txt")), "data": "new"]) == written)
        #expect(try scratch.text("private.txt") == "new")
        #expect(try scratch.permissions("private.txt") == 0o600)

        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.txt"), withDestinationPath: scratch.path("new.txt"))
        #expect(try await call("write", ["file_path": .string(scratch.path("link.txt")), "data": "via link"]) == written)
        #expect(try scratch.text("new.txt") == "via link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("link.txt")) == scratch.path("new.txt"))
        #expect(try scratch.files() == ["link.txt", "new.txt", "private.txt"])
    }

    @Test("a missing folder in a relative path is named as given")
    func relativeFolderMessage() async throws {
        let out = try await call("write", ["file_path": .string("no-such-folder-\(UUID().uuidString)/x.txt"), "data": "x"])
        #expect(out.result == writeFailed)
        #expect(out.error?.hasPrefix("folder 'no-such-folder-") == true)
        #expect(out.error?.hasSuffix("' does not exist; create it first") == true)
    }

    @Test("reading without permission fails clearly", .enabled(if: geteuid() != 0, "root reads every file"))
    func permissionDenied() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("secret", to: "locked.txt")
        #expect(chmod(scratch.path("locked.txt"), 0o000) == 0)
        let path = scratch.path("locked.txt")
        #expect(try await call("read", ["file_path": .string(path)]) == .failure(readFailed, error: "permission denied reading '\(path)'"))
    }

    // MARK: Parameters and descriptor

    @Test("missing or mistyped parameters throw ParameterError naming the parameter, as the seed raised")
    func parameterErrors() async throws {
        await #expect(throws: ParameterError(path: "file_path", message: "is required")) {
            try await call("read", [:])
        }
        await #expect(throws: ParameterError(path: "file_path", message: "is required")) {
            try await call("write", ["data": "x"])
        }
        await #expect(throws: ParameterError(path: "data", message: "is required")) {
            try await call("write", ["file_path": "/tmp/x.txt"])
        }
        await #expect(throws: ParameterError(path: "data", message: "expected a string, an array or an object, got number 5")) {
            try await call("write", ["file_path": "/tmp/x.txt", "data": 5])
        }
        await #expect(throws: ParameterError(path: "data", message: "expected a string, an array or an object, got null")) {
            try await call("write", ["file_path": "/tmp/x.txt", "data": nil])
        }
        await #expect(throws: ParameterError(path: "file_path", message: "expected a string, got number 3")) {
            try await call("read", ["file_path": 3])
        }
        await #expect(throws: ParameterError(path: "sheet", message: "expected a sheet name or index, got boolean true")) {
            try await call("read", ["file_path": "/tmp/x.xlsx", "sheet": true])
        }
    }

    @Test("an unknown method throws UnknownMethodError")
    func unknownMethod() async throws {
        await #expect(throws: UnknownMethodError.self) {
            try await call("append", ["file_path": "/tmp/x.txt"])
        }
    }

    @Test("the descriptor documents both methods and every parameter")
    func descriptor() throws {
        let descriptor = FileIOModule().descriptor
        #expect(descriptor.name == "common.FileIO")
        #expect(descriptor.methods.map(\.name) == ["read", "write"])
        let read = try #require(descriptor.method(named: "read"))
        #expect(read.parameters.map(\.name) == ["file_path", "format", "encoding", "sheet"])
        #expect(read.parameter(named: "file_path")?.required == true)
        #expect(read.parameter(named: "encoding")?.defaultValue == "utf-8")
        let write = try #require(descriptor.method(named: "write"))
        #expect(write.parameters.map(\.name) == ["file_path", "data", "format", "encoding", "sheet"])
        #expect(write.parameters.filter(\.required).map(\.name) == ["file_path", "data"])
        #expect(write.parameter(named: "sheet")?.defaultValue == "Sheet1")
        #expect(write.parameter(named: "sheet")?.doc.contains("XLSX only") == true)
        #expect(read.parameter(named: "sheet")?.types == [.string, .integer])
        #expect(read.parameters.allSatisfy { !$0.doc.isEmpty } && write.parameters.allSatisfy { !$0.doc.isEmpty })
    }
}

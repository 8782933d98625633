import Foundation
import Testing
import WorkFlowEngine

/// Parses strict JSON, recording an issue (and returning nil) when it throws.
private func strict(_ text: String) -> JSONValue? {
    do {
        return try JSONParser.parse(text)
    } catch {
        Issue.record("unexpected parse error: \(error)")
        return nil
    }
}

private func json5(_ text: String) -> JSONValue? {
    do {
        return try JSONParser(allowsJSON5: true).parse(text)
    } catch {
        Issue.record("unexpected parse error: \(error)")
        return nil
    }
}

/// The error a parse throws, or nil when it succeeds.
private func parseError(_ text: String, json5: Bool = false) -> JSONParseError? {
    do {
        _ = try JSONParser(allowsJSON5: json5).parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("strict JSON reads every kind of value")
    func values() {
        #expect(strict(#"{"a": [1, -2.5, true, false, null, "x"], "b": {}}"#) == ["a": [1, -2.5, true, false, nil, "x"], "b": [:]])
        #expect(strict("  42 \n") == 42)
        #expect(strict(#""text""#) == "text")
        #expect(strict("[]") == [])
    }

    @Test("object keys keep the order they were written in")
    func keyOrder() throws {
        let value = try #require(strict(#"{"zeta": 1, "alpha": 2, "mid": 3}"#))
        #expect(value.objectValue.map { Array($0.keys) } == ["zeta", "alpha", "mid"])
        #expect(JSONWriter.string(from: value) == #"{"zeta":1,"alpha":2,"mid":3}"#)
    }

    @Test("a repeated key keeps its first position and its last value, as Python's json does")
    func duplicateKeys() throws {
        let value = try #require(strict(#"{"a": 1, "b": 2, "a": 3}"#))
        #expect(JSONWriter.string(from: value) == #"{"a":3,"b":2}"#)
    }

    @Test("integers stay integers and numbers with a fraction or exponent are doubles")
    func numberKinds() {
        #expect(strict("1") == .int(1))
        #expect(strict("-0") == .int(0))
        #expect(strict("1.0") == .double(1.0))
        #expect(strict("1e2") == .double(100))
        #expect(strict("2.5E-1") == .double(0.25))
        #expect(strict("9223372036854775807") == .int(Int.max))
        // Too large for Int: read as a double rather than failing.
        #expect(strict("92233720368547758080") == .double(9.223372036854775808e19))
    }

    @Test("escapes, unicode escapes and surrogate pairs decode")
    func escapes() {
        #expect(strict(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{08}\u{0C}"))
        #expect(strict(#""caf\u00e9 \u4e2d""#) == "café 中")
        #expect(strict(#""\ud83d\ude00""#) == "😀")
        #expect(strict(#""héllo 😀""#) == "héllo 😀")
    }

    @Test(
        "strict JSON rejects bad input with the line, column and reason",
        arguments: [
            ("", "line 1, column 1: the document is empty"),
            ("{", "line 1, column 2: unterminated object: expected '}'"),
            ("[1, 2", "line 1, column 6: unterminated array: expected ']'"),
            ("[1 2]", "line 1, column 4: expected ',' or ']' in array, found '2'"),
            (#"{"a" 1}"#, "line 1, column 6: expected ':' after key \"a\", found '1'"),
            (#"{"a": 1 "b": 2}"#, "line 1, column 9: expected ',' or '}' in object, found '\"'"),
            ("[tru]", "line 1, column 2: unexpected 't'; expected a value"),
            ("1 2", "line 1, column 3: unexpected '2' after the end of the value"),
            (#""abc"#, "line 1, column 1: unterminated string"),
            ("\"a\u{01}\"", "line 1, column 3: control character in string; escape it as \\u0001"),
            (#""\x41""#, "line 1, column 2: invalid escape '\\x' in string"),
            (#""\ud83d""#, "line 1, column 8: lone Unicode surrogate \\ud83d"),
            (#""\ud83d\u0041""#, "line 1, column 14: invalid Unicode surrogate pair"),
            (#""\u12G4""#, "line 1, column 6: invalid hex digit in \\u escape"),
            ("01", "line 1, column 1: invalid number: leading zeros are not allowed"),
            ("-", "line 1, column 2: invalid number: expected a digit"),
            ("1.", "line 1, column 3: invalid number: expected a digit after '.'"),
            ("1e", "line 1, column 3: invalid number: expected a digit in the exponent"),
            ("{\n  \"a\": 1,\n  \"b\": ?\n}", "line 3, column 8: unexpected '?'; expected a value"),
        ])
    func strictErrors(text: String, message: String) {
        #expect(parseError(text)?.description == message)
    }

    @Test(
        "strict JSON rejects every JSON5 extension",
        arguments: [
            ("// note\n1", "line 1, column 1: unexpected '/'; expected a value"),
            ("[1, /* two */ 2]", "line 1, column 5: unexpected '/'; expected a value"),
            ("[1, 2,]", "line 1, column 7: unexpected ']'; expected a value"),
            (#"{"a": 1,}"#, "line 1, column 9: expected a quoted key, found '}'"),
            ("'single'", "line 1, column 1: unexpected '''; expected a value"),
            ("{a: 1}", "line 1, column 2: expected a quoted key, found 'a'"),
            ("0x1F", "line 1, column 2: unexpected 'x' after the end of the value"),
            ("Infinity", "line 1, column 1: unexpected 'I'; expected a value"),
            ("NaN", "line 1, column 1: unexpected 'N'; expected a value"),
            ("+1", "line 1, column 1: unexpected '+'; expected a value"),
            (".5", "line 1, column 1: unexpected '.'; expected a value"),
        ])
    func strictRejectsJSON5(text: String, message: String) {
        #expect(parseError(text)?.description == message)
    }

    @Test("JSON5 accepts comments, trailing commas, single quotes, unquoted keys, hex and Infinity")
    func json5Extensions() throws {
        let text = """
            // the seed's etc/global.json is JSON5
            {
              log: {level: 'INFO', /* inline */ dir: "logs",},
              $port_2: 0x1F,
              neg: -0x10,
              big: Infinity,
              small: -Infinity,
              plus: +3,
              half: .5,
              whole: 5.,
              quote: 'it\\'s "fine"',
              list: [1, 2,],
            }
            """
        let value = try #require(json5(text))
        #expect(
            value == [
                "log": ["level": "INFO", "dir": "logs"], "$port_2": 31, "neg": -16, "big": .double(.infinity),
                "small": .double(-.infinity), "plus": 3, "half": 0.5, "whole": 5.0, "quote": #"it's "fine""#, "list": [1, 2],
            ])
    }

    @Test("JSON5 NaN reads as a double NaN")
    func json5NaN() throws {
        let value = try #require(json5("NaN"))
        guard case .double(let d) = value else {
            Issue.record("expected a double, got \(value)")
            return
        }
        #expect(d.isNaN)
    }

    @Test(
        "JSON5 still rejects what it does not allow",
        arguments: [
            ("[,]", "line 1, column 2: unexpected ','; expected a value"),
            ("{,}", "line 1, column 2: expected a quoted key, found ','"),
            ("/* open", "line 1, column 1: unterminated comment"),
            ("'a\nb'", "line 1, column 3: unescaped line break in string"),
            ("0x", "line 1, column 1: expected hex digits after 0x"),
        ])
    func json5Errors(text: String, message: String) {
        #expect(parseError(text, json5: true)?.description == message)
    }

    @Test("nesting up to 512 levels is read; one more is an error")
    func depthLimit() {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(parseError(deep) == nil)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(parseError(tooDeep)?.description == "line 1, column 513: the document nests deeper than 512 levels")
    }

    @Test("columns count characters, not bytes")
    func columnsCountCharacters() {
        #expect(parseError(#"["é", ?]"#)?.description == "line 1, column 7: unexpected '?'; expected a value")
    }

    @Test("a UTF-8 byte order mark is skipped; Data that is not UTF-8 is an error")
    func dataInput() throws {
        let withBOM = Data([0xEF, 0xBB, 0xBF]) + Data("[1]".utf8)
        #expect(try JSONParser().parse(withBOM) == [1])
        let error = #expect(throws: JSONParseError.self) {
            try JSONParser().parse(Data([0x5B, 0xFF, 0x5D]))
        }
        #expect(error?.description == "line 1, column 1: the text is not valid UTF-8")
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    static let sample: JSONValue = ["name": "x", "n": 1, "pi": 3.25, "ok": true, "none": nil, "list": [1, [], [:]], "obj": ["k": "v"]]

    @Test("compact output has no spaces and keeps key order")
    func compact() {
        #expect(
            JSONWriter.string(from: Self.sample)
                == #"{"name":"x","n":1,"pi":3.25,"ok":true,"none":null,"list":[1,[],{}],"obj":{"k":"v"}}"#)
    }

    @Test("pretty output indents two spaces and writes key: value")
    func pretty() {
        let expected = """
            {
              "name": "x",
              "n": 1,
              "pi": 3.25,
              "ok": true,
              "none": null,
              "list": [
                1,
                [],
                {}
              ],
              "obj": {
                "k": "v"
              }
            }
            """
        #expect(JSONWriter.prettyString(from: Self.sample) == expected)
        #expect(JSONWriter.prettyString(from: ["a": [1]], indent: 4) == "{\n    \"a\": [\n        1\n    ]\n}")
        #expect(String(decoding: JSONWriter.data(from: ["a": 1], pretty: true), as: UTF8.self) == "{\n  \"a\": 1\n}")
    }

    @Test("strings escape quotes, backslashes and control characters and keep non-ASCII text")
    func escaping() {
        #expect(JSONWriter.string(from: "say \"hi\"\\ \n\r\t\u{08}\u{0C}\u{01}\u{1F}") == #""say \"hi\"\\ \n\r\t\b\f\u0001\u001f""#)
        #expect(JSONWriter.string(from: "café 中 😀 /") == #""café 中 😀 /""#)
        #expect(JSONWriter.string(from: ["k\"ey": 1]) == #"{"k\"ey":1}"#)
    }

    @Test("doubles are written as the shortest text that reads back; NaN and infinity become null")
    func doubles() {
        #expect(JSONWriter.string(from: [0.1, 1.0, -2.5, 1e20, 1.5e-7]) == "[0.1,1.0,-2.5,1e+20,1.5e-07]")
        #expect(JSONWriter.string(from: [.double(.nan), .double(.infinity), .double(-.infinity)]) == "[null,null,null]")
    }

    @Test("what the writer writes, the parser reads back exactly")
    func roundTrip() throws {
        let text = JSONWriter.string(from: Self.sample)
        #expect(try JSONParser.parse(text) == Self.sample)
        #expect(try JSONParser.parse(JSONWriter.prettyString(from: Self.sample)) == Self.sample)
        #expect(try JSONParser.parse(JSONWriter.string(from: "\u{01}\"\\é")) == "\u{01}\"\\é")
    }

    @Test("description is compact JSON")
    func description() {
        #expect((["a": [1, "b"]] as JSONValue).description == #"{"a":[1,"b"]}"#)
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test(
        "pythonRepr matches Python's repr()",
        arguments: [
            (JSONValue.null, "None"),
            (true, "True"),
            (false, "False"),
            (42, "42"),
            (1.5, "1.5"),
            (1.0, "1.0"),
            (.double(.nan), "nan"),
            (.double(-.infinity), "-inf"),
            ("it's", #""it's""#),
            (#"say "hi""#, #"'say "hi"'"#),
            (#"it's "both""#, #"'it\'s "both"'"#),
            ("a\nb\\", #"'a\nb\\'"#),
            (["a", 1, nil], "['a', 1, None]"),
            (["k": ["v": true], "n": 1], "{'k': {'v': True}, 'n': 1}"),
        ] as [(JSONValue, String)])
    func pythonRepr(value: JSONValue, repr: String) {
        #expect(value.pythonRepr == repr)
    }

    @Test("pythonDescription is str(): strings bare, everything else as repr")
    func pythonDescription() {
        #expect(JSONValue("it's").pythonDescription == "it's")
        #expect((["it's"] as JSONValue).pythonDescription == #"["it's"]"#)
        #expect(JSONValue(nil).pythonDescription == "None")
    }

    @Test("looselyEquals compares numbers by value and ignores object key order")
    func looselyEquals() {
        #expect(JSONValue(1).looselyEquals(1.0))
        #expect(JSONValue(1.0).looselyEquals(1))
        #expect(!JSONValue(1).looselyEquals(1.5))
        #expect((["a": 1, "b": 2] as JSONValue).looselyEquals(["b": 2, "a": 1.0]))
        #expect(!(["a": 1] as JSONValue).looselyEquals(["a": 1, "b": 2]))
        #expect(([1, [2]] as JSONValue).looselyEquals([1.0, [2.0]]))
        #expect(!([1, 2] as JSONValue).looselyEquals([2, 1]))
        #expect(!JSONValue("1").looselyEquals(1))
        #expect(!JSONValue(true).looselyEquals(1))
        #expect(!JSONValue(nil).looselyEquals(false))
        // Derived equality stays exact.
        #expect(JSONValue(1) != JSONValue(1.0))
        #expect((["a": 1, "b": 2] as JSONValue) != (["b": 2, "a": 1] as JSONValue))
    }

    @Test("compare orders numbers, strings and booleans, and refuses mixed kinds")
    func compare() {
        #expect(JSONValue(1).compare(to: 2) == .orderedAscending)
        #expect(JSONValue(2.5).compare(to: 2) == .orderedDescending)
        #expect(JSONValue(2).compare(to: 2.0) == .orderedSame)
        #expect(JSONValue("apple").compare(to: "banana") == .orderedAscending)
        #expect(JSONValue(false).compare(to: true) == .orderedAscending)
        #expect(JSONValue(1).compare(to: "1") == nil)
        #expect(JSONValue(nil).compare(to: nil) == nil)
        #expect(([1] as JSONValue).compare(to: [1]) == nil)
        #expect(JSONValue.double(.nan).compare(to: 1) == nil)
    }

    @Test("truthiness follows Python")
    func truthiness() {
        let falsy: [JSONValue] = [nil, false, 0, 0.0, "", [], [:]]
        let truthy: [JSONValue] = [true, 1, -0.5, "0", [nil], ["a": nil]]
        #expect(falsy.map(\.isTruthy) == Array(repeating: false, count: falsy.count))
        #expect(truthy.map(\.isTruthy) == Array(repeating: true, count: truthy.count))
    }

    @Test("Codable round trips keep integers, doubles and values (key order is JSONWriter's job)")
    func codableRoundTrip() throws {
        let value: JSONValue = ["zeta": 1, "alpha": 2.5, "list": [true, nil, "x"], "inner": ["b": 1, "a": 2]]
        let decoded = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(decoded.looselyEquals(value))
        #expect(decoded["zeta"] == .int(1))
        #expect(decoded["alpha"] == .double(2.5))
    }

    @Test("Codable decoding tells integers from doubles and booleans from numbers")
    func decodable() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(#"[1, 1.5, true, null, "s", {"k": [0]}]"#.utf8))
        #expect(value == [1, 1.5, true, nil, "s", ["k": [0]]])
    }

    @Test("accessors return a value only for their own kind")
    func accessors() {
        #expect(JSONValue(3.0).intValue == 3)
        #expect(JSONValue(3.5).intValue == nil)
        #expect(JSONValue("3").intValue == nil)
        #expect(JSONValue(3).doubleValue == 3.0)
        #expect((["a": 1] as JSONValue)["a"] == 1)
        #expect(([1] as JSONValue)["a"] == nil)
        #expect(JSONValue(1).typeName == "number")
        #expect(([:] as JSONValue).typeName == "object")
    }
}

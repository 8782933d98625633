import Testing

@testable import WorkFlowServer

@Suite("multipart/form-data bodies")
struct MultipartFormTests {
    static func parse(_ text: String, boundary: String = "XyZ", limits: MultipartForm.Limits = .init()) throws -> MultipartForm {
        try MultipartForm(body: Array(text.utf8), boundary: boundary, limits: limits)
    }

    @Test("the boundary comes from the content type, quoted or not; other types have none")
    func boundary() throws {
        #expect(try MultipartForm.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try MultipartForm.boundary(contentType: #"Multipart/Form-Data; charset=utf-8; boundary="a b;c""#) == "a b;c")
        #expect(try MultipartForm.boundary(contentType: "application/zip") == nil)
        #expect(throws: MultipartForm.ParseError.self) { try MultipartForm.boundary(contentType: "multipart/form-data") }
        #expect(throws: MultipartForm.ParseError.self) {
            try MultipartForm.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71))
        }
    }

    @Test("parts with their names, file names, types and exact bytes; preamble, epilogue and padding are ignored")
    func parts() throws {
        let body =
            "preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
            + "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"b.zip\"\r\nContent-Type: application/zip\r\n\r\n"
            + "line 1\r\n--XyZnot a boundary\r\nline 2\r\n--XyZ--\r\nepilogue"
        let form = try Self.parse(body)
        #expect(form.parts.map(\.name) == ["a", "file"])
        #expect(form.part(named: "a")?.body == Array("one".utf8))
        #expect(form.part(named: "a")?.fileName == nil)
        let file = try #require(form.part(named: "file"))
        #expect(file.fileName == "b.zip")
        #expect(file.contentType == "application/zip")
        #expect(file.body == Array("line 1\r\n--XyZnot a boundary\r\nline 2".utf8))
    }

    @Test(
        "malformed bodies are refused with what was expected",
        arguments: [
            ("no boundary at all", "no multipart boundary"),
            ("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno closing boundary", "ends before its closing boundary"),
            ("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", "no Content-Disposition"),
            ("--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--", "not form-data with a name"),
            ("--XyZ\r\nbroken header line\r\n\r\nx\r\n--XyZ--", "malformed header line"),
            ("--XyZjunk\r\n", "not followed by a line break"),
        ])
    func malformed(body: String, message: String) {
        #expect {
            try Self.parse(body)
        } throws: { error in
            (error as? MultipartForm.ParseError)?.message.contains(message) == true
        }
    }

    @Test("the number of parts and the size of headers are bounded")
    func limits() {
        let part = "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ"
        let many = "--XyZ\r\n" + Array(repeating: part, count: 3).joined(separator: "\r\n") + "--"
        #expect(throws: MultipartForm.ParseError(message: "the body has more than 2 parts")) {
            try Self.parse(many, limits: .init(maxParts: 2))
        }
        let long = "--XyZ\r\nContent-Disposition: form-data; name=\"" + String(repeating: "a", count: 100) + "\"\r\n\r\nx\r\n--XyZ--"
        #expect(throws: MultipartForm.ParseError(message: "a part's headers do not end within 64 bytes")) {
            try Self.parse(long, limits: .init(maxHeaderBytes: 64))
        }
    }
}

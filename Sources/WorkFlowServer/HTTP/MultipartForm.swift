/// A strict reader of `multipart/form-data` bodies (RFC 7578 over RFC 2046's multipart syntax),
/// enough for file uploads: each part's form field name, file name, content type and bytes.
///
/// The whole body is already in memory (bounded by the request's upload limit); the reader
/// bounds what it adds: the number of parts and the size of each part's header block.
struct MultipartForm: Sendable, Equatable {
    struct Part: Sendable, Equatable {
        /// The form field name (`Content-Disposition: form-data; name="..."`).
        var name: String
        var fileName: String?
        var contentType: String?
        var body: [UInt8]
    }

    struct Limits: Sendable {
        var maxParts = 32
        var maxHeaderBytes = 8 * 1024
    }

    /// Why a body could not be read; the message says what was expected.
    struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    var parts: [Part]

    /// The first part of field `name`.
    func part(named name: String) -> Part? {
        parts.first { $0.name == name }
    }

    /// The boundary of a `multipart/form-data` content type, or `nil` when the type is another.
    /// A multipart type without a usable boundary is an error.
    static func boundary(contentType: String) throws(ParseError) -> String? {
        let fields = HeaderParameters.split(contentType)
        guard fields.value.lowercased() == "multipart/form-data" else { return nil }
        guard let boundary = fields.parameters["boundary"] else {
            throw ParseError(message: "the multipart/form-data content type has no boundary parameter")
        }
        // RFC 2046: 1 to 70 characters, not ending in a space.
        guard (1...70).contains(boundary.utf8.count), !boundary.hasSuffix(" "), boundary.allSatisfy({ $0.isASCII && $0 != "\r" && $0 != "\n" })
        else {
            throw ParseError(message: "the multipart boundary must be 1 to 70 ASCII characters")
        }
        return boundary
    }

    /// Reads `body`, whose parts are separated by `--boundary` lines and closed by `--boundary--`.
    init(body: [UInt8], boundary: String, limits: Limits = Limits()) throws(ParseError) {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary opens the body or follows a preamble and a line break.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = Self.find(delimiter, in: body[...], from: 0) {
            position = found + delimiter.count
        } else {
            throw ParseError(message: "the body has no multipart boundary line")
        }
        var parts: [Part] = []
        while true {
            if Self.matches(Array("--".utf8), in: body, at: position) { break }  // the closing delimiter
            // Transport padding (spaces and tabs) may follow a boundary before its line break.
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard Self.matches(Self.crlf, in: body, at: position) else {
                throw ParseError(message: "a multipart boundary line is not followed by a line break")
            }
            position += 2
            guard parts.count < limits.maxParts else {
                throw ParseError(message: "the body has more than \(limits.maxParts) parts")
            }
            let headerLimit = min(body.count, position + limits.maxHeaderBytes)
            let headerEnd: Int
            if Self.matches(Self.crlf, in: body, at: position) {
                headerEnd = position  // a part without headers
            } else if let found = Self.find(Self.crlf + Self.crlf, in: body[..<headerLimit], from: position) {
                headerEnd = found + 2
            } else {
                throw ParseError(message: "a part's headers do not end within \(limits.maxHeaderBytes) bytes")
            }
            let headers = try Self.headers(body[position..<headerEnd])
            let contentStart = headerEnd + 2
            guard let contentEnd = Self.nextDelimiter(delimiter, in: body, from: contentStart) else {
                throw ParseError(message: "the body ends before its closing boundary (--\(boundary)--)")
            }
            parts.append(try Self.part(headers: headers, body: Array(body[contentStart..<contentEnd])))
            position = contentEnd + delimiter.count
        }
        self.parts = parts
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// Header lines (`Name: value`, names lower-cased); obsolete folded lines are refused.
    private static func headers(_ block: ArraySlice<UInt8>) throws(ParseError) -> [String: String] {
        var headers: [String: String] = [:]
        let text = String(decoding: block, as: UTF8.self)
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":"), line.first != " ", line.first != "\t" else {
                throw ParseError(message: "a part has a malformed header line: \(line.prefix(80))")
            }
            let name = line[..<colon].trimmed(of: " \t").lowercased()
            headers[name] = line[line.index(after: colon)...].trimmed(of: " \t")
        }
        return headers
    }

    private static func part(headers: [String: String], body: [UInt8]) throws(ParseError) -> Part {
        guard let disposition = headers["content-disposition"] else {
            throw ParseError(message: "a part has no Content-Disposition header")
        }
        let fields = HeaderParameters.split(disposition)
        guard fields.value.lowercased() == "form-data", let name = fields.parameters["name"] else {
            throw ParseError(message: "a part's Content-Disposition is not form-data with a name")
        }
        return Part(name: name, fileName: fields.parameters["filename"], contentType: headers["content-type"], body: body)
    }

    /// Where the next delimiter line begins: `CRLF--boundary` followed by `--`, or by optional
    /// padding and a line break. A line that merely starts with the boundary text is content.
    private static func nextDelimiter(_ delimiter: [UInt8], in body: [UInt8], from start: Int) -> Int? {
        var from = start
        while let found = find(delimiter, in: body[...], from: from) {
            var after = found + delimiter.count
            if matches(Array("--".utf8), in: body, at: after) { return found }
            while after < body.count, body[after] == 0x20 || body[after] == 0x09 { after += 1 }
            if matches(crlf, in: body, at: after) { return found }
            from = found + 1
        }
        return nil
    }

    private static func matches(_ needle: [UInt8], in haystack: [UInt8], at position: Int) -> Bool {
        position + needle.count <= haystack.count && haystack[position..<position + needle.count].elementsEqual(needle)
    }

    /// The first index at or after `start` where `needle` begins (indices are the body's own).
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first else { return nil }
        var index = max(start, haystack.startIndex)
        let last = haystack.endIndex - needle.count
        while index <= last, let candidate = haystack[index...last].firstIndex(of: first) {
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}

/// `value; key=token; key="quoted \"string\""`, as in Content-Type and Content-Disposition.
enum HeaderParameters {
    static func split(_ header: String) -> (value: String, parameters: [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmed(of: " \t").lowercased()
            if parameters[key] == nil { parameters[key] = piece[piece.index(after: equals)...].trimmed(of: " \t") }
        }
        return (pieces[0].trimmed(of: " \t"), parameters)
    }
}

extension StringProtocol {
    /// Without leading and trailing characters from `characters`.
    fileprivate func trimmed(of characters: String) -> String {
        let set = Set(characters)
        guard let start = firstIndex(where: { !set.contains($0) }), let end = lastIndex(where: { !set.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}

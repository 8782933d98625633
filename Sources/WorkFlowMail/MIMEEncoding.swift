import Foundation

/// Header text: checks against injection, RFC 2047 encoded words, RFC 2231 parameters, folding.
enum MIMEHeader {
    /// Refuses CR, LF and NUL: a line break in a header value would start a header of its own.
    static func checkSingleLine(_ text: String) throws(MailFormatError) {
        if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw MailFormatError("must not contain a line break (CR or LF)")
        }
        if text.unicodeScalars.contains("\0") { throw MailFormatError("must not contain a NUL character") }
    }

    /// Whether `text` can stand in a header as it is: printable ASCII, spaces and tabs.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
    }

    /// An unstructured value (`Subject`): as it is when plain ASCII of a sane length, else
    /// RFC 2047 encoded words of at most 75 characters, one per folded line.
    static func unstructured(_ text: String) -> String {
        if isPlainASCII(text), text.utf8.count <= 900 { return text }
        return encodedWords(text).joined(separator: "\r\n ")
    }

    /// A display name: plain when it is only atoms and spaces, quoted when it has specials,
    /// encoded when it is not ASCII.
    static func phrase(_ text: String) -> String {
        guard isPlainASCII(text) else { return encodedWords(text).joined(separator: " ") }
        let atomText = text.unicodeScalars.allSatisfy { $0 == " " || isAtomCharacter($0) }
        if atomText { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `=?UTF-8?B?...?=` words of at most 75 characters, each holding whole Unicode scalars.
    static func encodedWords(_ text: String) -> [String] {
        // 75 - len("=?UTF-8?B?") - len("?=") = 63 characters of base64: 45 bytes of UTF-8.
        let maximumBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maximumBytes {
                words.append(encodedWord(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// A `name="value"` parameter, or `name*=utf-8''%XX...` (RFC 2231) when the value is not plain ASCII.
    static func parameter(_ name: String, _ value: String) -> String {
        if isPlainASCII(value) {
            return "\(name)=\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var encoded = ""
        for byte in value.utf8 {
            if isAttributeCharacter(byte) {
                encoded.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                encoded += "%" + hex(byte)
            }
        }
        return "\(name)*=utf-8''\(encoded)"
    }

    /// `Name: item1, item2, ...`, folded before an item that would take the line past 78 characters.
    static func addressList(_ name: String, _ items: [String]) -> String {
        var out = "\(name): "
        var lineLength = out.count
        for (index, item) in items.enumerated() {
            let piece = index < items.count - 1 ? item + "," : item
            if index > 0 {
                if lineLength + 1 + piece.count > 78 {
                    out += "\r\n "
                    lineLength = 1
                } else {
                    out += " "
                    lineLength += 1
                }
            }
            out += piece
            lineLength += piece.count
        }
        return out
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".unicodeScalars)
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// RFC 5322 atext.
    private static func isAtomCharacter(_ scalar: UnicodeScalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        default: "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
    }

    /// RFC 2231 attribute-char: what may stand unencoded in an extended parameter value.
    private static func isAttributeCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$&+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Body encodings.
enum MIMEBody {
    /// Quoted-printable (RFC 2045 §6.7) with CRLF line breaks: any of CRLF, LF or CR in `text`
    /// is a line break; lines are cut with soft breaks at 76 characters.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var line: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == 0x0D || byte == 0x0A {
                if byte == 0x0D, bytes.first == 0x0A { bytes.removeFirst() }
                appendEncodedLine(line, to: &out)
                out += [0x0D, 0x0A]
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        appendEncodedLine(line, to: &out)
        out += [0x0D, 0x0A]
        return out
    }

    private static func appendEncodedLine(_ line: [UInt8], to out: inout [UInt8]) {
        var length = 0
        for (index, byte) in line.enumerated() {
            let isLast = index == line.count - 1
            let literal: Bool
            switch byte {
            case 0x20, 0x09: literal = !isLast  // trailing whitespace would be lost in transport
            case UInt8(ascii: "."): literal = index != 0  // a lone "." line ends SMTP data
            case 0x21...0x7E: literal = byte != UInt8(ascii: "=")
            default: literal = false
            }
            let piece: [UInt8] = literal ? [byte] : Array(("=" + MIMEHeader.hex(byte)).utf8)
            // A line holds 76 characters; keep room for the "=" of a soft break unless this is the end.
            let room = isLast ? 76 : 75
            if length + piece.count > room {
                out += [UInt8(ascii: "="), 0x0D, 0x0A]
                length = 0
            }
            out += piece
            length += piece.count
        }
    }

    /// Base64 in lines of 76 characters, each ended by CRLF.
    static func base64Lines(_ data: Data) -> [UInt8] {
        let encoded = Array(data.base64EncodedString().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + encoded.count / 38 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            out += encoded[start..<end]
            out += [0x0D, 0x0A]
            start = end
        }
        return out
    }
}

/// Content types of common attachments, by file extension.
public enum MIMEType {
    static let byExtension: [String: String] = [
        "txt": "text/plain", "log": "text/plain", "md": "text/markdown", "csv": "text/csv",
        "tsv": "text/tab-separated-values", "html": "text/html", "htm": "text/html", "css": "text/css",
        "xml": "application/xml", "json": "application/json", "yaml": "application/yaml", "yml": "application/yaml",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tgz": "application/gzip",
        "tar": "application/x-tar", "7z": "application/x-7z-compressed",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon",
        "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "mp3": "audio/mpeg", "wav": "audio/wav", "mp4": "video/mp4", "eml": "message/rfc822",
    ]

    /// The content type for `filename`'s extension; `application/octet-stream` when unknown.
    public static func guess(filename: String) -> String {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return "application/octet-stream" }
        return byExtension[filename[filename.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text encoding named the way Python names codecs (`utf-8`, `gbk`, `latin-1`, `cp936`...).
///
/// UTF-8 is handled natively; every other encoding goes through the C library's iconv, because
/// Foundation on Linux cannot convert GBK (`String.Encoding` GBK_95 is nil there).
struct TextEncoding: Sendable, Equatable {
    /// The name the user gave, for messages.
    let name: String
    private let kind: Kind

    private enum Kind: Equatable {
        /// UTF-8; `writesBOM` for Python's `utf-8-sig`. A leading BOM is always dropped on decode.
        case utf8(writesBOM: Bool)
        case iconv(String)
    }

    /// Resolves a Python codec name; throws ``TextEncodingError/unknownEncoding(_:)`` when neither
    /// the alias table nor iconv knows it.
    init(pythonName: String) throws(TextEncodingError) {
        name = pythonName
        let key = Self.normalize(pythonName)
        if ["utf_8", "utf8", "u8", "utf", "cp65001"].contains(key) {
            kind = .utf8(writesBOM: false)
            return
        }
        if ["utf_8_sig", "utf8_sig"].contains(key) {
            kind = .utf8(writesBOM: true)
            return
        }
        // Only plain codec names reach iconv: a suffix such as `//IGNORE` would change its behaviour.
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789_.:")
        guard !key.isEmpty, key.unicodeScalars.allSatisfy(allowed.contains) else {
            throw .unknownEncoding(pythonName)
        }
        let iconvName = Self.iconvAliases[key] ?? key.replacingOccurrences(of: "_", with: "-").uppercased()
        guard IconvConverter.supports(iconvName) else { throw .unknownEncoding(pythonName) }
        kind = .iconv(iconvName)
    }

    /// Python's normalisation: case and the separators `-`, ` `, `_` do not matter.
    private static func normalize(_ name: String) -> String {
        String(name.trimmingCharacters(in: .whitespaces).lowercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
    }

    /// Python codec names and aliases whose iconv name differs from the name upper-cased with
    /// `_` turned into `-`.
    private static let iconvAliases: [String: String] = [
        "latin_1": "ISO-8859-1", "latin1": "ISO-8859-1", "latin": "ISO-8859-1", "l1": "ISO-8859-1",
        "iso_8859_1": "ISO-8859-1", "iso8859_1": "ISO-8859-1", "8859": "ISO-8859-1", "cp819": "ISO-8859-1",
        "ascii": "ASCII", "us_ascii": "ASCII", "646": "ASCII",
        "gbk": "GBK", "cp936": "GBK", "936": "GBK", "ms936": "GBK",
        "gb2312": "GB2312", "euc_cn": "GB2312", "euccn": "GB2312", "gb2312_1980": "GB2312", "gb2312_80": "GB2312",
        "gb18030": "GB18030", "gb18030_2000": "GB18030",
        "big5": "BIG5", "big5_tw": "BIG5", "csbig5": "BIG5", "big5hkscs": "BIG5-HKSCS", "cp950": "CP950", "ms950": "CP950",
        "shift_jis": "SHIFT_JIS", "shiftjis": "SHIFT_JIS", "sjis": "SHIFT_JIS", "s_jis": "SHIFT_JIS",
        "cp932": "CP932", "ms932": "CP932", "mskanji": "CP932", "ms_kanji": "CP932",
        "euc_jp": "EUC-JP", "eucjp": "EUC-JP", "ujis": "EUC-JP", "u_jis": "EUC-JP",
        "euc_kr": "EUC-KR", "euckr": "EUC-KR", "cp949": "CP949", "uhc": "CP949",
        "iso2022_jp": "ISO-2022-JP", "iso_2022_jp": "ISO-2022-JP",
        "utf_16": "UTF-16", "utf16": "UTF-16", "u16": "UTF-16",
        "utf_16_le": "UTF-16LE", "utf_16le": "UTF-16LE", "utf_16_be": "UTF-16BE", "utf_16be": "UTF-16BE",
        "utf_32": "UTF-32", "utf32": "UTF-32", "u32": "UTF-32",
        "utf_32_le": "UTF-32LE", "utf_32le": "UTF-32LE", "utf_32_be": "UTF-32BE", "utf_32be": "UTF-32BE",
        "cp1252": "CP1252", "windows_1252": "CP1252", "cp1251": "CP1251", "windows_1251": "CP1251",
        "cp1250": "CP1250", "windows_1250": "CP1250", "mac_roman": "MACINTOSH", "macroman": "MACINTOSH",
    ]

    /// Decodes `bytes`; a UTF-8 byte order mark is dropped.
    func decode(_ bytes: [UInt8]) throws(TextEncodingError) -> String {
        switch kind {
        case .utf8:
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
            if let text = String(validating: body, as: UTF8.self) { return text }
            let offset = Self.firstInvalidUTF8Offset(body) ?? 0
            let bad = offset < body.count ? body[body.startIndex + offset] : 0
            throw .invalidBytes(encoding: name, offset: offset + (bytes.count - body.count), byte: bad)
        case .iconv(let iconvName):
            let converter = try IconvConverter.make(from: iconvName, to: "UTF-8", encodingName: name)
            switch converter.convert(bytes) {
            case .success(let utf8): return String(decoding: utf8, as: UTF8.self)
            case .failure(.invalidInput(let offset)):
                throw .invalidBytes(encoding: name, offset: offset, byte: bytes[offset])
            case .failure(.incompleteInput(let offset)):
                throw .truncated(encoding: name, offset: offset)
            case .failure(.system(let code)):
                throw .conversionFailed(encoding: name, reason: String(cString: strerror(code)))
            }
        }
    }

    /// Encodes `text`; throws naming the first character the encoding cannot represent.
    func encode(_ text: String) throws(TextEncodingError) -> [UInt8] {
        switch kind {
        case .utf8(let writesBOM):
            return (writesBOM ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
        case .iconv(let iconvName):
            let converter = try IconvConverter.make(from: "UTF-8", to: iconvName, encodingName: name)
            let input = Array(text.utf8)
            switch converter.convert(input) {
            case .success(let bytes): return bytes
            case .failure(.invalidInput(let offset)), .failure(.incompleteInput(let offset)):
                let rest = String(decoding: input[offset...], as: UTF8.self)
                let scalar = rest.unicodeScalars.first ?? "\u{FFFD}"
                // Counted in code points, as Python counts string positions.
                let position = String(decoding: input[..<offset], as: UTF8.self).unicodeScalars.count
                throw .unencodable(encoding: name, character: Character(scalar), position: position)
            case .failure(.system(let code)):
                throw .conversionFailed(encoding: name, reason: String(cString: strerror(code)))
            }
        }
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, if any.
    private static func firstInvalidUTF8Offset(_ bytes: ArraySlice<UInt8>) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// Why text could not be decoded or encoded.
enum TextEncodingError: Error, Equatable, CustomStringConvertible {
    case unknownEncoding(String)
    case invalidBytes(encoding: String, offset: Int, byte: UInt8)
    /// The input ended in the middle of a multi-byte character.
    case truncated(encoding: String, offset: Int)
    case unencodable(encoding: String, character: Character, position: Int)
    case conversionFailed(encoding: String, reason: String)

    var description: String {
        switch self {
        case .unknownEncoding(let name):
            return "unknown encoding '\(name)'"
        case .invalidBytes(let encoding, let offset, let byte):
            return "the bytes are not valid \(encoding): byte 0x\(String(format: "%02X", byte)) at offset \(offset)"
        case .truncated(let encoding, let offset):
            return "the bytes are not valid \(encoding): incomplete character at offset \(offset), at the end of the data"
        case .unencodable(let encoding, let character, let position):
            let codes = character.unicodeScalars.map { "U+" + String(format: "%04X", $0.value) }.joined(separator: " ")
            return "character '\(character)' (\(codes)) at position \(position) cannot be encoded as \(encoding)"
        case .conversionFailed(let encoding, let reason):
            return "converting \(encoding) failed: \(reason)"
        }
    }
}

/// One open iconv conversion. Non-copyable so that the descriptor is closed exactly once, when
/// the value goes away; iconv descriptors keep shift state, so each conversion opens its own.
struct IconvConverter: ~Copyable {
    private let descriptor: iconv_t

    enum Failure: Error {
        /// An input byte sequence that is invalid in the source encoding, or a character the
        /// target encoding cannot represent; the offset is into the input.
        case invalidInput(offset: Int)
        /// The input ends inside a multi-byte sequence.
        case incompleteInput(offset: Int)
        case system(errno: Int32)
    }

    private init?(from source: String, to target: String) {
        // iconv_open reports failure as `(iconv_t) -1`.
        guard let descriptor = iconv_open(target, source), Int(bitPattern: descriptor) != -1 else { return nil }
        self.descriptor = descriptor
    }

    deinit {
        iconv_close(descriptor)
    }

    /// Whether iconv converts between `name` and UTF-8 in both directions.
    static func supports(_ name: String) -> Bool {
        IconvConverter(from: name, to: "UTF-8") != nil && IconvConverter(from: "UTF-8", to: name) != nil
    }

    static func make(from source: String, to target: String, encodingName: String) throws(TextEncodingError) -> IconvConverter {
        guard let converter = IconvConverter(from: source, to: target) else { throw .unknownEncoding(encodingName) }
        return converter
    }

    /// Converts all of `input`, then flushes any pending shift state.
    func convert(_ input: [UInt8]) -> Result<[UInt8], Failure> {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2 + 16)
        var chunk = [UInt8](repeating: 0, count: max(4_096, min(input.count * 4, 1 << 20)))
        let total = input.count
        var remaining = total

        return input.withUnsafeBufferPointer { inBuffer -> Result<[UInt8], Failure> in
            var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress.map {
                UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: CChar.self)
            }
            // Pass 1 converts the input; pass 2 (null input) writes any closing shift sequence.
            for flushing in [false, true] {
                while true {
                    var failure: Failure?
                    var finished = false
                    chunk.withUnsafeMutableBytes { outBuffer in
                        var outPointer = outBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                        var outLeft = outBuffer.count
                        let result =
                            flushing
                            ? iconv(descriptor, nil, nil, &outPointer, &outLeft)
                            : iconv(descriptor, &inPointer, &remaining, &outPointer, &outLeft)
                        output.append(contentsOf: outBuffer.prefix(outBuffer.count - outLeft))
                        guard result == -1 else {
                            finished = true
                            return
                        }
                        switch errno {
                        case E2BIG: break  // output chunk full: go round again
                        case EILSEQ: failure = .invalidInput(offset: total - remaining)
                        case EINVAL: failure = .incompleteInput(offset: total - remaining)
                        case let code: failure = .system(errno: code)
                        }
                    }
                    if let failure { return .failure(failure) }
                    if finished { break }
                }
            }
            return .success(output)
        }
    }
}

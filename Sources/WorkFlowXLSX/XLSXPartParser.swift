import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// What reads one XML part of a workbook: elements by local name (any namespace prefix
/// dropped, as writers differ in prefixes), attributes as written, and text.
protocol XLSXPartHandler: AnyObject {
    func start(_ name: Substring, attributes: [String: String]) throws
    func end(_ name: Substring) throws
    func text(_ text: String)
}

extension XLSXPartHandler {
    func end(_ name: Substring) throws {}
    func text(_ text: String) {}
}

extension Dictionary where Key == String, Value == String {
    /// The attribute with this local name, whatever its prefix (`r:id`, `id`).
    func attribute(_ localName: String) -> String? {
        if let value = self[localName] { return value }
        return first { $0.key.hasSuffix(":" + localName) }?.value
    }
}

/// Runs an ``XLSXPartHandler`` over a part with Foundation's `XMLParser`, stopping on the
/// handler's first error or when the reader is cancelled.
final class XLSXPartParser: NSObject, XMLParserDelegate {
    private let handler: any XLSXPartHandler
    private let isCancelled: () -> Bool
    private var failure: (any Error)?
    private var elements = 0

    private init(handler: any XLSXPartHandler, isCancelled: @escaping () -> Bool) {
        self.handler = handler
        self.isCancelled = isCancelled
    }

    /// Parses `data` (the part named `part`, for messages). A document type declaration is
    /// refused: workbook parts never have one, and entity definitions could expand without bound.
    static func parse(_ data: Data, part: String, into handler: any XLSXPartHandler, isCancelled: @escaping () -> Bool) throws {
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil {
            throw XLSXError(message: "the workbook part \(part) declares a document type, which XLSX parts never do")
        }
        let delegate = XLSXPartParser(handler: handler, isCancelled: isCancelled)
        // Fed as a stream: on Linux, parsing a large part (tens of MB) handed over whole ends in a
        // spurious error after its last element, and a malformed one can still report success.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        if let failure = delegate.failure { throw failure }
        guard parsed, parser.parserError == nil else {
            let code = parser.parserError.map { ", XML parser error \(($0 as NSError).code)" } ?? ""
            throw XLSXError(message: "the workbook part \(part) is not valid XML (near line \(parser.lineNumber)\(code))")
        }
    }

    private func run(_ parser: XMLParser, _ body: () throws -> Void) {
        guard failure == nil else { return }
        do {
            try body()
        } catch {
            failure = error
            parser.abortParsing()
        }
    }

    private static func localName(_ name: String) -> Substring {
        guard let colon = name.lastIndex(of: ":") else { return name[...] }
        return name[name.index(after: colon)...]
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        run(parser) {
            elements += 1
            if elements % 4096 == 0, isCancelled() { throw CancellationError() }
            try handler.start(Self.localName(elementName), attributes: attributes)
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        run(parser) { try handler.end(Self.localName(elementName)) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard failure == nil else { return }
        handler.text(string)
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard failure == nil else { return }
        handler.text(String(decoding: CDATABlock, as: UTF8.self))
    }
}

/// Text as OOXML stores it: characters XML cannot hold are written `_xHHHH_` (and a literal
/// `_x` sequence as `_x005F_x...`).
func decodeOOXMLEscapes(_ text: String) -> String {
    guard text.contains("_x") else { return text }
    var out = String.UnicodeScalarView()
    let scalars = Array(text.unicodeScalars)
    var index = 0
    while index < scalars.count {
        if startsOOXMLEscape(scalars, at: index),
            let code = UInt32(String(String.UnicodeScalarView(scalars[(index + 2)..<(index + 6)])), radix: 16),
            let scalar = Unicode.Scalar(code)
        {
            out.append(scalar)
            index += 7
        } else {
            out.append(scalars[index])
            index += 1
        }
    }
    return String(out)
}

/// Whether `_xHHHH_` (four hex digits) starts at `index`.
func startsOOXMLEscape(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
    scalars[index] == "_" && index + 6 < scalars.count && scalars[index + 1] == "x" && scalars[index + 6] == "_"
        && scalars[(index + 2)..<(index + 6)].allSatisfy(\.properties.isASCIIHexDigit)
}

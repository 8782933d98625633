/// Text that cannot go into a mail header as it is; the message says why.
public struct MailFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A mailbox as a workflow writes it: `ops@example.com` or `Ops Team <ops@example.com>`.
public struct MailAddress: Sendable, Hashable {
    /// The display name, empty when there is none.
    public var displayName: String
    /// The address the SMTP envelope uses (`ops@example.com`).
    public var address: String

    /// Parses `text`, refusing line breaks (header injection) and addresses with spaces or brackets.
    public init(_ text: String) throws(MailFormatError) {
        try MIMEHeader.checkSingleLine(text)
        let trimmed = text.trimmedSpaces()
        guard !trimmed.isEmpty else { throw MailFormatError("is empty") }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            address = String(inner).trimmedSpaces()
            displayName = Self.unquoted(String(trimmed[..<open]).trimmedSpaces())
        } else {
            address = trimmed
            displayName = ""
        }
        guard !address.isEmpty else { throw MailFormatError("has no address between < and >") }
        guard !address.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" || $0 == "<" || $0 == ">" || $0 == "," }) else {
            throw MailFormatError("is not a single mail address: \"\(address)\"")
        }
    }

    /// The mailbox as a header shows it, the display name encoded (RFC 2047) or quoted as needed.
    var headerText: String {
        guard !displayName.isEmpty else { return address }
        return "\(MIMEHeader.phrase(displayName)) <\(address)>"
    }

    private static func unquoted(_ name: String) -> String {
        guard name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") else { return name }
        var out = ""
        var escaped = false
        for character in name.dropFirst().dropLast() {
            if !escaped, character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            out.append(character)
        }
        return out
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmedSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}

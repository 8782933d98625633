import Foundation

/// A file attached to a message.
public struct MailAttachment: Sendable, Hashable {
    /// The name the recipient sees (no folders).
    public var filename: String
    public var contentType: String
    public var data: Data

    public init(filename: String, contentType: String? = nil, data: Data) {
        self.filename = filename
        self.contentType = contentType ?? MIMEType.guess(filename: filename)
        self.data = data
    }
}

/// An email: who sends it, who gets it, and what it says.
public struct MailMessage: Sendable, Hashable {
    /// Whether the body is plain text or HTML.
    public enum BodyType: String, Sendable, Hashable, CaseIterable {
        case plain, html
    }

    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Blind copies: envelope recipients that no header names.
    public var bcc: [MailAddress]
    public var subject: String
    public var body: String
    public var bodyType: BodyType
    public var attachments: [MailAttachment]

    /// Refuses a subject with a line break (header injection).
    public init(
        from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], bcc: [MailAddress] = [], subject: String,
        body: String, bodyType: BodyType = .plain, attachments: [MailAttachment] = []
    ) throws(MailFormatError) {
        try MIMEHeader.checkSingleLine(subject)
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.subject = subject
        self.body = body
        self.bodyType = bodyType
        self.attachments = attachments
    }

    /// Everyone the server is asked to deliver to: To, then Cc, then Bcc, each address once.
    public var envelopeRecipients: [String] {
        var seen = Set<String>()
        return (to + cc + bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// The message as RFC 5322 text with CRLF line breaks, ready for SMTP `DATA`.
    ///
    /// `messageID` and `boundary` are parameters so that tests can pin them.
    public func rendered(date: Date, messageID: String? = nil, boundary: String? = nil) -> Data {
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let id = messageID ?? "<\(UUID().uuidString.lowercased())@\(domain.isEmpty ? "localhost" : domain)>"
        var headers = [
            "Date: \(Self.dateText(date))",
            MIMEHeader.addressList("From", [from.headerText]),
        ]
        if to.isEmpty && cc.isEmpty {
            headers.append("To: undisclosed-recipients:;")
        } else if !to.isEmpty {
            headers.append(MIMEHeader.addressList("To", to.map(\.headerText)))
        }
        if !cc.isEmpty { headers.append(MIMEHeader.addressList("Cc", cc.map(\.headerText))) }
        headers += ["Subject: \(MIMEHeader.unstructured(subject))", "Message-ID: \(id)", "MIME-Version: 1.0"]

        var out: [UInt8] = []
        func line(_ text: String) { out += Array(text.utf8) + [0x0D, 0x0A] }
        headers.forEach(line)
        let bodyContentType = "text/\(bodyType.rawValue); charset=utf-8"
        guard !attachments.isEmpty else {
            line("Content-Type: \(bodyContentType)")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            out += MIMEBody.quotedPrintable(body)
            return Data(out)
        }

        // "=_" can occur in neither quoted-printable nor base64 text, so no part can contain the boundary.
        let separator = boundary ?? "=_workflow_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        line("Content-Type: multipart/mixed; boundary=\"\(separator)\"")
        line("")
        line("This is a multi-part message in MIME format.")
        line("--\(separator)")
        line("Content-Type: \(bodyContentType)")
        line("Content-Transfer-Encoding: quoted-printable")
        line("")
        out += MIMEBody.quotedPrintable(body)
        for attachment in attachments {
            line("--\(separator)")
            line("Content-Type: \(attachment.contentType);\r\n \(Self.legacyNameParameter(attachment.filename))")
            line("Content-Disposition: attachment;\r\n \(MIMEHeader.parameter("filename", attachment.filename))")
            line("Content-Transfer-Encoding: base64")
            line("")
            out += MIMEBody.base64Lines(attachment.data)
        }
        line("--\(separator)--")
        return Data(out)
    }

    /// `name=` on Content-Type, which older mail programs read instead of the disposition's
    /// filename: RFC 2047 words when the name is not ASCII (what most mail programs expect there).
    private static func legacyNameParameter(_ filename: String) -> String {
        guard !MIMEHeader.isPlainASCII(filename) else { return MIMEHeader.parameter("name", filename) }
        return "name=\"\(MIMEHeader.encodedWords(filename).joined(separator: " "))\""
    }

    /// RFC 5322 date-time in UTC: `Tue, 05 Mar 2024 09:07:03 +0000`.
    static func dateText(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let weekday = weekdays[((c.weekday ?? 1) - 1) % 7]
        let month = months[((c.month ?? 1) - 1) % 12]
        return "\(weekday), \(two(c.day)) \(month) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}

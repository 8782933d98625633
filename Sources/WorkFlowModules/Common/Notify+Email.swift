import Foundation
import WorkFlowEngine
import WorkFlowMail

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension NotifyModule {
    /// Sends the email described by `params`: `{"status": true, "recipients": N}`, or on any
    /// failure of the delivery `{"status": false, "error": "..."}` with the server's refusal in the text.
    /// Bad parameters (and attachments that cannot be read) throw before anything connects.
    func sendEmail(_ params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let email = try Self.email(from: params)
        let url = email.server.displayURL
        let recipients = email.message.envelopeRecipients.count
        context.logger.debug("sending \"\(email.message.subject)\" to \(recipients) recipient(s) through \(url)")
        do {
            let delivery = try await SMTPMailer.send(email.message, through: email.server, date: context.clock.now())
            context.logger.debug("SMTP conversation:\n\(delivery.transcript.joined(separator: "\n"))")
            context.logger.info("email sent to \(delivery.recipients) recipient(s) through \(url)")
            return .success(["status": true, "recipients": .int(delivery.recipients)])
        } catch let error as SMTPError {
            let message = "sending email through \(url) failed: \(error)\(Self.hint(for: error.kind))"
            if !error.transcript.isEmpty {
                context.logger.debug("SMTP conversation:\n\(error.transcript.joined(separator: "\n"))")
            }
            context.logger.error(message)
            return .failure(["status": false, "error": .string(message)], error: message)
        }
    }

    private static func hint(for kind: SMTPError.Kind) -> String {
        switch kind {
        case .startTLSUnavailable:
            "; the server does not offer STARTTLS (use_tls: false sends unencrypted, ssl: true uses implicit TLS)"
        case .certificateRejected:
            "; the server's certificate is not trusted (ca_file names a PEM CA file to trust, verify_ssl: false skips the check)"
        default: ""
        }
    }
}

// MARK: - Parameters

extension NotifyModule {
    static let defaultSMTPTimeout = 30
    static let startTLSPort = 587
    static let implicitTLSPort = 465

    /// A message and the server to send it through, checked before anything connects.
    struct Email {
        var message: MailMessage
        var server: SMTPServer
    }

    static func email(from params: JSONObject) throws(ParameterError) -> Email {
        let reader = ParameterReader(params)
        let host = try smtpHost(reader.string("smtp_host"))
        let implicitTLS = try reader.bool("ssl", default: false)
        let startTLS = try reader.bool("use_tls", default: true)
        let port = try reader.int("smtp_port", default: implicitTLS ? implicitTLSPort : startTLSPort)
        guard (1...65_535).contains(port) else {
            throw ParameterError(path: "smtp_port", message: "expected a port number from 1 to 65535, got \(port)")
        }
        let timeout = try reader.timeoutSeconds(default: Double(defaultSMTPTimeout))
        let caFile = try reader.optionalString("ca_file")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ParameterError(path: "ca_file", message: "no readable file at \(caFile)")
        }
        // The seed logged in only when both were given (and not empty).
        let username = try reader.optionalString("username").flatMap { $0.isEmpty ? nil : $0 }
        let password = try reader.optionalString("password").flatMap { $0.isEmpty ? nil : $0 }
        let login = username != nil && password != nil
        let server = SMTPServer(
            host: host, port: port, security: implicitTLS ? .implicitTLS : (startTLS ? .startTLS : .none),
            verifiesCertificate: try reader.bool("verify_ssl", default: true), caFile: caFile,
            username: login ? username : nil, password: login ? password : nil, timeout: .seconds(fraction: timeout),
            clientName: localHostName())

        let from = try address(reader.string("from_addr"), path: "from_addr")
        let to = try addresses(reader, "to_addrs", required: true)
        let cc = try addresses(reader, "cc", required: false)
        let bcc = try addresses(reader, "bcc", required: false)
        guard !(to.isEmpty && cc.isEmpty && bcc.isEmpty) else {
            throw ParameterError(path: "to_addrs", message: "names no recipient (and neither do cc and bcc)")
        }
        let bodyTypeText = try reader.string("body_type", default: MailMessage.BodyType.plain.rawValue)
        guard let bodyType = MailMessage.BodyType(rawValue: bodyTypeText) else {
            throw ParameterError(path: "body_type", message: "expected \"plain\" or \"html\", got \"\(bodyTypeText)\"")
        }
        let subject = try reader.string("subject")
        let body = try reader.string("body")
        let files = try attachments(reader)
        let message: MailMessage
        do {
            message = try MailMessage(
                from: from, to: to, cc: cc, bcc: bcc, subject: subject, body: body, bodyType: bodyType, attachments: files)
        } catch {
            throw ParameterError(path: "subject", message: error.message)
        }
        return Email(message: message, server: server)
    }

    /// A host name or IP address: nothing that could change the URL libcurl is given.
    private static func smtpHost(_ host: String) throws(ParameterError) -> String {
        let trimmed = host.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ParameterError(path: "smtp_host", message: "is empty") }
        let forbidden = CharacterSet(charactersIn: "/?#@\\ ").union(.controlCharacters)
        guard trimmed.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else {
            throw ParameterError(path: "smtp_host", message: "expected a host name or IP address, got \"\(host)\"")
        }
        return trimmed.hasPrefix("[") && trimmed.hasSuffix("]") ? String(trimmed.dropFirst().dropLast()) : trimmed
    }

    private static func address(_ text: String, path: String) throws(ParameterError) -> MailAddress {
        do {
            return try MailAddress(text)
        } catch {
            throw ParameterError(path: path, message: error.message)
        }
    }

    /// A list of addresses; a single string counts as a list of one, as in the issue.
    private static func addresses(_ reader: ParameterReader, _ name: String, required: Bool) throws(ParameterError) -> [MailAddress] {
        if required { _ = try reader.required(name) }
        guard let texts = try reader.optionalStringList(name) else { return [] }
        var out: [MailAddress] = []
        for (index, text) in texts.enumerated() {
            out.append(try address(text, path: "\(name)[\(index)]"))
        }
        return out
    }

    /// Every attachment read in full, so a missing file fails the step before connecting.
    private static func attachments(_ reader: ParameterReader) throws(ParameterError) -> [MailAttachment] {
        guard let paths = try reader.optionalStringList("attachments") else { return [] }
        var out: [MailAttachment] = []
        for (index, path) in paths.enumerated() {
            let field = "attachments[\(index)]"
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw ParameterError(path: field, message: "no file at \(path)")
            }
            guard !isFolder.boolValue else { throw ParameterError(path: field, message: "\(path) is a folder, not a file") }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ParameterError(path: field, message: "cannot read \(path): \(error.localizedDescription)")
            }
            out.append(MailAttachment(filename: URL(fileURLWithPath: path).lastPathComponent, data: data))
        }
        return out
    }

    /// This host's name for `EHLO`, or `localhost` when it is not a plain DNS name.
    private static func localHostName() -> String {
        // gethostname, not ProcessInfo.hostName, which may resolve addresses through DNS.
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else { return "localhost" }
        return name
    }
}

// MARK: - Descriptor

extension NotifyModule {
    /// The `email` method's descriptor.
    static let emailMethod = MethodDescriptor(
        "email",
        doc: """
            Sends an email through an SMTP server (libcurl): STARTTLS by default, implicit TLS with ssl, \
            login when username and password are given, HTML or plain body, file attachments. The \
            server's refusal (a rejected login or recipient) is quoted in the result's error; any \
            refused recipient fails the whole send.
            """,
        parameters: [
            ParameterDescriptor("smtp_host", .string, required: true, doc: "The SMTP server's host name or IP address."),
            ParameterDescriptor(
                "smtp_port", .integer,
                doc: "The server's port; defaults to 587 (submission with STARTTLS), or 465 when ssl is true."),
            ParameterDescriptor(
                "from_addr", .string, required: true,
                doc: "The sender, `a@example.com` or `Name <a@example.com>`; also the envelope sender."),
            ParameterDescriptor(
                "to_addrs", [.array, .string], required: true,
                doc: "Recipients named in the To header: a list of addresses, or one address as a string."),
            ParameterDescriptor("cc", [.array, .string], default: .array([]), doc: "Recipients named in the Cc header."),
            ParameterDescriptor(
                "bcc", [.array, .string], default: .array([]),
                doc: "Blind copies: delivered to, but named in no header."),
            ParameterDescriptor(
                "subject", .string, required: true,
                doc: "The subject line (any Unicode; line breaks are refused)."),
            ParameterDescriptor("body", .string, required: true, doc: "The message text, sent as UTF-8."),
            ParameterDescriptor(
                "body_type", .string, default: .string("plain"), doc: "`plain` for text/plain, `html` for text/html."),
            ParameterDescriptor(
                "use_tls", .boolean, default: .bool(true),
                doc: "Require STARTTLS before logging in or sending; the send fails when the server does not offer it."),
            ParameterDescriptor(
                "ssl", .boolean, default: .bool(false), doc: "Implicit TLS (SMTPS) from the first byte; use_tls is then moot."),
            ParameterDescriptor(
                "verify_ssl", .boolean, default: .bool(true),
                doc: "Check the server's certificate and host name. Turn off only for a test server."),
            ParameterDescriptor(
                "ca_file", .string, doc: "A PEM file of certificate authorities to trust instead of the system's."),
            ParameterDescriptor("username", .string, doc: "Login name; the login happens only when password is given too."),
            ParameterDescriptor("password", .string, doc: "Login password; never logged."),
            ParameterDescriptor(
                "attachments", [.array, .string], default: .array([]),
                doc: "Paths of files to attach; a missing file fails the step before connecting."),
            ParameterDescriptor(
                "timeout", .number, default: .int(defaultSMTPTimeout),
                doc: "Seconds allowed for connecting and for the whole delivery."),
        ],
        result: #"{"status": true, "recipients": N}"#)
}

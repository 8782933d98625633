import Foundation

/// Where and how to deliver: the SMTP server, its kind of TLS, and the login.
public struct SMTPServer: Sendable, Hashable {
    /// How the connection is protected.
    public enum Security: Sendable, Hashable {
        /// Plain SMTP, never encrypted.
        case none
        /// Plain SMTP upgraded with STARTTLS before anything else is sent; a server that does not
        /// offer STARTTLS is an error.
        case startTLS
        /// TLS from the first byte (SMTPS).
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// Whether the server's certificate and name are checked.
    public var verifiesCertificate: Bool
    /// PEM file with the certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// Logs in when set (whichever of the mechanisms the server offers libcurl likes best).
    public var username: String?
    public var password: String?
    /// Limit for connecting and for the whole delivery.
    public var timeout: Duration
    /// The name this host gives in `EHLO`.
    public var clientName: String

    public init(
        host: String, port: Int, security: Security = .startTLS, verifiesCertificate: Bool = true, caFile: String? = nil,
        username: String? = nil, password: String? = nil, timeout: Duration = .seconds(30), clientName: String = "localhost"
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.verifiesCertificate = verifiesCertificate
        self.caFile = caFile
        self.username = username
        self.password = password
        self.timeout = timeout
        self.clientName = clientName
    }

    /// `smtp://host:port` or `smtps://host:port`, with an IPv6 address in brackets.
    public var displayURL: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }
}

/// A delivery that worked, with the conversation (passwords hidden) for the log.
public struct SMTPDelivery: Sendable, Equatable {
    /// How many recipients the server accepted.
    public var recipients: Int
    public var transcript: [String]
}

/// A delivery that failed: libcurl's reason and, when the server refused something, its reply.
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in a few kinds callers may explain further.
    public enum Kind: Sendable, Equatable {
        case startTLSUnavailable
        case certificateRejected
        case timedOut
        case couldNotConnect
        case other
    }

    public var kind: Kind
    /// libcurl's description of the failure.
    public var reason: String
    /// The server's last reply when it was a refusal (`550 5.1.1 <x@example.com>: user unknown`).
    public var serverReply: String?
    public var transcript: [String]

    public var description: String {
        guard let serverReply else { return reason }
        return "\(reason) (server replied: \(serverReply))"
    }
}

/// Sends messages with libcurl's SMTP client.
public enum SMTPMailer {
    /// Delivers `message` to its envelope recipients through `server`.
    ///
    /// The transfer runs on a thread of its own, so the waiting never holds one of Swift's
    /// cooperative threads; cancelling the task aborts it at once and throws `CancellationError`.
    public static func send(_ message: MailMessage, through server: SMTPServer, date: Date = Date()) async throws -> SMTPDelivery {
        let recipients = message.envelopeRecipients
        let transfer = try CurlSMTPTransfer(
            server: server, from: message.from.address, recipients: recipients, content: message.rendered(date: date))
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<CurlSMTPTransfer.Outcome, Never>) in
                let thread = Thread { continuation.resume(returning: transfer.perform()) }
                thread.name = "workflow-smtp"
                thread.start()
            }
        } onCancel: {
            transfer.cancel()
        }
        switch outcome {
        case .sent(let transcript): return SMTPDelivery(recipients: recipients.count, transcript: transcript)
        case .failed(let error): throw error
        case .cancelled: throw CancellationError()
        }
    }
}

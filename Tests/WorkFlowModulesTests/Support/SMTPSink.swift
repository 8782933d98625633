import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// An aiosmtpd server for the email tests: it keeps every message it receives as a JSON file the
// test reads back, parsed by Python's own email package (so a message Python cannot read right
// fails the test), with whether the session was encrypted and logged in.

/// How the sink's connection is protected.
enum SMTPSinkTLS: String {
    /// No TLS at all: STARTTLS is not offered.
    case none
    /// STARTTLS offered (not required).
    case startTLS = "starttls"
    /// TLS from the first byte.
    case implicit
}

/// One message the sink received.
struct ReceivedMail: Decodable {
    struct Attachment: Decodable {
        var filename: String?
        var contentType: String
        var data: Data
    }

    var mailFrom: String
    var rcptTos: [String]
    /// Header names in order, and the values decoded (RFC 2047 words turned back into text).
    var headerNames: [String]
    var headers: [String: String]
    var bodyType: String
    var body: String
    var attachments: [Attachment]
    var defects: [String]
    var tls: Bool
    var starttls: Bool
    var authenticated: Bool
    /// The message as sent, for checks on the encoding itself.
    var raw: String

    enum CodingKeys: String, CodingKey {
        case mailFrom = "mail_from", rcptTos = "rcpt_tos", headerNames = "header_names", headers
        case bodyType = "body_type", body, attachments, defects, tls, starttls, authenticated, raw
    }
}

/// A running aiosmtpd on 127.0.0.1 with a throwaway self-signed certificate for `localhost` and 127.0.0.1.
struct SMTPSink {
    let server: LocalServer
    let folder: URL
    /// The certificate (PEM) the sink presents; trusting it makes verification pass.
    var caFile: String { folder.appendingPathComponent("cert.pem").path }
    var port: Int { server.port }

    static let user = "mailer"
    static let password = "s3cret-Pa55"

    static var isInstalled: Bool {
        IntegrationServers.venvProgram("python") != nil && IntegrationServers.executable("/usr/bin/openssl") != nil
    }

    /// Starts a sink; `login` makes it require AUTH with ``user`` and ``password``; `refusing`
    /// are recipients it answers with 550.
    static func start(tls: SMTPSinkTLS = .startTLS, login: Bool = false, refusing: [String] = []) async throws -> SMTPSink {
        guard let python = IntegrationServers.venvProgram("python") else { throw ServerMissing(what: "aiosmtpd") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-smtp-\(UUID().uuidString)")
        let inbox = folder.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        do {
            let script = folder.appendingPathComponent("sink.py")
            try sinkScript.write(to: script, atomically: true, encoding: .utf8)
            try await runTool("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", folder.appendingPathComponent("key.pem").path, "-out", folder.appendingPathComponent("cert.pem").path,
            ])
            let port = try freeLocalPort()
            var arguments = [
                script.path, "--port", "\(port)", "--inbox", inbox.path, "--tls", tls.rawValue,
                "--cert", folder.appendingPathComponent("cert.pem").path, "--key", folder.appendingPathComponent("key.pem").path,
            ]
            if login { arguments += ["--user", user, "--password", password] }
            for address in refusing { arguments += ["--refuse", address] }
            let server = try await LocalServer.start("aiosmtpd", executable: python, arguments: arguments, port: port)
            return SMTPSink(server: server, folder: folder)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// The messages received so far, oldest first. The sink writes each before it answers the
    /// end of the data, so a finished send's message is already here.
    func messages() throws -> [ReceivedMail] {
        let inbox = folder.appendingPathComponent("inbox")
        let names = try FileManager.default.contentsOfDirectory(atPath: inbox.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { try JSONDecoder().decode(ReceivedMail.self, from: Data(contentsOf: inbox.appendingPathComponent($0))) }
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Runs `body` with a started sink and stops it on every way out.
nonisolated(nonsending) func withSMTPSink<T>(
    tls: SMTPSinkTLS = .startTLS, login: Bool = false, refusing: [String] = [], _ body: (SMTPSink) async throws -> T
) async throws -> T {
    let sink = try await SMTPSink.start(tls: tls, login: login, refusing: refusing)
    do {
        let value = try await body(sink)
        await sink.stop()
        return value
    } catch {
        await sink.stop()
        throw error
    }
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them) but never says a word.
final class SilentListener: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let bound = try boundLoopbackSocket()
        fd = bound.fd
        port = bound.port
        guard listen(fd, 8) == 0 else {
            close(fd)
            throw LocalServerError(message: "cannot listen on 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }

    /// Waits until a client has connected (polling the socket: the readiness probe of another party).
    func waitForConnection(within limit: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) == 1 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LocalServerError(message: "nobody connected to 127.0.0.1:\(port) within \(limit)")
    }
}

/// The sink itself; written to the sink's folder when it starts.
private let sinkScript = #"""
    import argparse, asyncio, base64, email, email.policy, json, os, ssl, uuid
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="starttls")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--refuse", action="append", default=[])
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)


    def authenticate(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login.decode() == args.user
              and data.password.decode() == args.password)
        return AuthResult(success=ok, handled=False)


    class Inbox:
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address in args.refuse:
                return "550 5.1.1 <%s>: user unknown" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            raw = envelope.original_content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_body(preferencelist=("html", "plain"))
            defects = [repr(d) for part in message.walk() for d in part.defects]
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "header_names": list(message.keys()),
                "headers": {name: str(value) for name, value in message.items()},
                "body_type": body.get_content_type() if body is not None else "",
                "body": body.get_content() if body is not None else "",
                "attachments": [
                    {"filename": part.get_filename(), "contentType": part.get_content_type(),
                     "data": base64.b64encode(part.get_payload(decode=True)).decode()}
                    for part in message.iter_attachments()
                ],
                "defects": defects,
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "starttls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
                "raw": raw.decode("ascii", "replace"),
            }
            name = "%04d-%s" % (len(os.listdir(args.inbox)), uuid.uuid4().hex)
            partial = os.path.join(args.inbox, name + ".part")
            with open(partial, "w") as f:
                json.dump(record, f)
            os.replace(partial, os.path.join(args.inbox, name + ".json"))
            return "250 2.0.0 Message accepted"


    def make_session():
        return SMTP(
            Inbox(), hostname="localhost", enable_SMTPUTF8=True,
            tls_context=context if args.tls == "starttls" else None,
            authenticator=authenticate if args.user else None,
            auth_required=bool(args.user),
            auth_require_tls=args.tls == "starttls")


    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            make_session, "127.0.0.1", args.port, ssl=context if args.tls == "implicit" else None)
        print("listening on 127.0.0.1:%d (%s)" % (args.port, args.tls), flush=True)
        await server.serve_forever()

    asyncio.run(main())
    """#

import Foundation
import Testing
import WorkFlowEngine
import WorkFlowMail

@testable import WorkFlowModules

@Suite("common.Notify email")
struct NotifyEmailTests {
    let module = NotifyModule()

    private func send(_ params: JSONObject, context: StepContext = .standalone()) async throws -> ModuleOutput {
        try await module.call("email", params: params, context: context)
    }

    private func parameterError(_ params: JSONObject) async -> ParameterError? {
        do {
            _ = try await send(params)
            return nil
        } catch {
            return error as? ParameterError
        }
    }

    private let minimal: JSONObject = [
        "smtp_host": "127.0.0.1", "smtp_port": 9, "from_addr": "a@example.com", "to_addrs": ["b@example.com"],
        "subject": "s", "body": "b",
    ]

    private func with(_ extra: JSONObject) -> JSONObject {
        var params = minimal
        for (key, value) in extra { params[key] = value }
        return params
    }

    // MARK: Parameters (nothing connects)

    @Test("bad parameters fail the step with an error naming the field")
    func parameterErrors() async {
        var noHost = minimal
        noHost.removeValue(forKey: "smtp_host")
        #expect(await parameterError(noHost)?.description == "params.smtp_host: is required")
        #expect(await parameterError(with(["smtp_port": 70_000]))?.path == "smtp_port")
        #expect(await parameterError(with(["smtp_host": "mail.example.com/evil"]))?.path == "smtp_host")
        #expect(await parameterError(with(["body_type": "markdown"]))?.description == #"params.body_type: expected "plain" or "html", got "markdown""#)
        #expect(await parameterError(with(["timeout": 0]))?.path == "timeout")
        #expect(await parameterError(with(["to_addrs": 5]))?.description == "params.to_addrs: expected an array of strings, got number 5")
        #expect(await parameterError(with(["cc": ["c@example.com", 7]]))?.path == "cc[1]")
        #expect(await parameterError(with(["to_addrs": [], "cc": []]))?.path == "to_addrs")
        #expect(await parameterError(with(["bcc": ["two words@example.com"]]))?.path == "bcc[0]")
        #expect(await parameterError(with(["ca_file": "/nonexistent/ca.pem"]))?.description == "params.ca_file: no readable file at /nonexistent/ca.pem")
    }

    @Test("a line break in the subject or an address is refused (header injection)")
    func headerInjection() async {
        let subject = await parameterError(with(["subject": "Hello\r\nBcc: victim@example.com"]))
        #expect(subject?.description == "params.subject: must not contain a line break (CR or LF)")
        let to = await parameterError(with(["to_addrs": ["b@example.com", "c@example.com\nBcc: victim@example.com"]]))
        #expect(to?.description == "params.to_addrs[1]: must not contain a line break (CR or LF)")
        #expect(await parameterError(with(["from_addr": "a@example.com\r\nX-Evil: 1"]))?.path == "from_addr")
    }

    @Test("a missing attachment fails the step, naming it, before anything connects")
    func missingAttachment() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let present = folder.appendingPathComponent("present.txt")
        try Data("x".utf8).write(to: present)
        let missing = folder.appendingPathComponent("missing.pdf").path
        // Port 9 on 127.0.0.1 listens nowhere: reaching it would be a connection failure result, not this error.
        let error = await parameterError(with(["attachments": .array([.string(present.path), .string(missing)])]))
        #expect(error?.description == "params.attachments[1]: no file at \(missing)")
        #expect(await parameterError(with(["attachments": .string(folder.path)]))?.description == "params.attachments[0]: \(folder.path) is a folder, not a file")
    }

    // MARK: The message

    @Test("the message has Date, Message-ID, From, To, Cc and MIME-Version, and no Bcc")
    func renderedHeaders() throws {
        let message = try MailMessage(
            from: MailAddress("Ops Team <ops@example.com>"), to: [MailAddress("a@example.com"), MailAddress("b@example.com")],
            cc: [MailAddress("c@example.com")], bcc: [MailAddress("hidden@example.com")], subject: "Report", body: "Hi")
        let text = String(decoding: message.rendered(date: Date(timeIntervalSince1970: 1_709_629_623), messageID: "<id@example.com>"), as: UTF8.self)
        #expect(text == """
            Date: Tue, 05 Mar 2024 09:07:03 +0000\r
            From: Ops Team <ops@example.com>\r
            To: a@example.com, b@example.com\r
            Cc: c@example.com\r
            Subject: Report\r
            Message-ID: <id@example.com>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hi\r

            """)
        #expect(message.envelopeRecipients == ["a@example.com", "b@example.com", "c@example.com", "hidden@example.com"])
    }

    @Test("a non-ASCII subject and display name become encoded words of at most 75 characters")
    func encodedWords() throws {
        let subject = String(repeating: "Ärger über Öl – ", count: 6)
        let message = try MailMessage(
            from: MailAddress("Jürgen <j@example.com>"), to: [MailAddress("a@example.com")], subject: subject, body: "")
        let lines = String(decoding: message.rendered(date: Date()), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.contains("From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.com>"))
        let subjectLines = lines.drop { !$0.hasPrefix("Subject: ") }.prefix { $0.hasPrefix("Subject: ") || $0.hasPrefix(" ") }
        let words = subjectLines.map { $0.replacingOccurrences(of: "Subject: ", with: "").trimmingCharacters(in: .whitespaces) }
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
    }

    @Test("quoted-printable body lines stay within 76 characters and keep trailing spaces")
    func quotedPrintable() throws {
        let body = String(repeating: "é", count: 100) + "\nline with trailing space \n.\nend"
        let message = try MailMessage(from: MailAddress("a@example.com"), to: [MailAddress("b@example.com")], subject: "s", body: body)
        let text = String(decoding: message.rendered(date: Date()), as: UTF8.self)
        let bodyLines = text.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n")
        #expect(bodyLines.allSatisfy { $0.count <= 76 })
        #expect(bodyLines.contains("line with trailing space=20"))
        #expect(bodyLines.contains("=2E"))
    }

    // MARK: Connection failures (no SMTP server)

    @Test("a refused port is a failure result that says so")
    func refusedPort() async throws {
        let output = try await send(with(["smtp_port": .int(try freeLocalPort()), "use_tls": false]))
        #expect(output.result["status"] == false)
        let error = try #require(output.error)
        #expect(error.contains("Failed to connect to 127.0.0.1"))
        #expect(output.result["error"] == .string(error))
    }

    @Test("a server that accepts and never answers fails after the timeout")
    func silentServerTimesOut() async throws {
        let listener = try SilentListener()
        let started = ContinuousClock.now
        let output = try await send(with(["smtp_port": .int(listener.port), "timeout": 0.5]))
        let elapsed = ContinuousClock.now - started
        #expect(output.result["status"] == false)
        #expect(output.error?.contains("timed out") == true)
        // Far below the 30 s default; loose, because a loaded 2-core machine can starve the send's thread.
        #expect(elapsed < .seconds(15))
    }

    @Test("cancelling the step aborts a hanging delivery at once")
    func cancellation() async throws {
        let listener = try SilentListener()
        let params = with(["smtp_port": .int(listener.port), "timeout": 60])
        let task = Task { try await send(params) }
        try await listener.waitForConnection()
        let cancelled = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Loose for a loaded 2-core machine; a cancel that did not reach libcurl would wait for the whole timeout.
        #expect(ContinuousClock.now - cancelled < .seconds(8))
    }
}

// MARK: - Against aiosmtpd

@Suite("common.Notify email against aiosmtpd", .needsServer("aiosmtpd and openssl", isInstalled: { SMTPSink.isInstalled }))
struct NotifyEmailDeliveryTests {
    let module = NotifyModule()

    private func send(_ params: JSONObject, context: StepContext = .standalone()) async throws -> ModuleOutput {
        try await module.call("email", params: params, context: context)
    }

    /// A message to `to@example.com` through `sink`, trusting its certificate; `extra` adds or replaces parameters.
    private func params(_ sink: SMTPSink, _ extra: JSONObject = [:]) -> JSONObject {
        var params: JSONObject = [
            "smtp_host": "127.0.0.1", "smtp_port": .int(sink.port), "ca_file": .string(sink.caFile),
            "from_addr": "WorkFlow <workflow@example.com>", "to_addrs": ["to@example.com"],
            "subject": "Nightly report", "body": "All jobs finished.", "timeout": 10,
        ]
        for (key, value) in extra { params[key] = value }
        return params
    }

    @Test("To, Cc and Bcc all get the message over STARTTLS, and no header names the Bcc")
    func recipientsOverStartTLS() async throws {
        try await withSMTPSink { sink in
            let output = try await send(params(sink, [
                "to_addrs": ["to1@example.com", "Second <to2@example.com>"], "cc": ["cc@example.com"],
                "bcc": ["hidden@example.com"],
            ]))
            #expect(output == .success(["status": true, "recipients": 4]))
            let mail = try #require(try sink.messages().first)
            #expect(mail.mailFrom == "workflow@example.com")
            #expect(mail.rcptTos == ["to1@example.com", "to2@example.com", "cc@example.com", "hidden@example.com"])
            #expect(mail.headers["To"] == "to1@example.com, Second <to2@example.com>")
            #expect(mail.headers["Cc"] == "cc@example.com")
            #expect(mail.headers["From"] == "WorkFlow <workflow@example.com>")
            #expect(!mail.headerNames.contains { $0.lowercased() == "bcc" })
            #expect(!mail.raw.contains("hidden@example.com"))
            #expect(mail.headerNames.contains("Date") && mail.headerNames.contains("Message-ID"))
            #expect(mail.tls && mail.starttls)
            #expect(mail.bodyType == "text/plain")
            #expect(mail.body.replacingOccurrences(of: "\r\n", with: "\n") == "All jobs finished.\n")
            #expect(mail.defects.isEmpty)
        }
    }

    @Test("an HTML body with a non-ASCII subject arrives as text/html, text intact")
    func htmlAndUnicode() async throws {
        try await withSMTPSink { sink in
            let html = "<h1>Résumé ✓</h1>\n<p>" + String(repeating: "long line ", count: 30) + "</p>"
            let output = try await send(params(sink, ["subject": "Bericht für Jürgen – 完了", "body": .string(html), "body_type": "html"]))
            #expect(output.result["status"] == true)
            let mail = try #require(try sink.messages().first)
            #expect(mail.headers["Subject"] == "Bericht für Jürgen – 完了")
            #expect(mail.bodyType == "text/html")
            #expect(mail.body.replacingOccurrences(of: "\r\n", with: "\n") == html + "\n")
            #expect(mail.defects.isEmpty)
        }
    }

    @Test("attachments arrive byte for byte, a binary one and one with a non-ASCII name")
    func attachments() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = Data((0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let binaryFile = folder.appendingPathComponent("data.bin")
        try binary.write(to: binaryFile)
        let report = Data("name;amount\r\nÄpfel;3\n.\n".utf8)
        let reportFile = folder.appendingPathComponent("Übersicht März.csv")
        try report.write(to: reportFile)
        try await withSMTPSink { sink in
            let output = try await send(params(sink, ["attachments": .array([.string(binaryFile.path), .string(reportFile.path)])]))
            #expect(output.result["status"] == true)
            let mail = try #require(try sink.messages().first)
            // In a multipart message the line break before the boundary belongs to the boundary.
            #expect(mail.body == "All jobs finished.")
            #expect(mail.attachments.count == 2)
            #expect(mail.attachments.first?.filename == "data.bin")
            #expect(mail.attachments.first?.contentType == "application/octet-stream")
            #expect(mail.attachments.first?.data == binary)
            #expect(mail.attachments.last?.filename == "Übersicht März.csv")
            #expect(mail.attachments.last?.contentType == "text/csv")
            #expect(mail.attachments.last?.data == report)
            #expect(mail.defects.isEmpty)
        }
    }

    @Test("a login with the right password is accepted, and the password is in no log line")
    func loginSucceeds() async throws {
        try await withSMTPSink(login: true) { sink in
            let context = StepContext.standalone()
            let output = try await send(params(sink, ["username": .string(SMTPSink.user), "password": .string(SMTPSink.password)]), context: context)
            #expect(output.result["status"] == true)
            #expect(try sink.messages().first?.authenticated == true)
            let log = context.logger.lines.map(\.message).joined(separator: "\n")
            let plain = Data("\0\(SMTPSink.user)\0\(SMTPSink.password)".utf8).base64EncodedString()
            #expect(log.contains("> AUTH"))
            #expect(!log.contains(SMTPSink.password) && !log.contains(plain))
            #expect(!log.contains(Data(SMTPSink.password.utf8).base64EncodedString()))
        }
    }

    @Test("a wrong password fails with the server's 535 reply in the error")
    func wrongPassword() async throws {
        try await withSMTPSink(login: true) { sink in
            let output = try await send(params(sink, ["username": .string(SMTPSink.user), "password": "wrong"]))
            #expect(output.result["status"] == false)
            #expect(output.error?.contains("535 5.7.8 Authentication credentials invalid") == true)
            #expect(try sink.messages().isEmpty)
        }
    }

    @Test("a refused recipient fails the send with the server's 550 reply in the error")
    func refusedRecipient() async throws {
        try await withSMTPSink(refusing: ["nobody@example.com"]) { sink in
            let output = try await send(params(sink, ["to_addrs": ["to@example.com"], "cc": ["nobody@example.com"]]))
            #expect(output.result["status"] == false)
            #expect(output.error?.contains("550 5.1.1 <nobody@example.com>: user unknown") == true)
            #expect(try sink.messages().isEmpty)
        }
    }

    @Test("ssl: true speaks TLS from the first byte (port given)")
    func implicitTLS() async throws {
        try await withSMTPSink(tls: .implicit) { sink in
            let output = try await send(params(sink, ["ssl": true]))
            #expect(output.result["status"] == true)
            let mail = try #require(try sink.messages().first)
            #expect(mail.tls && !mail.starttls)
        }
    }

    @Test("use_tls fails clearly when the server offers no STARTTLS, and use_tls false sends in the clear")
    func noStartTLS() async throws {
        try await withSMTPSink(tls: .none) { sink in
            let refused = try await send(params(sink))
            #expect(refused.result["status"] == false)
            #expect(refused.error?.contains("the server does not offer STARTTLS") == true)
            #expect(try sink.messages().isEmpty)

            let plain = try await send(params(sink, ["use_tls": false]))
            #expect(plain.result["status"] == true)
            #expect(try sink.messages().first?.tls == false)
        }
    }

    @Test("an untrusted certificate is refused unless verify_ssl is false")
    func certificateVerification() async throws {
        try await withSMTPSink { sink in
            var untrusted = params(sink)
            untrusted.removeValue(forKey: "ca_file")
            let refused = try await send(untrusted)
            #expect(refused.result["status"] == false)
            #expect(refused.error?.contains("certificate is not trusted") == true)

            untrusted["verify_ssl"] = false
            let sent = try await send(untrusted)
            #expect(sent.result["status"] == true)
            #expect(try sink.messages().count == 1)
        }
    }
}

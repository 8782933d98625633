import CCurl
import Foundation
import Synchronization

/// One SMTP delivery on a libcurl easy handle, driven through a multi handle so that it can be
/// woken and aborted from another thread.
///
/// `@unchecked Sendable` because it wraps libcurl handles, which are not thread-safe: exactly one
/// thread runs ``perform()`` and only that thread touches the handles, the buffers and the
/// transcript; other threads only call ``cancel()``, which sets an atomic flag and calls
/// `curl_multi_wakeup` (documented as safe from any thread). The handles live until `deinit`,
/// so a late `cancel()` never wakes a freed handle.
final class CurlSMTPTransfer: @unchecked Sendable {
    enum Outcome: Sendable {
        case sent(transcript: [String])
        case failed(SMTPError)
        case cancelled
    }

    /// Lines of the conversation kept for the log; the rest is counted, not kept.
    static let transcriptLimit = 200

    private let server: SMTPServer
    private let easy: UnsafeMutableRawPointer
    private let multi: UnsafeMutableRawPointer
    private var recipientList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let content: [UInt8]
    private var sentBytes = 0
    private let cancelled = Atomic<Bool>(false)

    private var transcript: [String] = []
    private var droppedLines = 0
    /// The server's latest refusal (4xx or 5xx), forgotten when a later command succeeds.
    private var refusal: String?
    /// While the server answers `334` (an AUTH challenge), what the client sends is a credential.
    private var inAuthExchange = false

    init(server: SMTPServer, from: String, recipients: [String], content: Data) throws(SMTPError) {
        _ = CurlGlobal.initialized
        guard let easy = curl_easy_init() else { throw Self.setupError("libcurl could not create a transfer") }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(easy)
            throw Self.setupError("libcurl could not create a transfer")
        }
        self.server = server
        self.easy = easy
        self.multi = multi
        self.content = Array(content)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        for recipient in recipients {
            recipientList = curl_slist_append(recipientList, "<\(recipient)>")
        }
        try configure(from: from)
    }

    deinit {
        curl_multi_cleanup(multi)
        curl_easy_cleanup(easy)
        curl_slist_free_all(recipientList)
        errorBuffer.deallocate()
    }

    /// Aborts a running or future ``perform()``; callable from any thread.
    func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        curl_multi_wakeup(multi)
    }

    fileprivate var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }

    /// Runs the whole SMTP conversation; blocks the calling thread until it ends.
    func perform() -> Outcome {
        if isCancelled { return .cancelled }
        guard curl_multi_add_handle(multi, easy) == CURLM_OK else {
            return .failed(Self.setupError("libcurl could not start the transfer"))
        }
        defer { curl_multi_remove_handle(multi, easy) }
        var running: Int32 = 1
        while running > 0 {
            var status = curl_multi_perform(multi, &running)
            if status == CURLM_OK, running > 0 {
                // Wakes on socket activity, curl's timers, or cancel(), after which the progress
                // callback makes curl abort. (Removing the handle instead would not do: for an
                // upload, libcurl's SMTP code then sends the end of the data and blocks for the reply.)
                status = curl_multi_poll(multi, nil, 0, 1000, nil)
            }
            guard status == CURLM_OK else {
                return .failed(Self.setupError("libcurl failed: \(String(cString: curl_multi_strerror(status)))"))
            }
        }
        if isCancelled { return .cancelled }
        var result = CURLE_OK
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE { result = wf_curl_message_result(message) }
        }
        guard result == CURLE_OK else { return .failed(failure(result)) }
        return .sent(transcript: finishedTranscript())
    }

    // MARK: Options

    private func configure(from: String) throws(SMTPError) {
        let url = "\(server.displayURL)/\(server.clientName)"
        try set(CURLOPT_URL, url)
        try set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try set(CURLOPT_MAIL_FROM, "<\(from)>")
        try check(wf_curl_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipientList))
        try set(CURLOPT_UPLOAD, 1)
        try set(CURLOPT_NOSIGNAL, 1)
        let milliseconds = max(1, server.timeout.wholeMillisecondsRoundedUp)
        try set(CURLOPT_TIMEOUT_MS, milliseconds)
        try set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        // The connection is closed (QUIT sent) when the transfer ends, on the SMTP thread and within
        // the timeout, rather than cached and closed later by curl_multi_cleanup wherever the last
        // reference goes, waiting up to curl's default 120 s for the answer to QUIT.
        try set(CURLOPT_FORBID_REUSE, 1)
        try set(CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, (milliseconds + 999) / 1000))
        switch server.security {
        case .none: try set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        case .startTLS: try set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .implicitTLS: break
        }
        try set(CURLOPT_SSL_VERIFYPEER, server.verifiesCertificate ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, server.verifiesCertificate ? 2 : 0)
        if let caFile = server.caFile { try set(CURLOPT_CAINFO, caFile) }
        if let username = server.username, let password = server.password {
            try set(CURLOPT_USERNAME, username)
            try set(CURLOPT_PASSWORD, password)
        }
        try check(wf_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(wf_curl_setopt_read_callback(easy, curlRead))
        try check(wf_curl_setopt_pointer(easy, CURLOPT_READDATA, me))
        // Verbose output goes to the debug callback only; it is how the server's replies are seen.
        try check(wf_curl_setopt_debug_callback(easy, curlDebug))
        try check(wf_curl_setopt_pointer(easy, CURLOPT_DEBUGDATA, me))
        try set(CURLOPT_VERBOSE, 1)
        // The progress callback runs in every state of the transfer; it is how a cancel takes effect.
        try check(wf_curl_setopt_xferinfo_callback(easy, curlProgress))
        try check(wf_curl_setopt_pointer(easy, CURLOPT_XFERINFODATA, me))
        try set(CURLOPT_NOPROGRESS, 0)
    }

    private func set(_ option: CURLoption, _ value: Int) throws(SMTPError) {
        try check(wf_curl_setopt_long(easy, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws(SMTPError) {
        // libcurl copies string options, so the temporary C string may go away afterwards.
        try check(value.withCString { wf_curl_setopt_string(easy, option, $0) })
    }

    private func check(_ code: CURLcode) throws(SMTPError) {
        guard code == CURLE_OK else {
            throw Self.setupError("libcurl refused an option: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private static func setupError(_ reason: String) -> SMTPError {
        SMTPError(kind: .other, reason: reason, serverReply: nil, transcript: [])
    }

    // MARK: Callbacks (run on the performing thread)

    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, content.count - sentBytes)
        guard count > 0 else { return 0 }
        content.withUnsafeBufferPointer { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + sentBytes, byteCount: count)
        }
        sentBytes += count
        return count
    }

    fileprivate func record(_ type: curl_infotype, _ data: UnsafeMutablePointer<CChar>, _ size: Int) {
        let prefix: String
        switch type {
        case CURLINFO_HEADER_IN: prefix = "< "
        case CURLINFO_HEADER_OUT: prefix = "> "
        case CURLINFO_TEXT: prefix = "* "
        default: return  // the message itself and TLS records
        }
        let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            var shown = String(line)
            switch type {
            case CURLINFO_HEADER_IN:
                if shown.hasPrefix("4") || shown.hasPrefix("5") {
                    refusal = shown
                } else if !shown.hasPrefix("221") {
                    // 221 answers the QUIT libcurl sends after a refusal; it must not hide the refusal.
                    refusal = nil
                }
                inAuthExchange = shown.hasPrefix("334")
            case CURLINFO_HEADER_OUT:
                shown = Self.redacted(shown, inAuthExchange: inAuthExchange)
            default:
                // "TLSv1.3 (IN), TLS handshake, ...", a line per handshake message, says nothing useful.
                if shown.hasPrefix("TLSv") { continue }
            }
            if transcript.count < Self.transcriptLimit { transcript.append(prefix + shown) } else { droppedLines += 1 }
        }
    }

    /// A client line with any credential replaced: `AUTH PLAIN <base64>` and the answers to
    /// `334` challenges (AUTH LOGIN's user name and password) carry them.
    static func redacted(_ line: String, inAuthExchange: Bool) -> String {
        if inAuthExchange { return "******" }
        let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count > 2, words[0].uppercased() == "AUTH" else { return line }
        return "\(words[0]) \(words[1]) ******"
    }

    private func finishedTranscript() -> [String] {
        droppedLines > 0 ? transcript + ["(\(droppedLines) more lines not kept)"] : transcript
    }

    private func failure(_ code: CURLcode) -> SMTPError {
        let buffered = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        var reason = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        if reason.hasSuffix(".") { reason.removeLast() }
        let kind: SMTPError.Kind
        switch code {
        case CURLE_USE_SSL_FAILED: kind = .startTLSUnavailable
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: kind = .certificateRejected
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST: kind = .couldNotConnect
        default: kind = .other
        }
        return SMTPError(kind: kind, reason: reason, serverReply: refusal, transcript: finishedTranscript())
    }
}

/// libcurl's process-wide setup, done once, before the first transfer, by whichever thread comes first.
private enum CurlGlobal {
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}

private func curlRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    return Unmanaged<CurlSMTPTransfer>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: size * count)
}

private func curlProgress(
    _ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t, _ uploadTotal: curl_off_t,
    _ uploaded: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<CurlSMTPTransfer>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
}

private func curlDebug(
    _ handle: UnsafeMutableRawPointer?, _ type: curl_infotype, _ data: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let data, let context else { return 0 }
    Unmanaged<CurlSMTPTransfer>.fromOpaque(context).takeUnretainedValue().record(type, data, size)
    return 0
}

extension Duration {
    /// Whole milliseconds, a fraction counting as one more.
    fileprivate var wholeMillisecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        let milliseconds = attoseconds / 1_000_000_000_000_000
        let rest = attoseconds % 1_000_000_000_000_000
        return Int(min(seconds, Int64(Int.max / 1000 - 1))) * 1000 + Int(milliseconds) + (rest > 0 ? 1 : 0)
    }
}

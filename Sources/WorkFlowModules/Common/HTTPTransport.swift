import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import WorkFlowEngine

/// One outgoing HTTP request as `common.Http` and `common.Notify.webhook` describe it.
struct OutboundRequest: Sendable {
    var method: HTTPMethod
    var url: URL
    var headers: [(name: String, value: String)] = []
    var body: [UInt8]?
    var timeout: Duration
    var verifyTLS = true
    /// A PEM file of certificate authorities to trust instead of the system's.
    var caFile: String?
    var followRedirects = true
}

/// What came back: the final response after any redirects.
struct InboundResponse: Sendable {
    var statusCode: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// The URL that answered (differs from the request's after redirects).
    var url: URL
}

/// Why no response came back, in words a workflow author can act on.
struct TransportFailure: Error, CustomStringConvertible {
    var description: String
}

/// Sends requests through one HTTP client shared by every step of the process.
///
/// The client is built once and never shut down: connections are pooled across steps and runs,
/// which is the point (a client per call would pay a TCP and TLS handshake each time). Redirects
/// are followed here rather than by the client, so `follow_redirects` can differ per request.
enum HTTPTransport {
    /// The most redirects followed before giving up (the same as Python requests' 30).
    static let maxRedirects = 30
    /// The largest response body kept; a bigger one fails the call rather than exhausting memory.
    static let maxResponseBytes = 64 << 20

    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .size(maxResponseBytes))
        configuration.timeout = .init(connect: .seconds(30))
        // A refused or unresolvable address fails the call at once instead of being retried until its deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Sends `request`, following redirects when asked, within the request's timeout overall.
    static func send(_ request: OutboundRequest) async throws(TransportFailure) -> InboundResponse {
        // Timeouts are at most a week (ParameterReader.timeoutSeconds), far from overflowing.
        let deadline = NIODeadline.now() + .nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000
            + request.timeout.components.attoseconds / 1_000_000_000)
        let tls = try tlsConfiguration(for: request)
        var current = request
        var visited: Set<String> = []
        for _ in 0...maxRedirects {
            let response = try await exchange(current, tls: tls, deadline: deadline)
            guard request.followRedirects, let next = redirect(from: current, to: response) else { return response }
            visited.insert(current.url.absoluteString)
            if visited.contains(next.url.absoluteString) {
                throw TransportFailure(description: "redirect loop: \(next.url.absoluteString) was already visited")
            }
            current = next
        }
        throw TransportFailure(description: "more than \(maxRedirects) redirects, the last to \(current.url.absoluteString)")
    }

    private static func exchange(
        _ request: OutboundRequest, tls: TLSConfiguration?, deadline: NIODeadline
    ) async throws(TransportFailure) -> InboundResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = request.method
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        outgoing.tlsConfiguration = tls
        do {
            let response = try await client.execute(outgoing, deadline: deadline)
            let collected: ByteBuffer
            do {
                collected = try await response.body.collect(upTo: maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw TransportFailure(description: "the response body is larger than \(maxResponseBytes >> 20) MiB")
            }
            return InboundResponse(
                statusCode: Int(response.status.code), reason: response.status.reasonPhrase,
                headers: response.headers.map { ($0.name, $0.value) }, body: Array(collected.readableBytesView), url: request.url)
        } catch let failure as TransportFailure {
            throw failure
        } catch {
            throw TransportFailure(description: describe(error, request: request))
        }
    }

    /// The request a redirect leads to, or nil when `response` is not one to follow.
    ///
    /// As browsers and Python requests do: 303 (and 301/302 after a POST) become a body-less GET;
    /// 307/308 repeat the request as it was; credentials are not sent to another host.
    private static func redirect(from request: OutboundRequest, to response: InboundResponse) -> OutboundRequest? {
        guard [301, 302, 303, 307, 308].contains(response.statusCode),
            let location = response.headers.first(where: { $0.name.lowercased() == "location" })?.value,
            let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return nil }
        var next = request
        next.url = target
        let becomesGet = response.statusCode == 303 && request.method != .HEAD
            || (response.statusCode == 301 || response.statusCode == 302) && request.method == .POST
        if becomesGet {
            next.method = .GET
            next.body = nil
            next.headers.removeAll { ["content-type", "content-length", "transfer-encoding"].contains($0.name.lowercased()) }
        }
        if !keepsCredentials(from: request.url, to: target) {
            next.headers.removeAll { ["authorization", "cookie"].contains($0.name.lowercased()) }
        }
        return next
    }

    /// Credentials follow a redirect only to the same origin, or from http to https on the same
    /// host with default ports (never from https down to http, never to another host or port).
    private static func keepsCredentials(from source: URL, to target: URL) -> Bool {
        guard source.host?.lowercased() == target.host?.lowercased() else { return false }
        let from = source.scheme?.lowercased() ?? "", to = target.scheme?.lowercased() ?? ""
        func port(_ url: URL, _ scheme: String) -> Int { url.port ?? (scheme == "https" ? 443 : 80) }
        if from == to { return port(source, from) == port(target, to) }
        return from == "http" && to == "https" && source.port == nil && target.port == nil
    }

    private static func tlsConfiguration(for request: OutboundRequest) throws(TransportFailure) -> TLSConfiguration? {
        guard !request.verifyTLS || request.caFile != nil else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if !request.verifyTLS {
            tls.certificateVerification = .none
        } else if let caFile = request.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw TransportFailure(description: "ca_file '\(caFile)' does not exist or cannot be read")
            }
            tls.trustRoots = .file(caFile)
        }
        return tls
    }

    /// Turns the client's and NIO's errors into a sentence naming what failed and where.
    static func describe(_ error: any Error, request: OutboundRequest) -> String {
        let host = request.url.host ?? "?"
        let port = request.url.port ?? (request.url.scheme?.lowercased() == "https" ? 443 : 80)
        let seconds = Double(request.timeout.components.seconds) + Double(request.timeout.components.attoseconds) / 1e18
        let limit = seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout:
                return "timed out after \(limit) waiting for \(host):\(port)"
            case .remoteConnectionClosed:
                return "\(host):\(port) closed the connection before answering"
            case .cancelled:
                return "the request was cancelled"
            default:
                return "HTTP client error: \(client)"
            }
        }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil, connection.connectionErrors.isEmpty {
                return "could not resolve host '\(host)'"
            }
            if let first = connection.connectionErrors.first {
                return "cannot connect to \(host):\(port): \(describeSocketError(first.error))"
            }
            return "cannot connect to \(host):\(port)"
        }
        if let ssl = error as? NIOSSLError {
            return "TLS handshake with \(host):\(port) failed: \(describeTLS(ssl))"
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "TLS handshake with \(host):\(port) failed: the certificate is not valid for '\(host)'"
        }
        if let socket = error as? IOError {
            return "cannot connect to \(host):\(port): \(describeSocketError(socket))"
        }
        if error is CancellationError { return "the request was cancelled" }
        return "request to \(host):\(port) failed: \(error)"
    }

    /// BoringSSL's reason codes (`CERTIFICATE_VERIFY_FAILED`) in words, with a hint for the common one.
    private static func describeTLS(_ error: NIOSSLError) -> String {
        let text = "\(error)"
        var reasons: [String] = []
        var rest = Substring(text)
        while let marker = rest.range(of: "OPENSSL_internal:") {
            let reason = rest[marker.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            reasons.append(reason.lowercased().replacingOccurrences(of: "_", with: " "))
            rest = rest[marker.upperBound...]
        }
        guard !reasons.isEmpty else { return text }
        let described = reasons.joined(separator: "; ")
        if described.contains("certificate verify failed") {
            return described + " (the server's certificate is not trusted: give ca_file, or set verify_ssl to false)"
        }
        return described
    }

    private static func describeSocketError(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH: return "network unreachable"
            case EHOSTUNREACH: return "host unreachable"
            case ETIMEDOUT: return "connection timed out"
            default: return String(cString: strerror(io.errnoCode))
            }
        }
        return "\(error)"
    }
}

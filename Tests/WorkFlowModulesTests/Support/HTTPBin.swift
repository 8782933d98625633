import Foundation
import Testing

/// A local httpbin (the PyPI package's WSGI app under gunicorn) for the HTTP modules' tests:
/// one plain listener and one HTTPS listener with a throwaway self-signed certificate for
/// 127.0.0.1, started once for a suite by the `.httpbin` trait.
struct HTTPBin: Sendable {
    let base: String
    let tlsBase: String
    /// The PEM of the HTTPS listener's self-signed certificate (a CA file that trusts it).
    let certificateFile: String

    /// The servers of the suite being run; set by the `.httpbin` trait.
    @TaskLocal static var current: HTTPBin?

    static func require() throws -> HTTPBin {
        try #require(current, "the suite needs the .httpbin trait")
    }

    static var isInstalled: Bool {
        IntegrationServers.venvProgram("gunicorn") != nil && IntegrationServers.executable("/usr/bin/openssl") != nil
    }

    /// Starts both listeners, runs `body`, and stops them on every way out.
    static func withServers(_ body: (HTTPBin) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-httpbin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificate = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        try await runTool("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
        ])
        let gunicorn = try #require(IntegrationServers.venvProgram("gunicorn"))
        // Threads, so a test waiting on /delay does not hold up the others.
        let common = ["--workers", "1", "--threads", "16", "--worker-class", "gthread", "--graceful-timeout", "1", "httpbin:app"]
        let plainPort = try freeLocalPort()
        try await withLocalServer({
            try await LocalServer.start("httpbin", executable: gunicorn, arguments: ["--bind", "127.0.0.1:\(plainPort)"] + common, port: plainPort)
        }) { _ in
            let tlsPort = try freeLocalPort()
            try await withLocalServer({
                try await LocalServer.start(
                    "httpbin-tls", executable: gunicorn,
                    arguments: ["--bind", "127.0.0.1:\(tlsPort)", "--certfile", certificate, "--keyfile", key] + common, port: tlsPort)
            }) { _ in
                try await body(HTTPBin(base: "http://127.0.0.1:\(plainPort)", tlsBase: "https://127.0.0.1:\(tlsPort)", certificateFile: certificate))
            }
        }
    }
}

/// Starts httpbin once for the suite it marks (and skips or fails the suite when it is missing).
struct HTTPBinTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await HTTPBin.withServers { servers in
            try await HTTPBin.$current.withValue(servers) { try await function() }
        }
    }
}

extension Trait where Self == HTTPBinTrait {
    static var httpbin: Self { HTTPBinTrait() }
}

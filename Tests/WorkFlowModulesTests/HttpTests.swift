import Foundation
import Testing
import WorkFlowEngine
import WorkFlowModules

@Suite(
    "common.Http and common.Notify.webhook against a local httpbin",
    .needsServer("httpbin under gunicorn (the test venv) and openssl") { HTTPBin.isInstalled }, .httpbin)
struct HttpTests {
    private func call(_ method: String, _ params: JSONObject) async throws -> ModuleOutput {
        try await HttpModule().call(method, params: params, context: .standalone())
    }

    private var server: HTTPBin {
        get throws { try HTTPBin.require() }
    }

    @Test("GET sends headers and query parameters and parses the JSON answer")
    func getWithHeadersAndQuery() async throws {
        let output = try await call("get", [
            "url": .string(try server.base + "/get?fixed=1"),
            "headers": ["X-Workflow-Test": "yes", "X-Number": 7],
            "params": ["q": "a b&c", "tag": ["x", "y"], "flag": true, "skipped": nil],
        ])
        #expect(output.error == nil)
        #expect(output.result["status"] == true)
        #expect(output.result["status_code"] == 200)
        let data = try #require(output.result["data"])
        // httpbin answers with sorted keys.
        #expect(data["args"] == ["fixed": "1", "flag": "True", "q": "a b&c", "tag": ["x", "y"]])
        #expect(data["headers"]?["X-Workflow-Test"] == "yes")
        #expect(data["headers"]?["X-Number"] == "7")
        #expect(output.result["headers"]?["Content-Type"] == "application/json")
    }

    @Test("POST sends json in preference to data, with a JSON content type")
    func postJSON() async throws {
        let body: JSONValue = ["count": 3, "items": [1, 2.5, nil, true], "name": "Zoë"]
        let output = try await call("post", ["url": .string(try server.base + "/post"), "json": body, "data": ["ignored": "yes"]])
        #expect(output.result["status"] == true)
        #expect(output.result["data"]?["json"] == body)
        #expect(output.result["data"]?["form"] == [:])
        #expect(output.result["data"]?["headers"]?["Content-Type"] == "application/json")
    }

    @Test("POST sends an object of data as form fields and a string as the raw body")
    func postFormAndRaw() async throws {
        let form = try await call("post", ["url": .string(try server.base + "/post"), "data": ["a": "1 2", "b": ["x", "y"]]])
        #expect(form.result["data"]?["form"] == ["a": "1 2", "b": ["x", "y"]])
        let raw = try await call("post", [
            "url": .string(try server.base + "/post"), "data": "plain text body", "headers": ["Content-Type": "text/plain"],
        ])
        #expect(raw.result["data"]?["data"] == "plain text body")
        #expect(raw.result["data"]?["headers"]?["Content-Type"] == "text/plain")
    }

    @Test("PUT, PATCH and DELETE reach their routes with their bodies", arguments: ["put", "patch", "delete"])
    func otherVerbs(method: String) async throws {
        let output = try await call(method, ["url": .string(try server.base + "/" + method), "json": ["verb": .string(method)]])
        #expect(output.result["status_code"] == 200)
        #expect(output.result["data"]?["json"] == ["verb": .string(method)])
    }

    @Test("HEAD returns the status and headers with empty data")
    func head() async throws {
        let output = try await call("head", ["url": .string(try server.base + "/get")])
        #expect(output.result["status"] == true)
        #expect(output.result["data"] == "")
        #expect(output.result["headers"]?["Content-Type"] == "application/json")
    }

    @Test("basic auth and bearer tokens are sent; a wrong password fails with the 401")
    func authentication() async throws {
        let url = try server.base + "/basic-auth/ops/s3cret"
        let good = try await call("get", ["url": .string(url), "auth": ["username": "ops", "password": "s3cret"]])
        #expect(good.result["status"] == true)
        #expect(good.result["data"]?["authenticated"] == true)

        let bad = try await call("get", ["url": .string(url), "auth": ["username": "ops", "password": "wrong"]])
        #expect(bad.result["status"] == false)
        #expect(bad.result["status_code"] == 401)
        #expect(bad.error == "HTTP 401 Unauthorized from GET \(url)")

        let bearer = try await call("get", ["url": .string(try server.base + "/bearer"), "auth": ["bearer": "token-123"]])
        #expect(bearer.result["data"]?["token"] == "token-123")
    }

    @Test("a 4xx or 5xx answer fails the step but keeps the status code and body")
    func errorStatus() async throws {
        let output = try await call("get", ["url": .string(try server.base + "/status/418")])
        #expect(output.result["status"] == false)
        #expect(output.result["status_code"] == 418)
        #expect(output.result["data"]?.stringValue?.contains("teapot") == true)
        #expect(output.error?.hasPrefix("HTTP 418") == true)
    }

    @Test("a text answer comes back as text")
    func textAnswer() async throws {
        let output = try await call("get", ["url": .string(try server.base + "/html")])
        #expect(output.result["data"]?.stringValue?.contains("<h1>Herman Melville - Moby-Dick</h1>") == true)
    }

    @Test("repeated response headers are joined with commas")
    func repeatedHeaders() async throws {
        let output = try await call("get", ["url": .string(try server.base + "/response-headers"), "params": ["X-Multi": ["a", "b"]]])
        #expect(output.result["headers"]?["X-Multi"] == "a, b")
    }

    @Test("redirects are followed unless follow_redirects is false; 307 keeps the method and body")
    func redirects() async throws {
        let followed = try await call("get", ["url": .string(try server.base + "/redirect/3")])
        #expect(followed.result["status_code"] == 200)
        #expect(followed.result["data"]?["url"] == .string(try server.base + "/get"))

        let kept = try await call("get", ["url": .string(try server.base + "/redirect/1"), "follow_redirects": false])
        #expect(kept.result["status_code"] == 302)
        #expect(kept.result["headers"]?["Location"] == "/get")

        let target = try server.base + "/post"
        let repeated = try await call("post", [
            "url": .string(try server.base + "/redirect-to"), "params": ["url": .string(target), "status_code": 307],
            "json": ["kept": true],
        ])
        #expect(repeated.result["status_code"] == 200)
        #expect(repeated.result["data"]?["json"] == ["kept": true])
    }

    @Test("credentials do not follow a redirect to another port or down from https to http")
    func redirectDropsCredentials() async throws {
        let plain = try server.base + "/headers"
        let sameOrigin = try await call("get", [
            "url": .string(try server.base + "/redirect-to"), "params": ["url": "/headers"], "auth": ["bearer": "kept-token"],
        ])
        #expect(sameOrigin.result["data"]?["headers"]?["Authorization"] == "Bearer kept-token")
        let downgraded = try await call("get", [
            "url": .string(try server.tlsBase + "/redirect-to"), "params": ["url": .string(plain)], "verify_ssl": false,
            "auth": ["bearer": "secret-token"], "headers": ["Cookie": "session=1"],
        ])
        #expect(downgraded.result["status_code"] == 200)
        #expect(downgraded.result["data"]?["headers"]?["Authorization"] == nil)
        #expect(downgraded.result["data"]?["headers"]?["Cookie"] == nil)
    }

    @Test("the logged URL hides its password and secret query values")
    func loggedURLIsRedacted() async throws {
        let context = StepContext.standalone()
        let base = try server.base.replacingOccurrences(of: "http://", with: "http://ops:hunter22@")
        _ = try await HttpModule().call("get", params: ["url": .string(base + "/get"), "params": ["token": "abc123", "page": 2]], context: context)
        let logged = context.logger.lines.map(\.message).joined(separator: "\n")
        #expect(!logged.contains("hunter22") && !logged.contains("abc123"))
        #expect(logged.contains("token=******") && logged.contains("page=2"))
    }

    @Test("an answer slower than the timeout fails with status_code 0 and says it timed out")
    func timeout() async throws {
        // The answer would come after 10 s with status 200, so a timeout result proves the limit held.
        let url = try server.base + "/delay/10"
        let started = ContinuousClock.now
        let output = try await call("get", ["url": .string(url), "timeout": 1])
        #expect(ContinuousClock.now - started < .seconds(9))
        #expect(output.result == ["status": false, "status_code": 0, "data": nil, "headers": [:], "error": output.result["error"] ?? nil])
        #expect(output.error == "timed out after 1 s waiting for 127.0.0.1:\(URL(string: url)!.port!)")
    }

    @Test("a refused port fails at once and says the connection was refused")
    func refused() async throws {
        let port = try freeLocalPort()
        let started = ContinuousClock.now
        let output = try await call("get", ["url": .string("http://127.0.0.1:\(port)/get"), "timeout": 20])
        // Not retried until the 20 s deadline.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(output.result["status"] == false)
        #expect(output.result["status_code"] == 0)
        #expect(output.error == "cannot connect to 127.0.0.1:\(port): connection refused")
        #expect(output.result["error"] == .string(output.error ?? ""))
    }

    @Test("a host name that cannot be resolved says so")
    func unresolvable() async throws {
        // A 64-character label is not a valid DNS name: the resolver refuses it without asking any
        // server, so this test sends nothing off the machine.
        let host = String(repeating: "a", count: 64) + ".invalid"
        let output = try await call("get", ["url": .string("http://\(host)/"), "timeout": 5])
        #expect(output.result["status_code"] == 0)
        #expect(output.error?.hasPrefix("could not resolve host '\(host)'") == true)
    }

    @Test("HTTPS with a self-signed certificate fails verification unless verify_ssl is false or ca_file trusts it")
    func selfSignedTLS() async throws {
        let url = try server.tlsBase + "/get"
        let verified = try await call("get", ["url": .string(url)])
        #expect(verified.result["status_code"] == 0)
        #expect(verified.error == "TLS handshake with 127.0.0.1:\(URL(string: url)!.port!) failed: certificate verify failed (the server's certificate is not trusted: give ca_file, or set verify_ssl to false)")

        let unverified = try await call("get", ["url": .string(url), "verify_ssl": false])
        #expect(unverified.result["status_code"] == 200)

        let trusted = try await call("get", ["url": .string(url), "ca_file": .string(try server.certificateFile)])
        #expect(trusted.result["status_code"] == 200)

        let missing = try await call("get", ["url": .string(url), "ca_file": "/nonexistent/ca.pem"])
        #expect(missing.error == "ca_file '/nonexistent/ca.pem' does not exist or cannot be read")
    }

    @Test("cancelling the run stops a request that is still waiting, as a cancellation")
    func cancellation() async throws {
        let url = try server.base + "/delay/10"
        let started = ContinuousClock.now
        let task = Task { try await call("get", ["url": .string(url)]) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(9))
    }

    @Test("in a workflow, one answer feeds the next step's webhook, and a 404 fails its step with the status line")
    func workflow() async throws {
        let base = try server.base
        let workflow = try Workflow(json: """
            {"procedures": [
              {"name": "fetch", "mod": "common.Http", "method": "get", "params": {"url": "\(base)/get", "params": {"build": 7}}},
              {"name": "notify", "mod": "common.Notify", "method": "webhook", "params": {"url": "\(base)/post", "body": "@fetch.data.args"}},
              {"name": "missing", "mod": "common.Http", "method": "get", "on_error": "continue", "params": {"url": "\(base)/status/404"}}
            ]}
            """)
        let result = try await Executor(registry: BuiltinModules.registry()).run(workflow)
        #expect(result.status == .success)
        let steps = Dictionary(uniqueKeysWithValues: result.steps.map { ($0.name, $0) })
        #expect(steps["notify"]?.result?["data"]?["json"] == ["build": "7"])
        #expect(steps["missing"]?.status == .failed)
        #expect(steps["missing"]?.error == "HTTP 404 Not Found from GET \(base)/status/404")
        #expect(steps["missing"]?.result?["status_code"] == 404)
    }

    @Test("webhook posts the body as JSON and returns the answer's status code and body")
    func webhook() async throws {
        let body: JSONValue = ["ok": true, "text": "deploy finished"]
        let posted = try await NotifyModule().call(
            "webhook", params: ["url": .string(try server.base + "/post"), "body": body, "headers": ["X-Hook": "1"]], context: .standalone())
        #expect(posted.error == nil)
        #expect(posted.result["status"] == true)
        #expect(posted.result["status_code"] == 200)
        #expect(posted.result["data"]?["json"] == body)
        #expect(posted.result["data"]?["headers"]?["X-Hook"] == "1")
        #expect(posted.result["headers"] == nil)

        let put = try await NotifyModule().call(
            "webhook", params: ["url": .string(try server.base + "/put"), "body": [1, 2], "method": "put"], context: .standalone())
        #expect(put.result["data"]?["json"] == [1, 2])

        let failing = try await NotifyModule().call(
            "webhook", params: ["url": .string(try server.base + "/status/503"), "body": [:]], context: .standalone())
        #expect(failing.result["status"] == false)
        #expect(failing.result["status_code"] == 503)
        #expect(failing.error?.hasPrefix("HTTP 503") == true)
    }
}

@Suite("common.Http parameters")
struct HttpParameterTests {
    private func refusal(_ params: JSONObject) async -> ParameterError? {
        await #expect(throws: ParameterError.self) {
            try await HttpModule().call("get", params: params, context: .standalone())
        }
    }

    @Test("a missing or non-HTTP url is refused naming url")
    func url() async {
        #expect(await refusal([:]) == ParameterError(path: "url", message: "is required"))
        #expect(await refusal(["url": "ftp://example.com/x"])?.path == "url")
        #expect(await refusal(["url": "not a url"])?.path == "url")
    }

    @Test("bad headers, auth, data and timeout name the field")
    func otherFields() async {
        #expect(await refusal(["url": "http://127.0.0.1/", "headers": ["X-A": "a\r\nX-Injected: 1"]])?.path == "headers.X-A")
        #expect(await refusal(["url": "http://127.0.0.1/", "headers": ["X-A": ["list"]]])?.path == "headers.X-A")
        #expect(await refusal(["url": "http://127.0.0.1/", "auth": ["username": "u"]])?.path == "auth.password")
        #expect(await refusal(["url": "http://127.0.0.1/", "auth": ["bearer": ""]])?.path == "auth.bearer")
        #expect(await refusal(["url": "http://127.0.0.1/", "data": 5])?.path == "data")
        #expect(await refusal(["url": "http://127.0.0.1/", "params": ["a": ["nested": 1]]])?.path == "params.a")
        #expect(await refusal(["url": "http://127.0.0.1/", "timeout": 0])?.path == "timeout")
        #expect(await refusal(["url": "http://127.0.0.1/", "timeout": 1e10])?.path == "timeout")
        #expect(await refusal(["url": "http://127.0.0.1/", "verify_ssl": "maybe"])?.path == "verify_ssl")
    }

    @Test("webhook needs a body and a known method")
    func webhookFields() async {
        let missing = await #expect(throws: ParameterError.self) {
            try await NotifyModule().call("webhook", params: ["url": "http://127.0.0.1/"], context: .standalone())
        }
        #expect(missing?.path == "body")
        let method = await #expect(throws: ParameterError.self) {
            try await NotifyModule().call("webhook", params: ["url": "http://127.0.0.1/", "body": [:], "method": "TRACE"], context: .standalone())
        }
        #expect(method?.path == "method")
    }

    @Test("the descriptor lists the six verbs with the shared parameters")
    func descriptor() {
        let descriptor = HttpModule().descriptor
        #expect(descriptor.methods.map(\.name) == ["get", "post", "put", "delete", "patch", "head"])
        #expect(descriptor.methods[0].parameters.map(\.name) == [
            "url", "headers", "params", "json", "data", "timeout", "auth", "verify_ssl", "ca_file", "follow_redirects",
        ])
    }
}

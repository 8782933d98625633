import Crypto
import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("webhooks")
struct WebhookAPITests {
    /// Greets `who`, an input that must be a string.
    static let document: JSONValue = [
        "procedures": helloSteps, "variables": ["who": "ops"], "inputs": ["who": ["type": "string"]],
    ]
    static let hooks = "/api/v1/flows/hello/webhooks"

    static func withFlow(_ body: @escaping @Sendable (Client, ServerHarness) async throws -> Void) async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let r = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": document])
            #expect(r.status == .created)
            try await body(client, harness)
        }
    }

    /// Calls a webhook without credentials, optionally signed.
    static func call(
        _ client: Client, _ url: String, body: String? = nil, signature: String? = nil
    ) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let signature { headers[HTTPField.Name(WebhookSignature.headerName)!] = signature }
        return try await client.send(.post, url, as: .nobody, body: body, headers: headers)
    }

    @Test("create, list, show, change, rotate and delete; the URL and secret are shown once")
    func lifecycle() async throws {
        try await Self.withFlow { client, _ in
            var r = try await client.send(.post, Self.hooks, json: ["name": "github"])
            #expect(r.status == .created, "\(r.text)")
            #expect(r.json["name"] == "github")
            #expect(r.json["flow"] == "hello")
            #expect(r.json["enabled"] == true)
            #expect(r.json["hmac"] == false)
            #expect(r.json["secret"] == nil)
            #expect(r.json["last_called_at"] == .null)
            let url = try #require(r.json["url"]?.stringValue)
            #expect(url.hasPrefix("/hooks/wfh_") && url.count == "/hooks/wfh_".count + 40)
            let prefix = try #require(r.json["token_prefix"]?.stringValue)
            #expect(url.dropFirst("/hooks/".count).hasPrefix(prefix))

            r = try await client.send(.post, Self.hooks, json: ["name": "signed", "hmac": true, "enabled": false])
            #expect(r.status == .created)
            #expect(r.json["hmac"] == true)
            #expect(r.json["enabled"] == false)
            #expect(r.json["secret"]?.stringValue?.count == 40)

            r = try await client.send(.get, Self.hooks)
            #expect(r.status == .ok)
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["github", "signed"])
            #expect(r.json["items"]?.arrayValue?.allSatisfy { $0["url"] == nil && $0["secret"] == nil } == true)
            r = try await client.send(.get, "\(Self.hooks)/github")
            #expect(r.json["name"] == "github")
            #expect(r.json["url"] == nil)

            r = try await client.send(.put, "\(Self.hooks)/github", json: ["name": "gh", "enabled": false])
            #expect(r.status == .ok)
            #expect(r.json["name"] == "gh")
            #expect(r.json["enabled"] == false)
            #expect(r.json["url"] == nil && r.json["secret"] == nil)
            r = try await client.send(.put, "\(Self.hooks)/gh", json: ["hmac": true, "enabled": true])
            #expect(r.json["hmac"] == true)
            let secret = try #require(r.json["secret"]?.stringValue)
            r = try await client.send(.put, "\(Self.hooks)/gh", json: ["hmac": true])
            #expect(r.json["secret"] == nil, "a webhook that has a secret keeps it")
            r = try await client.send(.put, "\(Self.hooks)/gh", json: [:])
            #expect(r.status == .ok)

            r = try await client.send(.post, "\(Self.hooks)/gh/rotate")
            #expect(r.status == .ok)
            let rotated = try #require(r.json["url"]?.stringValue)
            #expect(rotated != url)
            #expect(r.json["secret"] == nil)
            r = try await client.send(.post, "\(Self.hooks)/gh/rotate", json: ["secret": true])
            let newSecret = try #require(r.json["secret"]?.stringValue)
            #expect(newSecret != secret)
            r = try await client.send(.put, "\(Self.hooks)/gh", json: ["hmac": false])
            #expect(r.json["hmac"] == false)
            r = try await client.send(.post, "\(Self.hooks)/gh/rotate", json: ["secret": true])
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["details"]?[0]?["path"] == "secret")

            r = try await client.send(.delete, "\(Self.hooks)/gh")
            #expect(r.status == .noContent)
            r = try await client.send(.get, "\(Self.hooks)/gh")
            #expect(r.status == .notFound)
            #expect(r.json["error"]?["message"] == "workflow 'hello' has no webhook named 'gh'")
        }
    }

    @Test("errors: 400 for bad bodies and names, 401 without credentials, 403 without write, 404 unknown, 409 taken")
    func errors() async throws {
        let harness = try await ServerHarness.make()
        let viewer = try await harness.userKey("viewer")
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": Self.document])
            _ = try await client.send(.post, Self.hooks, json: ["name": "a"])
            _ = try await client.send(.post, Self.hooks, json: ["name": "b"])

            let bad: [(String, String, String?)] = [
                ("", "missing_body", nil),
                ("{nope", "malformed_json", nil),
                ("[1]", "invalid_body", nil),
                (#"{"hmac": true}"#, "invalid_field", "name"),
                (#"{"name": ""}"#, "invalid_field", "name"),
                (#"{"name": "has space"}"#, "invalid_field", "name"),
                (#"{"name": "x", "hmac": "yes"}"#, "invalid_field", "hmac"),
                (#"{"name": "x", "enabled": 1}"#, "invalid_field", "enabled"),
                (#"{"name": "x", "hmca": true}"#, "invalid_field", "hmca"),
            ]
            for (body, code, path) in bad {
                let r = try await client.send(.post, Self.hooks, body: body.isEmpty ? nil : body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.json["error"]?["code"] == .string(code), "\(body): \(r.text)")
                if let path { #expect(r.json["error"]?["details"]?[0]?["path"] == .string(path), "\(body)") }
            }
            var r = try await client.send(.put, "\(Self.hooks)/a", json: ["name": "no/slash"])
            #expect(r.json["error"]?["details"]?[0]?["path"] == "name")
            r = try await client.send(.put, "\(Self.hooks)/a", json: ["token": "mine"])
            #expect(r.json["error"]?["details"]?[0]?["path"] == "token")
            r = try await client.send(.post, "\(Self.hooks)/a/rotate", json: ["secret": "yes"])
            #expect(r.status == .badRequest)

            r = try await client.send(.post, Self.hooks, json: ["name": "a"])
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["message"] == "workflow 'hello' already has a webhook named 'a'")
            r = try await client.send(.put, "\(Self.hooks)/a", json: ["name": "b"])
            #expect(r.status == .conflict)

            let paths: [(HTTPRequest.Method, String)] = [
                (.get, Self.hooks), (.post, Self.hooks), (.get, "\(Self.hooks)/a"), (.put, "\(Self.hooks)/a"),
                (.delete, "\(Self.hooks)/a"), (.post, "\(Self.hooks)/a/rotate"),
            ]
            for (method, path) in paths {
                // A body each route accepts, so that only the path decides the answer.
                let body: JSONValue = method == .post && !path.hasSuffix("rotate") ? ["name": "c"] : [:]
                r = try await client.send(method, path, as: .nobody, json: body)
                #expect(r.status == .unauthorized, "\(method) \(path)")
                r = try await client.send(method, path, as: .key(viewer), json: body)
                #expect(r.status == (method == .get ? HTTPResponse.Status.ok : .forbidden), "\(method) \(path)")
                let missingFlow = path.replacingOccurrences(of: "/flows/hello/", with: "/flows/nope/")
                r = try await client.send(method, missingFlow, json: body)
                #expect(r.status == .notFound, "\(method) \(missingFlow)")
                #expect(r.json["error"]?["message"] == "workflow 'nope' does not exist")
            }
            for (method, path) in paths where path.contains("webhooks/a") {
                let missingWebhook = path.replacingOccurrences(of: "webhooks/a", with: "webhooks/zz")
                r = try await client.send(method, missingWebhook, json: [:])
                #expect(r.status == .notFound, "\(method) \(missingWebhook)")
                #expect(r.json["error"]?["message"] == "workflow 'hello' has no webhook named 'zz'")
            }
            r = try await client.send(.get, Self.hooks)
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["a", "b"], "nothing changed")
        }
    }

    @Test("a call starts a run with the body as its inputs: 202, or 200 with the outcome under ?wait")
    func call() async throws {
        try await Self.withFlow { client, harness in
            let url = try #require(try await client.send(.post, Self.hooks, json: ["name": "ci"]).json["url"]?.stringValue)

            var r = try await Self.call(client, "\(url)?wait=30", body: #"{"who": "hook"}"#)
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.json["status"] == "success")
            #expect(r.json["trigger"] == "webhook")
            #expect(r.json["trigger_by"] == "webhook:ci")
            #expect(r.json["inputs"] == ["who": "hook"])
            #expect(r.json["steps"]?[0]?["result"] == ["status": 0, "msg": "ret from hi hook"])

            r = try await Self.call(client, url)
            #expect(r.status == .accepted)
            let id = try #require(r.json["run_id"]?.intValue)
            #expect(r.json.objectValue?.keys.elements == ["run_id", "status"])
            #expect(try await harness.server.runs.waitForEnd(runID: Int64(id), timeout: .seconds(30)))
            r = try await client.send(.get, "/api/v1/runs/\(id)")
            #expect(r.json["inputs"] == [:])
            #expect(r.json["steps"]?[0]?["result"] == ["status": 0, "msg": "ret from hi ops"])

            r = try await client.send(.get, "\(Self.hooks)/ci")
            #expect(r.json["last_called_at"]?.stringValue == Presentation.timestamp(harness.clock.now))

            let bad: [(String?, String, String)] = [
                (#"{"who": 5}"#, "", "invalid_inputs"),
                ("[1, 2]", "", "invalid_body"),
                ("{not json", "", "malformed_json"),
                (nil, "?wait=301", "invalid_field"),
                (nil, "?wait=soon", "invalid_field"),
            ]
            for (body, query, code) in bad {
                r = try await Self.call(client, url + query, body: body)
                #expect(r.status == .badRequest, "\(body ?? query)")
                #expect(r.json["error"]?["code"] == .string(code), "\(body ?? query): \(r.text)")
            }

            _ = try await client.send(.post, "/api/v1/flows/hello/disable")
            r = try await Self.call(client, url)
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["code"] == "flow_disabled")
        }
    }

    @Test("a signed webhook accepts the right signature and answers 401 to a missing or wrong one")
    func signatures() async throws {
        try await Self.withFlow { client, harness in
            var r = try await client.send(.post, Self.hooks, json: ["name": "signed", "hmac": true])
            let url = try #require(r.json["url"]?.stringValue)
            let secret = try #require(r.json["secret"]?.stringValue)

            // The secret is stored sealed under the master key, which was made 0600 on first use.
            let stored = try await harness.store.webhook(named: "signed", flowName: "hello")
            let sealed = try #require(stored.hmacSecretEncrypted)
            #expect(sealed.hasPrefix("v1:") && !sealed.contains(secret))
            let keyPath = harness.directory.appendingPathComponent("master.key").path
            #expect(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int == 0o600)

            let body = #"{"who": "signed"}"#
            let signature = WebhookSignature.sign(Array(body.utf8), secret: secret)
            #expect(signature.hasPrefix("sha256=") && signature.count == 7 + 64)
            r = try await Self.call(client, "\(url)?wait=30", body: body, signature: signature)
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.json["inputs"] == ["who": "signed"])
            r = try await Self.call(client, url, body: body, signature: signature.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="))
            #expect(r.status == .accepted, "hex digits in either case")
            r = try await Self.call(client, url, signature: WebhookSignature.sign([UInt8](), secret: secret))
            #expect(r.status == .accepted, "an empty body is signed too")

            let wrong: [String?] = [
                nil, "", "sha256=", "sha256=zz", signature.replacingOccurrences(of: "sha256=", with: "sha1="),
                WebhookSignature.sign(Array(#"{"who": "other"}"#.utf8), secret: secret),
                WebhookSignature.sign(Array(body.utf8), secret: "not the secret"),
                String(signature.dropLast(2)),
            ]
            for candidate in wrong {
                r = try await Self.call(client, url, body: body, signature: candidate)
                #expect(r.status == .unauthorized, "\(candidate ?? "no header")")
                #expect(r.json["error"]?["code"] == "unauthorized")
            }
            r = try await client.send(.get, "/api/v1/runs?flow=hello")
            #expect(r.json["items"]?.arrayValue?.count == 3, "rejected calls start nothing")

            // A secret that no longer decrypts (another key, altered) is the server's problem: 500, no run.
            let foreign = try SecretBox(key: .init(size: .bits256)).seal(secret, purpose: "webhook.hmac")
            _ = try await harness.store.updateWebhook(named: "signed", flowName: "hello", WebhookUpdate(hmacSecret: .set(foreign)))
            r = try await Self.call(client, url, body: body, signature: signature)
            #expect(r.status == .internalServerError)
            #expect(r.json["error"]?["code"] == "master_key")
        }
    }

    @Test("unknown and disabled tokens answer the same 404; a rotated token stops working; deleting the workflow removes its webhooks")
    func tokens() async throws {
        try await Self.withFlow { client, _ in
            var r = try await client.send(.post, Self.hooks, json: ["name": "h"])
            let url = try #require(r.json["url"]?.stringValue)

            let unknown = try await Self.call(client, "/hooks/wfh_" + String(repeating: "A", count: 40))
            #expect(unknown.status == .notFound)
            #expect(unknown.json["error"]?["message"] == "no webhook answers at this address")
            r = try await Self.call(client, "/hooks/not-a-token")
            #expect(r.status == .notFound)
            #expect(r.text == unknown.text)

            _ = try await client.send(.put, "\(Self.hooks)/h", json: ["enabled": false])
            r = try await Self.call(client, url)
            #expect(r.status == .notFound)
            #expect(r.text == unknown.text)
            _ = try await client.send(.put, "\(Self.hooks)/h", json: ["enabled": true])
            #expect(try await Self.call(client, url).status == .accepted)

            r = try await client.send(.post, "\(Self.hooks)/h/rotate")
            let rotated = try #require(r.json["url"]?.stringValue)
            #expect(try await Self.call(client, url).text == unknown.text)
            #expect(try await Self.call(client, rotated).status == .accepted)

            // Renaming the workflow keeps the webhook; deleting it removes the webhook.
            _ = try await client.send(.post, "/api/v1/flows/hello/rename", json: ["new_name": "hi"])
            r = try await Self.call(client, rotated)
            #expect(r.status == .accepted)
            #expect(try await client.send(.get, "/api/v1/flows/hi/webhooks").json["items"]?.arrayValue?.count == 1)
            r = try await client.send(.delete, "/api/v1/flows/hi")
            #expect(r.status == .ok)
            #expect(try await Self.call(client, rotated).text == unknown.text)
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hi", "document": Self.document])
            r = try await client.send(.get, "/api/v1/flows/hi/webhooks")
            #expect(r.json["items"] == [])
        }
    }

    @Test("the audit log records webhook changes and calls, never a token or a secret")
    func audit() async throws {
        try await Self.withFlow { client, _ in
            var r = try await client.send(.post, Self.hooks, json: ["name": "h", "hmac": true])
            var revealed = [try #require(r.json["url"]?.stringValue), try #require(r.json["secret"]?.stringValue)]
            r = try await client.send(.post, "\(Self.hooks)/h/rotate", json: ["secret": true])
            revealed += [try #require(r.json["url"]?.stringValue), try #require(r.json["secret"]?.stringValue)]
            let body = "{}"
            r = try await Self.call(client, revealed[2], body: body, signature: WebhookSignature.sign(Array(body.utf8), secret: revealed[3]))
            #expect(r.status == .accepted)
            _ = try await client.send(.put, "\(Self.hooks)/h", json: ["enabled": false])
            _ = try await client.send(.delete, "\(Self.hooks)/h")

            r = try await client.send(.get, "/api/v1/audit?target_type=webhook")
            #expect(r.json["items"]?.arrayValue?.map { $0["action"] } == ["delete", "update", "rotate", "create"])
            #expect(r.json["items"]?.arrayValue?.allSatisfy { $0["target_name"] == "hello/h" } == true)
            r = try await client.send(.get, "/api/v1/audit?actor=webhook:h")
            #expect(r.json["items"]?[0]?["action"] == "run")
            r = try await client.send(.get, "/api/v1/audit?limit=1000")
            for text in revealed {
                #expect(!r.text.contains(text.replacingOccurrences(of: "/hooks/", with: "")))
            }
        }
    }
}

import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("authentication and permissions")
struct AuthTests {
    @Test("every route but /healthz and sign-in needs credentials; the error shape follows the API")
    func unauthenticated() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var r = try await client.send(.get, "/healthz", as: .nobody)
            #expect(r.status == .ok)
            #expect(r.json["status"] == "ok")

            for (method, path) in [(HTTPRequest.Method.get, "/flow"), (.post, "/flow"), (.get, "/run/1"), (.post, "/flow/x/run")] {
                r = try await client.send(method, path, as: .nobody)
                #expect(r.status == .unauthorized, "\(method) \(path)")
                #expect(r.json["status"] == false)
            }
            r = try await client.send(.get, "/api/v1/auth/me", as: .nobody)
            #expect(r.status == .unauthorized)
            #expect(r.json["error"]?["code"] == "unauthorized")
            #expect(r.headers[.wwwAuthenticate] == "Bearer")

            r = try await client.send(.get, "/api/v1/nothing-here")
            #expect(r.status == .notFound)
            #expect(r.json["error"]?["code"] == "not_found")
        }
    }

    @Test("API keys: X-Api-Key and Bearer work; wrong, malformed, disabled keys and disabled owners do not")
    func apiKeys() async throws {
        let harness = try await ServerHarness.make()
        let firstUse = harness.clock.now
        try await harness.test { client in
            var r = try await client.send(.get, "/api/v1/auth/me")
            #expect(r.status == .ok)
            #expect(r.json["actor"] == "apikey:admin-key")
            r = try await client.send(.get, "/api/v1/auth/me", as: .key(client.adminKey))
            #expect(r.status == .ok)

            let forged = String(client.adminKey.dropLast()) + (client.adminKey.hasSuffix("A") ? "B" : "A")
            r = try await client.send(.get, "/flow", as: .key(forged))
            #expect(r.status == .unauthorized)
            #expect(r.json["error"] == "invalid API key")
            r = try await client.send(.get, "/flow", as: .key("not-a-key"))
            #expect(r.status == .unauthorized)

            // Changed by another process (straight in the store): believed for a few seconds more.
            try await harness.store.setAPIKeyEnabled(name: "admin-key", false)
            r = try await client.send(.get, "/flow")
            #expect(r.status == .ok)
            harness.clock.advance(Authenticator.keyCacheLifetime)
            r = try await client.send(.get, "/flow")
            #expect(r.status == .unauthorized)
            #expect(r.json["error"] == "API key 'admin-key' is disabled")
            try await harness.store.setAPIKeyEnabled(name: "admin-key", true)

            try await harness.store.setUserEnabled(username: "admin", false)
            r = try await client.send(.get, "/flow")
            #expect(r.status == .unauthorized)
            try await harness.store.setUserEnabled(username: "admin", true)

            r = try await client.send(.get, "/flow")
            #expect(r.status == .ok)
            let key = try await harness.store.apiKeys().first { $0.name == "admin-key" }
            // Written at most once a minute per key.
            #expect(key?.lastUsedAt == firstUse)
        }
    }

    @Test("a key disabled or deleted through the API stops working at once")
    func keyChangesApplyAtOnce() async throws {
        let harness = try await ServerHarness.make()
        let other = try await harness.userKey("other")
        try await harness.test { client in
            var r = try await client.send(.get, "/flow", as: .key(other))
            #expect(r.status == .ok)
            r = try await client.send(.post, "/api/v1/apikeys/other-key/disable")
            #expect(r.status == .ok, "\(r.text)")
            r = try await client.send(.get, "/flow", as: .key(other))
            #expect(r.status == .unauthorized)
            #expect(r.json["error"] == "API key 'other-key' is disabled")

            r = try await client.send(.post, "/api/v1/apikeys/other-key/enable")
            r = try await client.send(.get, "/flow", as: .key(other))
            #expect(r.status == .ok)
            r = try await client.send(.delete, "/api/v1/apikeys/other-key")
            #expect(r.status == .noContent, "\(r.text)")
            r = try await client.send(.get, "/flow", as: .key(other))
            #expect(r.status == .unauthorized)
            #expect(r.json["error"] == "invalid API key")
        }
    }

    @Test("users who are not administrators may read and run, not change")
    func permissions() async throws {
        let harness = try await ServerHarness.make()
        let viewer = try await harness.userKey("viewer")
        try await harness.test { client in
            _ = try await client.send(.post, "/flow", json: ["name": "hello", "procedures": helloSteps, "variables": ["who": "x"]])
            var r = try await client.send(.get, "/flow", as: .key(viewer))
            #expect(r.status == .ok)
            r = try await client.send(.post, "/flow/hello/run", as: .key(viewer))
            #expect(r.json["status"] == true)
            r = try await client.send(.post, "/flow", as: .key(viewer), json: ["name": "mine", "procedures": helloSteps])
            #expect(r.status == .forbidden)
            #expect(r.json == ["status": false, "error": "apikey:viewer-key may not change workflows or modules"])
            r = try await client.send(.delete, "/flow/hello", as: .key(viewer))
            #expect(r.status == .forbidden)
        }
    }

    @Test("sign-in sets an HttpOnly session cookie; changes need the CSRF token; sign-out ends the session")
    func sessions() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: ["username": "admin", "password": "wrong password"])
            #expect(r.status == .unauthorized)
            #expect(r.json["error"]?["message"] == "wrong user name or password")

            r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: ["username": "admin", "password": .string(ServerHarness.password)])
            #expect(r.status == .ok)
            let setCookie = try #require(r.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            let csrf = try #require(r.json["csrf_token"]?.stringValue)
            #expect(r.json["user"]?["username"] == "admin")

            r = try await client.send(.get, "/api/v1/auth/me", as: .session(cookie: cookie, csrf: nil))
            #expect(r.status == .ok)
            #expect(r.json["actor"] == "user:admin")

            r = try await client.send(.post, "/flow", as: .session(cookie: cookie, csrf: nil), json: ["name": "x", "procedures": helloSteps])
            #expect(r.status == .forbidden)
            r = try await client.send(.post, "/flow", as: .session(cookie: cookie, csrf: "wrong"), json: ["name": "x", "procedures": helloSteps])
            #expect(r.status == .forbidden)
            r = try await client.send(.post, "/flow", as: .session(cookie: cookie, csrf: csrf), json: ["name": "x", "procedures": helloSteps])
            #expect(r.status == .created)

            r = try await client.send(.post, "/api/v1/auth/logout", as: .session(cookie: cookie, csrf: csrf))
            #expect(r.status == .noContent)
            r = try await client.send(.get, "/api/v1/auth/me", as: .session(cookie: cookie, csrf: nil))
            #expect(r.status == .unauthorized)

            let logins = try await harness.store.auditEntries(AuditQuery(targetType: "user")).map(\.action)
            #expect(logins == ["login", "login_failed"])
        }
    }

    @Test("sessions expire after their lifetime")
    func expiry() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: ["username": "admin", "password": .string(ServerHarness.password)])
            let cookie = try #require(r.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            harness.clock.advance(Authenticator.sessionLifetime + 1)
            let after = try await client.send(.get, "/api/v1/auth/me", as: .session(cookie: cookie, csrf: nil))
            #expect(after.status == .unauthorized)
            #expect(after.json["error"]?["message"] == "the session has expired; sign in again")
        }
    }

    @Test("repeated failed sign-ins are refused for a while, with Retry-After")
    func throttling() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let wrong: JSONValue = ["username": "admin", "password": "guess"]
            for _ in 0..<5 {
                let r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: wrong)
                #expect(r.status == .unauthorized)
            }
            let right: JSONValue = ["username": "admin", "password": .string(ServerHarness.password)]
            var r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: right)
            #expect(r.status == .tooManyRequests)
            #expect(r.headers[.retryAfter] == "60")
            harness.clock.advance(61)
            r = try await client.send(.post, "/api/v1/auth/login", as: .nobody, json: right)
            #expect(r.status == .ok)
        }
    }
}

@Suite("credentials")
struct CredentialTests {
    @Test("API keys have a recognisable shape and a prefix")
    func keyFormat() {
        let key = APIKeyFormat.generate()
        #expect(key.plain.hasPrefix("wfk_\(key.prefix)_"))
        #expect(key.plain.count == 4 + 8 + 1 + 32)
        #expect(APIKeyFormat.prefix(of: key.plain) == key.prefix)
        #expect(APIKeyFormat.prefix(of: "wfk_short_x") == nil)
        #expect(key.hash == SecretTokens.sha256Hex(key.plain))
        #expect(APIKeyFormat.generate().plain != key.plain)
    }

    @Test("bcrypt hashes verify only the right password; the policy names the problem")
    func passwords() async throws {
        let hasher = PasswordHasher(cost: 4)
        let hash = try await hasher.hash("s3cret-enough")
        #expect(hash.hasPrefix("$2"))
        #expect(await hasher.verify("s3cret-enough", hash: hash))
        #expect(await hasher.verify("s3cret-enougH", hash: hash) == false)
        #expect(PasswordHasher.problem(with: "short") == "the password must have at least 8 characters")
        #expect(PasswordHasher.problem(with: "long enough") == nil)
    }

    @Test("audit details hide secrets at any depth")
    func redaction() {
        let detail: JSONValue = ["user": "a", "password": "p", "nested": ["api_key": "k", "list": [["token": "t", "ok": 1]]]]
        #expect(
            Redaction.redacted(detail)
                == ["user": "a", "password": "******", "nested": ["api_key": "******", "list": [["token": "******", "ok": 1]]]])
    }

    @Test("the first start creates admin with a generated password in a 0600 file, once")
    func bootstrap() async throws {
        let harness = try await ServerHarness.make()
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("wf-boot-\(UUID().uuidString)")
        let store = try await Store.open(url: "sqlite://" + empty.appendingPathComponent("workflow.db").path, logger: ServerHarness.quiet)
        let bootstrap = AdminBootstrap(store: store, hasher: PasswordHasher(cost: 4), home: empty.path)
        let outcome = try await bootstrap.run(givenPassword: nil)
        guard case .createdWithGeneratedPassword(let password, let file) = outcome else {
            Issue.record("expected a generated password, got \(outcome)")
            return
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == password + "\n")
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let credentials = try #require(try await store.credentials(username: "admin"))
        #expect(credentials.user.isAdmin)
        #expect(await PasswordHasher(cost: 4).verify(password, hash: credentials.passwordHash))
        #expect(try await bootstrap.run(givenPassword: nil) == .existingUsers)
        await store.close()

        let other = FileManager.default.temporaryDirectory.appendingPathComponent("wf-boot-\(UUID().uuidString)")
        let second = try await Store.open(url: "sqlite://" + other.appendingPathComponent("workflow.db").path, logger: ServerHarness.quiet)
        let given = AdminBootstrap(store: second, hasher: PasswordHasher(cost: 4), home: other.path)
        await #expect(throws: BootstrapError.self) { try await given.run(givenPassword: "short") }
        #expect(try await given.run(givenPassword: "a good long password") == .createdWithGivenPassword)
        await second.close()
        await harness.close()
        try? FileManager.default.removeItem(at: empty)
        try? FileManager.default.removeItem(at: other)
    }
}

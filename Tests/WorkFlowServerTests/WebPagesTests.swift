import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

/// A browser for the in-process tests: keeps the cookies the server sets and sends forms.
final class FormBrowser: Sendable {
    let client: any TestClientProtocol
    private let jar = Mutex<[String: String]>([:])

    init(_ client: Client) {
        self.client = client.client
    }

    var cookies: [String: String] { jar.withLock { $0 } }

    func get(_ uri: String, accept: String = "text/html") async throws -> Answer {
        try await send(.get, uri, headers: [.accept: accept], body: nil)
    }

    /// Posts `fields` URL-encoded, in order.
    func post(_ uri: String, _ fields: [(String, String)]) async throws -> Answer {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(
            .post, uri, headers: [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"], body: ByteBuffer(string: body))
    }

    /// Signs in through the sign-in page and returns the page's CSRF token for forms.
    @discardableResult
    func signIn(username: String = "admin", password: String = ServerHarness.password) async throws -> String {
        let form = try await get("/accounts/login/")
        let answer = try await post(
            "/accounts/login/", [("csrf_token", Self.field("csrf_token", in: form.text) ?? ""), ("next", "/"), ("username", username), ("password", password)])
        #expect(answer.status == .seeOther, "signing in answered \(answer.status): \(answer.text)")
        return try await csrfToken()
    }

    /// The session's CSRF token, from the page's meta tag.
    func csrfToken() async throws -> String {
        let page = try await get("/accounts/profile/")
        return try #require(Self.match(#"<meta name="csrf-token" content="([^"]*)">"#, in: page.text))
    }

    private func send(_ method: HTTPRequest.Method, _ uri: String, headers extra: HTTPFields, body: ByteBuffer?) async throws -> Answer {
        var headers = extra
        let cookie = jar.withLock { $0.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if !cookie.isEmpty { headers[.cookie] = cookie }
        let answer = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
        for header in answer.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let maxAgeZero = header.contains("Max-Age=0")
            jar.withLock { $0[String(pair[0])] = maxAgeZero ? nil : String(pair[1]) }
        }
        return answer
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The value of the first hidden field named `name`.
    static func field(_ name: String, in html: String) -> String? {
        match(#"name="\#(name)" value="([^"]*)""#, in: html)
    }

    static func match(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let found = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(found.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}

@Suite("Web pages")
struct WebPagesTests {
    @Test("a page without a session sends the browser to sign in, and back after")
    func redirectsToSignIn() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let answer = try await browser.get("/workflows/?q=a")
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/accounts/login/?next=/workflows/%3Fq%3Da")
            let form = try await browser.get("/accounts/login/?next=/workflows/%3Fq%3Da")
            #expect(form.status == .ok)
            #expect(form.text.contains(#"name="next" value="/workflows/?q=a""#))
            let token = try #require(FormBrowser.field("csrf_token", in: form.text))
            let signedIn = try await browser.post(
                "/accounts/login/", [("csrf_token", token), ("next", "/workflows/?q=a"), ("username", "admin"), ("password", ServerHarness.password)])
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/workflows/?q=a")
            #expect(browser.cookies[Authenticator.sessionCookie] != nil)
            #expect(try await browser.get("/workflows/").status == .ok)
        }
    }

    @Test("sign-in errors stay on the page and name the problem")
    func signInErrors() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let form = try await browser.get("/accounts/login/")
            let token = try #require(FormBrowser.field("csrf_token", in: form.text))
            let wrong = try await browser.post("/accounts/login/", [("csrf_token", token), ("username", "admin"), ("password", "not it")])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("Wrong user name or password."))
            #expect(wrong.text.contains(#"value="admin""#), "the name stays filled in")
            #expect(wrong.text.contains(#"autocomplete="current-password" required autofocus"#), "and the cursor waits in the password")
            #expect(!form.text.contains(#"required autofocus>"#) && form.text.contains(#"spellcheck="false" required value="" autofocus"#))
            let forged = try await browser.post("/accounts/login/", [("csrf_token", "forged"), ("username", "admin"), ("password", ServerHarness.password)])
            #expect(forged.status == .badRequest)
            #expect(forged.text.contains("The sign-in form had expired"))
            #expect(browser.cookies[Authenticator.sessionCookie] == nil)
            let fresh = try #require(FormBrowser.field("csrf_token", in: forged.text))
            let blank = try await browser.post("/accounts/login/", [("csrf_token", fresh), ("username", ""), ("password", "x")])
            #expect(blank.status == .badRequest)
            #expect(blank.text.contains("Enter your user name."))
        }
    }

    @Test("after signing in, only paths of this site are followed", arguments: [
        ("/runs", "/runs"), ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("", "/"),
    ])
    func safeNext(next: String, expected: String) {
        #expect(AccountPages.safeNext(next) == expected)
    }

    @Test("messages read as sentences, but a field's name keeps its case", arguments: [
        ("wrong password", "Wrong password."), ("v1: 'x' is not a number", "v1: 'x' is not a number."), ("Done.", "Done."),
        ("procedures[0].mod: unknown", "procedures[0].mod: unknown."),
    ])
    func sentences(text: String, expected: String) {
        #expect(AccountPages.sentence(text) == expected)
    }

    @Test("forms without the session's CSRF token are refused and change nothing")
    func formsNeedTheToken() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let answer = try await browser.post("/workflows/hello/disable/", [("csrf_token", "wrong")])
            #expect(answer.status == .forbidden)
            #expect(answer.text.contains("CSRF token does not match"))
            #expect(answer.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(try await harness.store.flow(named: "hello")?.enabled == true)
        }
    }

    @Test("a user without the permission gets a 403 page for changing workflows, and nothing changes")
    func permissions() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.userKey("viewer")
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn(username: "viewer")
            #expect(try await browser.get("/workflows/").status == .ok)
            for path in ["/workflows/hello/disable/", "/workflows/hello/delete/", "/workflows/hello/versions/1/restore/"] {
                let refused = try await browser.post(path, [("csrf_token", csrf)])
                #expect(refused.status == .forbidden, "\(path)")
                #expect(refused.text.contains("Not allowed"))
            }
            #expect(try await browser.get("/workflows/create/").status == .forbidden)
            #expect(try await harness.store.flow(named: "hello")?.enabled == true)
            // Running is allowed.
            #expect(try await browser.post("/workflows/hello/run/", [("csrf_token", csrf)]).status == .seeOther)
        }
    }

    @Test("the workflow list filters, pages and keeps its filters in every link")
    func workflowList() async throws {
        let harness = try await ServerHarness.make()
        for index in 1...25 {
            _ = try await harness.store.createFlow(name: "report-\(index)", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        }
        _ = try await harness.store.createFlow(name: "other", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.setEnabled(name: "report-3", enabled: false, author: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let first = try await browser.get("/workflows/?q=report")
            #expect(first.status == .ok)
            #expect(first.text.contains("1–20 of 25"))
            #expect(first.text.contains(#"href="/workflows/?q=report&amp;page=2&amp;per_page=20""#))
            #expect(!first.text.contains(#"data-workflow="other""#))
            let second = try await browser.get("/workflows/?q=report&page=2&per_page=20")
            #expect(second.text.contains("21–25 of 25"))
            let disabled = try await browser.get("/workflows/?enabled=no")
            #expect(disabled.text.contains(#"data-workflow="report-3""#))
            #expect(disabled.text.contains("1–1 of 1"))
            // per_page outside 10–2000 falls back to 20, as the seed's lists did.
            let clamped = try await browser.get("/workflows/?per_page=5")
            #expect(clamped.text.contains("1–20 of 26"))
            let none = try await browser.get("/workflows/?q=nothing-like-this")
            #expect(none.text.contains("No workflow matches."))
        }
    }

    @Test("Run queues a run; a workflow with inputs asks for them first and says what is wrong")
    func runFromTheList() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        let withInputs: JSONValue = [
            "inputs": ["count": ["type": "integer", "required": true, "description": "How many"], "loud": ["type": "boolean"]],
            "procedures": helloSteps,
        ]
        _ = try await harness.store.createFlow(name: "asks", document: withInputs.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let queued = try await browser.post("/workflows/hello/run/", [("csrf_token", csrf)])
            #expect(queued.status == .seeOther)
            let list = try await browser.get("/workflows/")
            let message = try #require(FormBrowser.match(#"<div class="flash flash-success"><span>([^<]*)</span>"#, in: list.text))
            #expect(message.hasPrefix("Run #1 of hello queued"))
            #expect(try await harness.store.run(id: 1)?.trigger == .ui)
            // Shown once.
            #expect(!(try await browser.get("/workflows/")).text.contains("flash-success"))

            let asked = try await browser.post("/workflows/asks/run/", [("csrf_token", csrf)])
            #expect(asked.headers[.location] == "/workflows/asks/run/")
            let form = try await browser.get("/workflows/asks/run/")
            #expect(form.text.contains(#"name="input.count""#))
            #expect(form.text.contains("How many"))
            let refused = try await browser.post("/workflows/asks/run/", [("csrf_token", csrf), ("from_form", "1"), ("input.count", "many")])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("count"))
            #expect(refused.text.contains(#"value="many""#), "what was typed stays")
            let started = try await browser.post(
                "/workflows/asks/run/", [("csrf_token", csrf), ("from_form", "1"), ("input.count", "3"), ("input.loud", "true")])
            #expect(started.status == .seeOther)
            let run = try #require(try await harness.store.listRuns(RunQuery(flowName: "asks")).first)
            #expect(run.inputs["count"] == .string("3"))
            #expect(run.inputs["loud"] == .bool(true))
        }
    }

    @Test("enable, disable and delete from the list")
    func listActions() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            #expect(try await browser.post("/workflows/hello/disable/", [("csrf_token", csrf)]).status == .seeOther)
            #expect(try await harness.store.flow(named: "hello")?.enabled == false)
            #expect(try await browser.post("/workflows/hello/enable/", [("csrf_token", csrf)]).status == .seeOther)
            #expect(try await harness.store.flow(named: "hello")?.enabled == true)
            let confirm = try await browser.get("/workflows/hello/delete/")
            #expect(confirm.text.contains("Delete hello?"))
            #expect(try await browser.post("/workflows/hello/delete/", [("csrf_token", csrf)]).status == .seeOther)
            #expect(try await harness.store.flow(named: "hello") == nil)
            let gone = try await browser.get("/workflows/hello/delete/")
            #expect(gone.status == .notFound)
            #expect(gone.text.contains("There is no workflow named &#39;hello&#39;"))
            let audit = try await harness.store.auditEntries(AuditQuery(limit: 10)).map(\.action)
            #expect(audit.contains("delete") && audit.contains("disable") && audit.contains("enable"))
        }
    }

    @Test("the dashboard counts workflows and today's runs")
    func dashboard() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.createFlow(name: "off", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.setEnabled(name: "off", enabled: false, author: nil)
        // Runs are stamped by the engine's clock (real time); the page counts days around `now`.
        harness.clock.advance(Date().timeIntervalSince(harness.clock.now))
        let run = try await harness.server.runs.start(flowName: "hello", inputs: [:], trigger: .api, triggeredBy: nil)
        #expect(try await harness.server.runs.waitForEnd(runID: run.id, timeout: .seconds(10)))
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<div class="stat-value">2</div>"#))
            #expect(page.text.contains("1 enabled · <span class=\"dot dot-muted\"></span>1 disabled"))
            #expect(page.text.contains(#"<span class="badge status-success">success</span> <strong>1</strong>"#))
            #expect(page.text.contains("100%"))
            #expect(page.text.contains("#\(run.id)"))
            let data = try #require(FormBrowser.match(#"<script type="application/json" id="chart-data">([^<]*)</script>"#, in: page.text))
            let chart = try JSONParser.parse(data)
            #expect(chart["success"]?.arrayValue?.last == .int(1))
            #expect(chart["labels"]?.arrayValue?.count == DashboardPages.chartDays)
        }
    }

    @Test("the profile keeps a name and e-mail, refuses a bad address on the page, and changes the password")
    func profile() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let bad = try await browser.post(
                "/accounts/profile/", [("csrf_token", csrf), ("action", "update_profile"), ("display_name", "Ada"), ("email", "not an address")])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("Invalid e-mail address"))
            #expect(bad.text.contains(#"value="Ada""#))
            let good = try await browser.post(
                "/accounts/profile/", [("csrf_token", csrf), ("action", "update_profile"), ("display_name", "Ada L."), ("email", "ada@example.com")])
            #expect(good.status == .seeOther)
            let user = try #require(try await harness.store.user(named: "admin"))
            #expect(user.displayName == "Ada L." && user.email == "ada@example.com")
            let home = try await browser.get("/")
            #expect(home.text.contains(#"<span class="user-name">Ada L.</span>"#))
            #expect(home.text.contains(#"<span class="avatar" aria-hidden="true">A</span>"#))

            let otherBrowser = FormBrowser(client)
            try await otherBrowser.signIn()
            let wrongCurrent = try await browser.post(
                "/accounts/profile/",
                [("csrf_token", csrf), ("action", "change_password"), ("current_password", "nope"), ("new_password", "a new passphrase"),
                 ("confirm_password", "a new passphrase")])
            #expect(wrongCurrent.status == .badRequest)
            #expect(wrongCurrent.text.contains("The current password is not right."))
            let mismatch = try await browser.post(
                "/accounts/profile/",
                [("csrf_token", csrf), ("action", "change_password"), ("current_password", ServerHarness.password),
                 ("new_password", "a new passphrase"), ("confirm_password", "another one")])
            #expect(mismatch.text.contains("differ"))
            let changed = try await browser.post(
                "/accounts/profile/",
                [("csrf_token", csrf), ("action", "change_password"), ("current_password", ServerHarness.password),
                 ("new_password", "a new passphrase"), ("confirm_password", "a new passphrase")])
            #expect(changed.status == .seeOther)
            #expect(try await browser.get("/").status == .ok, "this browser stays signed in")
            #expect(try await otherBrowser.get("/").status == .seeOther, "another browser signed in with the old password is signed out")
            let again = FormBrowser(client)
            try await again.signIn(password: "a new passphrase")
        }
    }

    @Test("signing out ends the session")
    func signOut() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let session = try #require(browser.cookies[Authenticator.sessionCookie])
            #expect(try await browser.get("/accounts/logout/").text.contains("Sign out?"))
            let out = try await browser.post("/accounts/logout/", [("csrf_token", csrf)])
            #expect(out.headers[.location] == "/accounts/login/")
            #expect(browser.cookies[Authenticator.sessionCookie] == nil)
            // The old cookie is worthless now.
            let replay = try await client.send(.get, "/api/v1/auth/me", as: .session(cookie: "\(Authenticator.sessionCookie)=\(session)", csrf: nil))
            #expect(replay.status == .unauthorized)
        }
    }

    @Test("a browser gets an error page; API clients keep their JSON")
    func errorPages() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/no/such/page")
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Not found"))
            #expect(!page.text.contains(#"<div class="nav-heading">Not found</div>"#), "the sidebar keeps its own headings")
            let json = try await browser.get("/no/such/page", accept: "application/json")
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
            let seed = try await browser.get("/flow/missing")
            #expect(seed.headers[.contentType]?.hasPrefix("application/json") == true, "the seed's API answers JSON even to a browser")
            let v1 = try await browser.get("/api/v1/nothing")
            #expect(v1.json["error"]?["code"] == .string("not_found"))
        }
    }

    @Test("pages of later features say so; the sidebar marks the current page")
    func comingSoonAndNavigation() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let syslog = try await browser.get("/syslog/")
            #expect(syslog.status == .ok)
            #expect(syslog.text.contains("Coming soon"))
            #expect(syslog.text.contains(#"<a href="/syslog/" class="current" aria-current="page">"#))
            let list = try await browser.get("/workflows/")
            #expect(list.text.contains(#"<a href="/workflows/" class="current" aria-current="page">"#))
            #expect(!list.text.contains(#"<a href="/" class="current""#))
        }
    }

    @Test("the stylesheet and scripts are served without signing in; paths cannot leave their folders")
    func staticFiles() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let css = try await client.send(.get, "/static/css/app.css", as: .nobody)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(css.headers[.cacheControl] == "no-cache")
            #expect(try await client.send(.get, "/static/js/app.js", as: .nobody).status == .ok)
            let escape = try await client.send(.get, "/static/../Templates/layout.mustache", as: .nobody)
            #expect(escape.status != .ok)
            let encoded = try await client.send(.get, "/vendor/%2e%2e/%2e%2e/etc/passwd", as: .nobody)
            #expect(encoded.status != .ok)
        }
    }

    @Test("every page template parses and the layout renders without a user")
    func templates() throws {
        let renderer = try PageRenderer.bundled()
        let html = renderer.html(
            LoginPage(
                frame: PageFrame.make(title: "Sign in", path: "/accounts/login/", identity: nil, flashes: [Flash(kind: .error, text: "<b>x</b>")]),
                formToken: "t", username: "", next: "/", error: nil))
        #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"), "messages are escaped")
        // A quote with a combining mark is one Character to Swift but a quote to the browser.
        let tricky = renderer.html(
            LoginPage(
                frame: PageFrame.make(title: "t", path: "/", identity: nil, flashes: []), formToken: "t",
                username: "\"\u{338} autofocus onfocus=x", next: "/", error: nil))
        #expect(tricky.contains("value=\"&quot;\u{338} autofocus onfocus=x\""))
        #expect(!tricky.contains("value=\"\"\u{338}"))
        #expect(!html.contains(#"class="sidebar""#))
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

// A small W3C WebDriver client for browser tests: Debian's `chromedriver` driving headless Chromium.
//
// HTTP goes through AsyncHTTPClient (which HummingbirdTesting brings), not URLSession: on Linux, URLSession refuses
// every chromedriver answer ("Failed writing header") because chromedriver writes its header lines without a space
// after the colon (`Content-Length:252`), which swift-corelibs-foundation's header parser rejects.

/// Where the browser tests find Chromium and chromedriver, and whether they run without them.
enum BrowserSupport {
    static let chromiumPath = "/usr/bin/chromium"
    static let missingMessage = "Chromium and chromedriver are required: apt-get install chromium chromium-driver (scripts/test.sh installs them)"

    /// `/usr/bin/chromedriver`, when it is installed.
    static var chromedriverPath: String? { executable("/usr/bin/chromedriver") }
    static var isInstalled: Bool { chromedriverPath != nil && executable(chromiumPath) != nil }
    /// `WORKFLOW_TEST_REQUIRE_BROWSER=1` (set by scripts/test.sh) turns a missing browser into a failure instead of a skip.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["WORKFLOW_TEST_REQUIRE_BROWSER"] == "1" }

    /// Throws (with the install command) when the browser is missing; a test that calls this fails rather than skips.
    static func require() throws {
        guard isInstalled else { throw BrowserMissing() }
    }

    /// One browser at a time across every suite: on two cores, parallel Chromiums starve each
    /// other and in-page waits time out.
    static let turns = BrowserTurns()

    /// Starts chromedriver and one browser session, runs `body`, and closes both on every way out.
    nonisolated(nonsending) static func withBrowser<T>(_ body: (BrowserSession) async throws -> T) async throws -> T {
        await turns.acquire()
        do {
            let value = try await withOwnBrowser(body)
            await turns.release()
            return value
        } catch {
            await turns.release()
            throw error
        }
    }

    private nonisolated(nonsending) static func withOwnBrowser<T>(_ body: (BrowserSession) async throws -> T) async throws -> T {
        let driver = try await ChromeDriver.start()
        do {
            let session = try await driver.newSession()
            do {
                let value = try await body(session)
                try await session.close()
                await driver.close()
                return value
            } catch {
                try? await session.close()
                throw error
            }
        } catch {
            await driver.close()
            throw error
        }
    }

    /// `<package root>/.build/browser-artifacts`, where screenshots go.
    static var artifacts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/browser-artifacts")
    }

    private static func executable(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}

/// A queue of browser users: one holds the turn, the others wait in order.
actor BrowserTurns {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Chromium or chromedriver is not installed.
struct BrowserMissing: Error, CustomStringConvertible {
    var description: String { BrowserSupport.missingMessage }
}

extension Trait where Self == ConditionTrait {
    /// Marks a test or suite as a browser test: it runs when Chromium and chromedriver are installed, is skipped when
    /// they are not, and fails (saying what to install) when they are not and `WORKFLOW_TEST_REQUIRE_BROWSER=1`.
    static var browser: Self {
        // An error from a condition is recorded as an issue (the test fails); `false` skips it.
        .enabled("needs Chromium and chromedriver (apt-get install chromium chromium-driver)") {
            if BrowserSupport.isInstalled { return true }
            if BrowserSupport.isRequired { throw BrowserMissing() }
            return false
        }
    }
}

/// A JSON value as WebDriver sends and takes it.
enum WebDriverJSON: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([WebDriverJSON])
    case object([String: WebDriverJSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: WebDriverJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, WebDriverJSON)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([WebDriverJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: WebDriverJSON].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    subscript(key: String) -> WebDriverJSON? {
        if case .object(let object) = self { object[key] } else { nil }
    }
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [WebDriverJSON]? { if case .array(let value) = self { value } else { nil } }
}

/// A command chromedriver refused or could not carry out.
struct WebDriverError: Error, CustomStringConvertible {
    /// The command, as `POST /session/…/element`, or what the test asked for.
    var command: String
    /// The WebDriver error code (`no such element`, `timeout`, …).
    var code: String
    var message: String
    var description: String { "WebDriver \(command) failed: \(code): \(message)" }
}

/// Sends WebDriver commands to a chromedriver on 127.0.0.1 and unwraps their `{"value": …}` answers.
struct WebDriverConnection: Sendable {
    let base: String

    func send(_ method: String, _ path: String, _ body: WebDriverJSON? = nil) async throws -> WebDriverJSON {
        let command = "\(method) \(path)"
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        if method == "POST" {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body ?? [:])))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        let status = Int(response.status.code)
        guard let answer = try? JSONDecoder().decode(WebDriverJSON.self, from: data), let value = answer["value"] else {
            throw WebDriverError(command: command, code: "HTTP \(status)", message: String(decoding: data, as: UTF8.self))
        }
        if let code = value["error"]?.string {
            throw WebDriverError(command: command, code: code, message: value["message"]?.string ?? "")
        }
        guard (200..<300).contains(status) else { throw WebDriverError(command: command, code: "HTTP \(status)", message: "\(value)") }
        return value
    }
}

/// A `chromedriver` process on a free port of 127.0.0.1, stopped by `close()`.
actor ChromeDriver {
    nonisolated let connection: WebDriverConnection
    private let process: Process
    private let exited: AsyncStream<Int32>
    private let log: URL
    private var closed = false

    /// Starts chromedriver and returns once its `/status` says it is ready (or throws after 15 seconds).
    static func start() async throws -> ChromeDriver {
        guard BrowserSupport.isInstalled, let path = BrowserSupport.chromedriverPath else { throw BrowserMissing() }
        let port = try freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(port)-\(UUID().uuidString).log")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-path=\(log.path)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let (exited, exit) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exit.yield(process.terminationStatus)
            exit.finish()
        }
        try process.run()
        let driver = ChromeDriver(port: port, process: process, exited: exited, log: log)
        do {
            try await driver.waitUntilReady()
        } catch {
            await driver.close()
            throw error
        }
        return driver
    }

    private init(port: Int, process: Process, exited: AsyncStream<Int32>, log: URL) {
        connection = WebDriverConnection(base: "http://127.0.0.1:\(port)")
        self.process = process
        self.exited = exited
        self.log = log
    }

    /// Polls `GET /status`: a readiness probe of another process, the one place this client waits in Swift.
    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw failure("chromedriver exited with status \(process.terminationStatus)") }
            if (try? await connection.send("GET", "/status"))?["ready"]?.bool == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw failure("chromedriver did not answer ready on \(connection.base)/status within 15 seconds")
    }

    private func failure(_ message: String) -> WebDriverError {
        let logged = (try? String(contentsOf: log, encoding: .utf8)).map { "\n" + $0.suffix(2000) } ?? ""
        return WebDriverError(command: "start chromedriver", code: "not ready", message: message + logged)
    }

    /// Opens a headless Chromium on a fresh profile; lookups wait up to `implicitWait` for elements to appear.
    func newSession(implicitWait: Duration = .seconds(5)) async throws -> BrowserSession {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let args: [WebDriverJSON] = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
            .string("--user-data-dir=\(profile.path)"),
        ]
        let options: WebDriverJSON = ["binary": .string(BrowserSupport.chromiumPath), "args": .array(args)]
        let capabilities: WebDriverJSON = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]]
        do {
            let answer = try await connection.send("POST", "/session", capabilities)
            guard let id = answer["sessionId"]?.string else {
                throw WebDriverError(command: "POST /session", code: "no session id", message: "\(answer)")
            }
            let session = BrowserSession(connection: connection, id: id, profile: profile)
            try await session.setTimeouts(implicit: implicitWait, script: .seconds(30))
            return session
        } catch {
            try? FileManager.default.removeItem(at: profile)
            throw error
        }
    }

    /// Stops chromedriver and waits for it to exit; it quits its browsers first.
    ///
    /// Not by SIGTERM: the libdispatch threads Swift concurrency runs on block it, and a child started from one inherits
    /// that signal mask, so chromedriver would never see it. `GET /shutdown` asks it to quit; SIGKILL follows if it has not after 5 seconds.
    func close() async {
        guard !closed else { return }
        closed = true
        if process.isRunning { _ = try? await connection.send("GET", "/shutdown") }
        let exited = self.exited, pid = process.processIdentifier
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { for await _ in exited {}; return true }
            group.addTask { try? await Task.sleep(for: .seconds(5)); return false }
            while let hasExited = await group.next() {
                if hasExited { return group.cancelAll() }
                kill(pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(at: log)
    }
}

/// One browser window, driven through WebDriver commands.
struct BrowserSession: Sendable {
    let connection: WebDriverConnection
    let id: String
    /// The Chromium profile folder, removed by `close()`.
    let profile: URL

    private func send(_ method: String, _ path: String, _ body: WebDriverJSON? = nil) async throws -> WebDriverJSON {
        try await connection.send(method, "/session/\(id)" + path, body)
    }

    /// Sets the element-lookup wait and the longest a script may run; nil leaves one as it is.
    func setTimeouts(implicit: Duration? = nil, script: Duration? = nil) async throws {
        var timeouts: [String: WebDriverJSON] = [:]
        timeouts["implicit"] = implicit.map { .number($0.milliseconds) }
        timeouts["script"] = script.map { .number($0.milliseconds) }
        _ = try await send("POST", "/timeouts", .object(timeouts))
    }

    func open(_ url: String) async throws { _ = try await send("POST", "/url", ["url": .string(url)]) }

    /// Resizes the window (the page's layout width follows).
    func setWindowSize(width: Int, height: Int) async throws {
        _ = try await send("POST", "/window/rect", ["width": .number(Double(width)), "height": .number(Double(height))])
    }
    var currentURL: String { get async throws { try await send("GET", "/url").string ?? "" } }
    var title: String { get async throws { try await send("GET", "/title").string ?? "" } }

    /// The first element matching `css`, waiting up to the implicit wait for it to appear.
    func find(_ css: String) async throws -> Element {
        do {
            return try element(in: try await send("POST", "/element", ["using": "css selector", "value": .string(css)]))
        } catch let error as WebDriverError where error.code == "no such element" {
            throw WebDriverError(command: "find(\"\(css)\")", code: error.code, message: "no element matches the CSS selector \(css)")
        }
    }

    /// Every element matching `css` (none is an empty array, after the implicit wait).
    func findAll(_ css: String) async throws -> [Element] {
        let answer = try await send("POST", "/elements", ["using": "css selector", "value": .string(css)])
        return try (answer.array ?? []).map(element(in:))
    }

    private func element(in value: WebDriverJSON) throws -> Element {
        guard let elementID = value[Element.key]?.string else {
            throw WebDriverError(command: "element", code: "bad answer", message: "no element reference in \(value)")
        }
        return Element(session: self, id: elementID)
    }

    /// Runs `script` as a function body in the page (`arguments[i]` are `args`) and returns what it returns.
    func execute(_ script: String, _ args: [WebDriverJSON] = []) async throws -> WebDriverJSON {
        try await send("POST", "/execute/sync", ["script": .string(script), "args": .array(args)])
    }

    /// Like `execute`, but the script ends by calling its last argument with the result.
    func executeAsync(_ script: String, _ args: [WebDriverJSON] = []) async throws -> WebDriverJSON {
        try await send("POST", "/execute/async", ["script": .string(script), "args": .array(args)])
    }

    /// Waits, inside the page, until the JavaScript expression `condition` is true; throws quoting it on timeout.
    /// (`timeout` under 80 seconds: each command has 90.)
    func waitUntil(_ condition: String, timeout: Duration = .seconds(5)) async throws {
        let script = """
            const done = arguments[arguments.length - 1], deadline = Date.now() + arguments[0];
            let last = null;
            const check = () => { try { return !!(\(condition)); } catch (error) { last = String(error); return false; } };
            const tick = () => {
              if (check()) return done(null);
              if (Date.now() >= deadline) return done(last === null ? "still false" : "last error: " + last);
              setTimeout(tick, 10);
            };
            tick();
            """
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let left = max(deadline - clock.now, .milliseconds(1))
            try await setTimeouts(script: left + .seconds(10))
            let answer: WebDriverJSON
            do {
                answer = try await executeAsync(script, [.number(left.milliseconds)])
            } catch let error as WebDriverError where Self.lostToNavigation(error) && clock.now < deadline {
                // The page navigated away while the script waited (a click that loads another page):
                // chromedriver drops the script's callback. Ask the new page.
                continue
            }
            if let why = answer.string {
                throw WebDriverError(command: "waitUntil(\(condition))", code: "timeout", message: "not true after \(timeout) (\(why))")
            }
            return
        }
    }

    /// Presses `key` while `modifier` is held.
    func chord(_ modifier: String, _ key: String) async throws {
        let actions: [WebDriverJSON] = [
            ["type": "keyDown", "value": .string(modifier)], ["type": "keyDown", "value": .string(key)],
            ["type": "keyUp", "value": .string(key)], ["type": "keyUp", "value": .string(modifier)],
        ]
        try await perform([["type": "key", "id": "keyboard", "actions": .array(actions)]])
    }

    /// Waits for CSS transitions (.2 s) to end, so screenshots show the final state.
    func settle() async throws {
        _ = try await executeAsync("setTimeout(arguments[arguments.length - 1], 350)")
    }

    /// Whether an asynchronous script failed because its document went away rather than by its own doing.
    private static func lostToNavigation(_ error: WebDriverError) -> Bool {
        error.code == "script timeout" || error.message.contains("unloaded") || error.message.contains("navigat")
    }

    /// The text of the open `alert`/`confirm`/`prompt`.
    var alertText: String { get async throws { try await send("GET", "/alert/text").string ?? "" } }
    func acceptAlert() async throws { _ = try await send("POST", "/alert/accept") }
    func dismissAlert() async throws { _ = try await send("POST", "/alert/dismiss") }

    /// Performs W3C input actions (`POST /actions`): `sources` are input sources (`pointer`, `key`, …), each with
    /// its `actions`; sources run tick by tick in parallel. What stays pressed stays pressed until the next call.
    func perform(_ sources: [WebDriverJSON]) async throws {
        _ = try await send("POST", "/actions", ["actions": .array(sources)])
    }

    /// Releases every key and button the actions left pressed.
    func releaseActions() async throws { _ = try await send("DELETE", "/actions") }

    /// Presses the left mouse button at `start`, moves to `end` in `steps` moves and releases it (viewport pixels).
    func drag(from start: (x: Double, y: Double), to end: (x: Double, y: Double), steps: Int = 8) async throws {
        var actions: [WebDriverJSON] = [Self.pointerMove(start), ["type": "pointerDown", "button": 0]]
        for step in 1...max(1, steps) {
            let t = Double(step) / Double(max(1, steps))
            actions.append(Self.pointerMove((start.x + (end.x - start.x) * t, start.y + (end.y - start.y) * t)))
        }
        actions.append(["type": "pointerUp", "button": 0])
        try await perform([Self.mouse(actions)])
    }

    /// Clicks the left mouse button `count` times at a viewport point.
    func click(at point: (x: Double, y: Double), count: Int = 1) async throws {
        var actions: [WebDriverJSON] = [Self.pointerMove(point)]
        for _ in 0..<count { actions += [["type": "pointerDown", "button": 0], ["type": "pointerUp", "button": 0]] }
        try await perform([Self.mouse(actions)])
    }

    /// Presses and releases each character of `keys` in turn, on the focused element; `WebDriverKey` names the
    /// keys that are not characters.
    func press(_ keys: String) async throws {
        let actions = keys.flatMap { key -> [WebDriverJSON] in
            [["type": "keyDown", "value": .string(String(key))], ["type": "keyUp", "value": .string(String(key))]]
        }
        try await perform([["type": "key", "id": "keyboard", "actions": .array(actions)]])
    }

    /// A pointer source for `perform`: the mouse, running `actions`.
    static func mouse(_ actions: [WebDriverJSON]) -> WebDriverJSON {
        ["type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"], "actions": .array(actions)]
    }

    /// A `pointerMove` action to a viewport point (whole pixels, as WebDriver wants them).
    static func pointerMove(_ point: (x: Double, y: Double)) -> WebDriverJSON {
        ["type": "pointerMove", "duration": 0, "origin": "viewport", "x": .number(point.x.rounded()), "y": .number(point.y.rounded())]
    }

    /// Saves the window as `.build/browser-artifacts/<name>.png` and returns the file's URL.
    @discardableResult
    func screenshot(named name: String) async throws -> URL {
        let encoded = try await send("GET", "/screenshot").string ?? ""
        guard let png = Data(base64Encoded: encoded) else {
            throw WebDriverError(command: "GET /screenshot", code: "bad answer", message: "not base64")
        }
        try FileManager.default.createDirectory(at: BrowserSupport.artifacts, withIntermediateDirectories: true)
        let file = BrowserSupport.artifacts.appendingPathComponent("\(name).png")
        try png.write(to: file)
        return file
    }

    /// Ends the session (Chromium quits) and removes its profile.
    func close() async throws {
        defer { try? FileManager.default.removeItem(at: profile) }
        _ = try await connection.send("DELETE", "/session/\(id)")
    }
}

/// An element of the page, as a WebDriver element reference.
struct Element: Sendable {
    /// The W3C key of element references.
    static let key = "element-6066-11e4-a52e-4f735466cecf"
    let session: BrowserSession
    let id: String

    /// The reference, to pass to `execute` as an argument.
    var json: WebDriverJSON { [Self.key: .string(id)] }

    private func send(_ method: String, _ path: String, _ body: WebDriverJSON? = nil) async throws -> WebDriverJSON {
        try await session.connection.send(method, "/session/\(session.id)/element/\(id)" + path, body)
    }

    func click() async throws { _ = try await send("POST", "/click") }
    /// Types `text` into the element (WebDriver "send keys").
    func type(_ text: String) async throws { _ = try await send("POST", "/value", ["text": .string(text)]) }
    func clear() async throws { _ = try await send("POST", "/clear") }
    /// The rendered text, as the user sees it.
    var text: String { get async throws { try await send("GET", "/text").string ?? "" } }
    /// The HTML attribute `name`, or nil when the element has none.
    func attribute(_ name: String) async throws -> String? { try await send("GET", "/attribute/\(name)").string }
    /// The DOM property `name` (`value`, `checked`, …).
    func property(_ name: String) async throws -> WebDriverJSON { try await send("GET", "/property/\(name)") }
}

extension Duration {
    fileprivate var milliseconds: Double {
        (Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15).rounded(.up)
    }
}

/// WebDriver's codes for keys that are not characters, for `BrowserSession.press`.
enum WebDriverKey {
    static let backspace = "\u{E003}"
    static let tab = "\u{E004}"
    static let enter = "\u{E007}"
    static let escape = "\u{E00C}"
    static let arrowLeft = "\u{E012}"
    static let arrowUp = "\u{E013}"
    static let arrowRight = "\u{E014}"
    static let arrowDown = "\u{E015}"
    static let delete = "\u{E017}"
}

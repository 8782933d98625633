import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

/// The workflow editor (`Public/js/editor.js`) in Chromium: the form, the graph and the JSON views of one document,
/// validation as it changes, and saving through API v1. Screenshots: `.build/browser-artifacts/editor-*.png`.
@Suite("EditorBrowser", .serialized)
struct EditorBrowserTests {
    typealias Point = (x: Double, y: Double)
    /// WebDriver's codes for the modifier keys.
    static let controlKey = "\u{E009}"
    static let altKey = "\u{E00A}"

    /// Three Kt steps in a chain (no depends_on): a → b → c.
    static let chain: JSONValue = [
        "procedures": [
            ["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "one"]],
            ["name": "b", "mod": "common.Kt", "method": "prt1", "params": ["msg": "two"]],
            ["name": "c", "mod": "common.Kt", "method": "prt1", "params": ["msg": "three"]],
        ]
    ]

    @Test("create in the form: add a step, pick module and method, fill a parameter; JSON and graph show it; Save stores version 1", .browser)
    func createInForm() async throws {
        let harness = try await ServerHarness.make()
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/create/")
                #expect(try await browser.findAll(".step-card").count == 1, "the starter step")
                #expect(try await state(browser) == "Not saved yet")

                // Saving needs a usable name, said next to the name field.
                try await browser.find("#editor-save").click()
                try await browser.waitUntil("!document.getElementById('flow-name-error')?.hidden")
                #expect(try await browser.find("#flow-name-error").text.contains("name"))
                #expect(try await browser.find("#flow-name").attribute("aria-invalid") == "true")
                try await browser.find("#flow-name").type("etl demo")
                try await browser.find("#editor-save").click()
                try await browser.waitUntil("document.getElementById('flow-name-error').textContent.includes('letters, digits')")
                try await browser.find("#flow-name").clear()
                try await browser.find("#flow-name").type("etl-demo")

                // A second step: its name is focused and selected, so typing replaces it.
                try await browser.find(".add-step").click()
                #expect(try await browser.findAll(".step-card").count == 2)
                #expect(try await browser.execute("return document.activeElement.dataset.path") == "procedures[1].name")
                try await browser.press("shout")
                try await browser.find("[data-path='procedures[1].mod'] option[value='common.Bash']").click()
                try await browser.waitUntil("document.querySelector(\"[data-path='procedures[1].method']\").value === 'run'")
                let cmd = try await browser.find("[data-path='procedures[1].params.cmd']")
                try await cmd.type("echo hi")
                #expect(try await browser.find("#step-1 .step-title").text.contains("shout"))
                #expect(try await state(browser) == "Unsaved changes")
                // Parameters come from the method's descriptor: required marks, defaults as placeholders, typed inputs.
                #expect(try await browser.execute("return document.querySelector(\"#step-1 [data-param='cmd'] label\").textContent").string?.contains("(required)") == true)
                #expect(try await browser.find("[data-path='procedures[1].params.timeout']").attribute("type") == "number")
                #expect(try await browser.find("[data-path='procedures[1].params.shell']").attribute("type") == "checkbox")
                #expect(try await browser.find("[data-path='procedures[1].params.cwd']").attribute("placeholder")?.hasPrefix("default: ") == true)
                _ = try await browser.execute("document.activeElement.blur(); window.scrollTo(0, 0)")
                try await browser.settle()
                try await browser.screenshot(named: "editor-form")
                _ = try await browser.execute("document.getElementById('step-1').scrollIntoView()")
                try await browser.screenshot(named: "editor-form-params")
                _ = try await browser.execute("const d = document.querySelector('#step-1 .step-advanced'); d.open = true; d.scrollIntoView()")
                try await browser.screenshot(named: "editor-form-advanced")

                try await browser.find("#tab-json").click()
                try await browser.waitUntil("\(Self.jsonText).includes('\"cmd\": \"echo hi\"')")
                if try await browser.execute("return window.CodeMirror !== undefined") == true {
                    try await browser.waitUntil("document.querySelectorAll('#view-json .CodeMirror-foldgutter-open').length > 0")
                }
                #expect(try await browser.execute("return \(Self.jsonText).indexOf('\"shout\"') > \(Self.jsonText).indexOf('\"hello\"')") == true)
                try await browser.screenshot(named: "editor-json")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
                try await browser.settle()
                try await browser.screenshot(named: "editor-json-dark")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'light'")

                try await browser.find("#tab-visual").click()
                try await browser.waitUntil("document.querySelectorAll('#view-visual .wf-node').length === 2")
                #expect(try await browser.execute("return document.querySelectorAll('#view-visual .wf-edge').length") == 1, "the implicit chain hello → shout")
                #expect(try await browser.execute("return document.querySelector('.wf-edge').dataset.from + '→' + document.querySelector('.wf-edge').dataset.to") == "hello→shout")
                #expect(try await browser.find(".wf-node[data-id='shout'] .wf-node__subtitle").text == "common.Bash · run")
                try await browser.settle()
                try await browser.screenshot(named: "editor-visual")

                try await browser.find("#editor-save").click()
                try await browser.waitUntil("location.pathname === '/workflows/etl-demo/edit/'", timeout: .seconds(10))
                let flow = try #require(try await harness.store.flow(named: "etl-demo"))
                #expect(flow.currentVersion == 1)
                let document = JSONValue.object(flow.document)
                #expect(document["procedures"]?[1]?["name"] == "shout")
                #expect(document["procedures"]?[1]?["mod"] == "common.Bash")
                #expect(document["procedures"]?[1]?["params"]?["cmd"] == "echo hi")
                #expect(document["procedures"]?[0]?["params"]?["msg"] == "hello")
                try await waitReady(browser)
                #expect(try await browser.find("#editor-version").text == "v1")
            }
        }
    }

    @Test("edit in JSON: a changed parameter shows in the form; Save makes version 2 and says so", .browser)
    func editInJSON() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/hello/edit/")
                #expect(try await state(browser) == "No changes")
                try await browser.find("#tab-json").click()
                try await browser.waitUntil("\(Self.jsonText).includes('hi ${var.who}')")
                // Select "hi" inside the message and type over it, as a user would.
                try await selectJSON("hi ${var.who}", length: 2, browser)
                try await browser.press("bye")
                try await browser.waitUntil("document.getElementById('editor-state').textContent === 'Unsaved changes'")
                // Tab leaves the JSON editor instead of inserting a tab (no keyboard trap).
                try await browser.press(WebDriverKey.tab)
                #expect(try await browser.execute("return document.activeElement.closest('#view-json') === null") == true)
                #expect(try await browser.execute("return \(Self.jsonText).includes('\\t')") == false)

                try await browser.find("#tab-form").click()
                #expect(try await browser.execute("return document.getElementById('view-form').hidden") == false)
                #expect(try await browser.find("[data-path='procedures[0].params.msg']").property("value") == "bye ${var.who}")
                #expect(try await browser.find("[data-path='variables.who']").property("value") == "ops", "variables are in the form too")

                try await browser.find("#editor-comment").type("friendlier")
                try await browser.find("#editor-save").click()
                try await browser.waitUntil("document.getElementById('editor-state').textContent === 'Saved as version 2'")
                #expect(try await browser.find("#editor-version").text == "v2")
                let flow = try #require(try await harness.store.flow(named: "hello"))
                #expect(flow.currentVersion == 2)
                #expect(JSONValue.object(flow.document)["procedures"]?[0]?["params"]?["msg"] == "bye ${var.who}")
                #expect(Array(flow.document.keys) == ["procedures", "variables"], "the keys keep their order")
                #expect(try await harness.store.version(2, of: "hello").comment == "friendlier")

                // Run: saved, so it starts at once and the run's page opens.
                try await browser.find("#editor-run").click()
                try await browser.waitUntil("/^\\/workflows\\/hello\\/run\\/\\d+\\/$/.test(location.pathname)", timeout: .seconds(10))
            }
        }
    }

    @Test("on the canvas: deleting the implicit chain edge and connecting two steps write depends_on; a move writes _positions", .browser)
    func connectOnCanvas() async throws {
        let harness = try await ServerHarness.make()
        var seeded = Self.chain.objectValue ?? [:]
        seeded["_connections"] = [["from": "a", "to": "b"], ["from": "b", "to": "c"]]
        _ = try await harness.store.createFlow(name: "chain", document: seeded, author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/chain/edit/")
                try await browser.find("#tab-visual").click()
                try await browser.waitUntil("document.querySelectorAll('.wf-edge').length === 2")

                // The implicit a → b edge: select it and press Delete; b now starts at once.
                try await browser.click(at: try await edgeMiddle("a", "b", browser))
                try await browser.press(WebDriverKey.delete)
                try await browser.waitUntil("document.querySelectorAll('.wf-edge').length === 1")

                // a → c: drag from a's output port to c.
                let port = try await center(".wf-node[data-id='a'] .wf-port--out .wf-port__hit", browser)
                let target = try await center(".wf-node[data-id='c'] .wf-node__body", browser)
                try await browser.drag(from: port, to: target)
                try await browser.waitUntil("document.querySelector(\".wf-edge[data-from='a'][data-to='c']\") !== null")
                #expect(try await browser.execute("return document.querySelectorAll('.wf-edge').length") == 2)

                // Moving c writes the layout.
                let body = try await center(".wf-node[data-id='c'] .wf-node__body", browser)
                try await browser.drag(from: body, to: (body.x, body.y + 90))
                #expect(try await state(browser) == "Unsaved changes")

                try await browser.find("#editor-save").click()
                try await browser.waitUntil("document.getElementById('editor-state').textContent === 'Saved as version 2'")
                let document = JSONValue.object(try #require(try await harness.store.flow(named: "chain")).document)
                #expect(document["procedures"]?[0]?["depends_on"] == nil, "a keeps its implicit (empty) dependencies")
                #expect(document["procedures"]?[1]?["depends_on"] == [], "b starts at once")
                #expect(document["procedures"]?[2]?["depends_on"] == ["b", "a"], "the implicit b was written out first")
                #expect(document["_positions"]?["c"]?["y"]?.intValue != nil)
                #expect(document["_positions"]?["a"]?["x"]?.intValue != nil)
                #expect(document["_connections"] == [["from": "b", "to": "c"], ["from": "a", "to": "c"]], "the seed's edges follow, in their shape")

                // Double-clicking a node opens its card in the form.
                try await browser.click(at: try await center(".wf-node[data-id='b'] .wf-node__body", browser), count: 2)
                try await browser.waitUntil("!document.getElementById('view-form').hidden")
                #expect(try await browser.execute("return document.activeElement.dataset.path") == "procedures[1].name")
                try await expectNoPageErrors(browser)
            }
        }
    }

    @Test("an unknown module is listed with its path; clicking it focuses the field, or the node on the canvas; Save is refused", .browser)
    func problems() async throws {
        let harness = try await ServerHarness.make()
        let broken: JSONValue = [
            "procedures": [
                ["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi"]],
                ["name": "oops", "mod": "common.Nope", "method": "run", "params": ["x": 1]],
            ]
        ]
        _ = try await harness.store.createFlow(name: "broken", document: broken.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/broken/edit/")
                try await browser.waitUntil("!document.getElementById('editor-problems').hidden")
                let problem = try await browser.find(".problem-link[data-problem-path='procedures[1].mod']")
                #expect(try await problem.text.contains("procedures[1].mod"))
                #expect(try await problem.text.contains("unknown module 'common.Nope'"))
                #expect(try await browser.find("#step-1 .step-issues").text == "1 problem")
                #expect(try await browser.find("#step-1 .field-issue").text.contains("unknown module"))
                #expect(try await browser.find("[data-path='procedures[1].mod']").attribute("aria-invalid") == "true")
                // The unknown module stays selected (nothing is lost), and an undeclared parameter stays editable.
                #expect(try await browser.find("[data-path='procedures[1].mod']").property("value") == "common.Nope")
                #expect(try await browser.find("[data-path='procedures[1].params.x']").property("value") == "1")
                _ = try await browser.execute("window.scrollTo(0, 0)")
                try await browser.settle()
                try await browser.screenshot(named: "editor-problems")

                try await problem.click()
                #expect(try await browser.execute("return document.activeElement.dataset.path") == "procedures[1].mod")

                try await browser.find("#tab-visual").click()
                try await browser.waitUntil("document.querySelector(\".wf-node[data-id='oops']\")?.classList.contains('has-problems')")
                #expect(try await browser.execute("return document.querySelector(\".wf-node[data-id='greet']\").classList.contains('has-problems')") == false)
                try await browser.settle()
                try await browser.screenshot(named: "editor-visual-problems")
                try await browser.find(".problem-link[data-problem-path='procedures[1].mod']").click()
                #expect(try await browser.execute("return document.activeElement.dataset.id") == "oops")
                #expect(try await browser.execute("return document.querySelector('.wf-node.is-selected')?.dataset.id") == "oops")

                // The server refuses to save it, naming the field.
                try await browser.find("#tab-form").click()
                try await browser.find("[data-path='procedures[0].params.msg']").type("!")
                try await browser.find("#editor-save").click()
                try await browser.waitUntil("document.getElementById('editor-problems').textContent.includes('Not saved')")
                #expect(try await browser.find("#editor-problems").text.contains("procedures[1].mod"))
                #expect(try await harness.store.flow(named: "broken")?.currentVersion == 1)
                #expect(try await state(browser) == "Unsaved changes")

                // Picking a real module fixes it.
                try await browser.find("[data-path='procedures[1].mod'] option[value='common.Kt']").click()
                try await browser.waitUntil("document.querySelector(\"[data-path='procedures[1].method']\").value === 'prt1'")
                try await browser.find("[data-path='procedures[1].params.msg']").type("fixed")
                try await browser.waitUntil("document.getElementById('editor-problems').hidden", timeout: .seconds(5))
                try await expectNoPageErrors(browser)
            }
        }
    }

    @Test("an edit shows Unsaved changes and guards leaving; Ctrl+S saves; the tablet layout", .browser)
    func unsavedAndShortcut() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/hello/edit/")
                let leaving = "const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented"
                #expect(try await browser.execute(leaving) == false)
                #expect(try await state(browser) == "No changes")

                try await browser.find("[data-path='procedures[0].params.msg']").type(" and more")
                #expect(try await state(browser) == "Unsaved changes")
                #expect(try await browser.execute(leaving) == true)

                try await browser.chord(Self.controlKey, "s")
                try await browser.waitUntil("document.getElementById('editor-state').textContent === 'Saved as version 2'")
                #expect(try await browser.execute(leaving) == false)
                let flow = try #require(try await harness.store.flow(named: "hello"))
                #expect(flow.currentVersion == 2)
                #expect(JSONValue.object(flow.document)["procedures"]?[0]?["params"]?["msg"] == "hi ${var.who} and more")

                // Typing @ offers the variables (and upstream steps).
                let msg = try await browser.find("[data-path='procedures[0].params.msg']")
                try await msg.type(" @")
                try await browser.waitUntil("document.querySelector('.ref-suggestions:not([hidden])') !== null")
                #expect(try await browser.execute("return [...document.querySelectorAll('.ref-suggestions [role=option]')].map((o) => o.dataset.ref)").array?
                    .contains("@var.who") == true)
                try await browser.press(WebDriverKey.enter)
                #expect(try await msg.property("value") == "hi ${var.who} and more @var.who")

                try await browser.setWindowSize(width: 800, height: 1000)
                _ = try await browser.execute("document.querySelector('.step-advanced').open = true")
                try await browser.settle()
                try await browser.screenshot(named: "editor-tablet")
                #expect(try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth") == true, "nothing overflows sideways")
                try await expectNoPageErrors(browser)
            }
        }
    }

    @Test("keyboard reordering; leaving JSON that does not parse asks, and discarding restores the last valid document", .browser)
    func reorderAndParseErrors() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "chain", document: Self.chain.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/chain/edit/")
                try await browser.find("[data-path='procedures[2].name']").click()
                try await browser.chord(Self.altKey, WebDriverKey.arrowUp)
                #expect(try await names(browser) == ["a", "c", "b"])
                #expect(try await browser.execute("return document.activeElement.dataset.path") == "procedures[1].name", "the focus moves with the card")
                try await browser.find("[data-key='procedures[1]:down']").click()
                #expect(try await names(browser) == ["a", "b", "c"])
                #expect(try await browser.execute("return document.activeElement.dataset.key") == "procedures[2]:handle", "Move down is disabled on the last card")

                try await browser.find("#tab-json").click()
                try await browser.waitUntil("\(Self.jsonText).length > 0")
                try await selectJSON("\"procedures\"", length: 0, browser)
                try await browser.press("x")
                try await browser.waitUntil("document.getElementById('editor-problems').textContent.includes('line 2, column 3')")
                #expect(try await browser.find("#editor-problems").text.contains("The JSON does not parse"))
                try await browser.find("#tab-form").click()
                #expect(try await browser.alertText.contains("line 2, column 3"))
                try await browser.dismissAlert()
                #expect(try await browser.find("#tab-json").attribute("aria-selected") == "true", "Cancel stays to fix it")
                try await browser.find("#tab-form").click()
                try await browser.acceptAlert()
                try await browser.waitUntil("!document.getElementById('view-form').hidden")
                #expect(try await names(browser) == ["a", "b", "c"])
                #expect(try await browser.find("#editor-problems").property("hidden") == true)
                try await browser.find("#tab-json").click()
                #expect(try await browser.execute("return JSON.parse(\(Self.jsonText)).procedures.length") == 3, "the discarded edit is gone")
                try await expectNoPageErrors(browser)
            }
        }
    }

    // MARK: - Helpers

    /// The JSON view's text, from CodeMirror or the plain textarea.
    static let jsonText =
        "((document.querySelector('#view-json .CodeMirror')?.CodeMirror?.getValue()) ?? document.getElementById('json-text').value)"

    /// Signs in as the administrator through the login form and lands on `path` with the editor ready.
    @Test("renaming a step renames it in the other cards' dependency boxes, which then change the right dependency", .browser)
    func renameUpdatesDependencies() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "chain", document: Self.chain.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/chain/edit/")
                let name = try await browser.find("[data-path='procedures[0].name']")
                try await name.clear()
                try await name.type("first")
                try await browser.find("[data-path='procedures[1].name']").click()  // leaves the field: the rename applies
                try await browser.waitUntil("document.querySelector('input[data-dep=\"first\"]') !== null")
                #expect(try await browser.execute("return document.querySelector('input[data-dep=\"a\"]')") == .null)
                #expect(try await browser.execute(
                    "const box = document.querySelector('#step-2 input[data-dep=\"first\"]'); return document.querySelector(`label[for=\"${box.id}\"]`).textContent") == "first")
                try await expectNoPageErrors(browser)
            }
        }
    }

    @Test("Test step runs one step with pinned results of the steps it reads, unsaved edits included", .browser)
    func testStep() async throws {
        let harness = try await ServerHarness.make()
        let reads: JSONValue = [
            "procedures": [
                ["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "one"]],
                ["name": "b", "mod": "common.Kt", "method": "prt1", "params": ["msg": "@a.msg"]],
            ]
        ]
        _ = try await harness.store.createFlow(name: "reads", document: reads.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await signIn(browser, base, to: "/workflows/reads/edit/")
                try await browser.find("#step-1 .step-test summary").click()
                let pinned = try await browser.find("#step-1 .step-test textarea")
                #expect(try await pinned.property("value").string?.contains("\"a\"") == true, "the step it reads is offered for pinning")
                try await pinned.clear()
                try await pinned.type(#"{"a": {"msg": "pinned"}}"#)
                try await browser.find("#step-1 .step-test button.primary").click()
                try await browser.waitUntil("document.querySelector('#step-1 [data-test-result]') !== null", timeout: .seconds(15))
                #expect(try await browser.find("#step-1 [data-test-result]").text.contains("ret from pinned"))
                #expect(try await browser.find("#step-1 .step-test-output .badge").text == "success")
                #expect(try await browser.execute("return document.querySelector('#step-1 .step-test-output').textContent.includes('null')") == false)
                try await browser.screenshot(named: "editor-test-step")

                // Without the pinned result the server says what to pin.
                try await pinned.clear()
                try await pinned.type("{}")
                try await browser.find("#step-1 .step-test button.primary").click()
                try await browser.waitUntil("document.querySelector('#step-1 .step-test-output .form-error') !== null", timeout: .seconds(15))
                #expect(try await browser.find("#step-1 .step-test-output .form-error").text.contains("pin a result for it (results.a)"))
                #expect(try await harness.store.listRuns(RunQuery()).isEmpty, "testing records no run")
                try await expectNoPageErrors(browser)
            }
        }
    }

    private func signIn(_ browser: BrowserSession, _ base: String, to path: String) async throws {
        try await browser.open(base + "/accounts/login/?next=" + path)
        try await browser.find("#username").type("admin")
        try await browser.find("#password").type(ServerHarness.password)
        try await browser.find("button[type=submit]").click()
        try await browser.waitUntil("location.pathname === '\(path)'", timeout: .seconds(10))
        try await waitReady(browser)
        _ = try await browser.execute("""
            window.pageErrors = [];
            window.addEventListener("error", (event) => window.pageErrors.push(String(event.message)));
            window.addEventListener("unhandledrejection", (event) => window.pageErrors.push(String(event.reason)));
            """)
    }

    /// Fails when the page reported a script error since signing in (a page that has been left reports none).
    private func expectNoPageErrors(_ browser: BrowserSession) async throws {
        #expect(try await browser.execute("return window.pageErrors ?? []") == [])
    }

    /// Waits for the editor's script to start and the first validation to answer.
    private func waitReady(_ browser: BrowserSession) async throws {
        try await browser.waitUntil("document.getElementById('editor')?.dataset.ready === 'true' && document.getElementById('editor').dataset.validated !== undefined", timeout: .seconds(10))
    }

    private func state(_ browser: BrowserSession) async throws -> String {
        try await browser.find("#editor-state").text
    }

    /// The step names, in card order.
    private func names(_ browser: BrowserSession) async throws -> [String] {
        let answer = try await browser.execute("return [...document.querySelectorAll('.step-card .step-name')].map((input) => input.value)")
        return answer.array?.compactMap(\.string) ?? []
    }

    /// Selects `length` characters of the JSON text where `text` starts, and focuses the editor there.
    private func selectJSON(_ text: String, length: Int, _ browser: BrowserSession) async throws {
        let found = try await browser.execute(
            """
            const text = \(Self.jsonText), at = text.indexOf(arguments[0]);
            if (at < 0) return false;
            const cm = document.querySelector('#view-json .CodeMirror')?.CodeMirror;
            if (cm) { cm.focus(); cm.setSelection(cm.posFromIndex(at), cm.posFromIndex(at + arguments[1])); }
            else { const area = document.getElementById('json-text'); area.focus(); area.setSelectionRange(at, at + arguments[1]); }
            return true;
            """, [.string(text), .number(Double(length))])
        try #require(found == true, "the JSON has no \(text)")
    }



    private func center(_ css: String, _ browser: BrowserSession) async throws -> Point {
        let answer = try await browser.execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]",
            [.string(css)])
        let numbers = answer.array?.compactMap(\.number) ?? []
        try #require(numbers.count == 2, "no element matches \(css)")
        return (numbers[0], numbers[1])
    }

    /// The middle of the drawn edge from → to, in viewport pixels.
    private func edgeMiddle(_ from: String, _ to: String, _ browser: BrowserSession) async throws -> Point {
        let answer = try await browser.execute(
            """
            const line = document.querySelector(`.wf-edge[data-from="${arguments[0]}"][data-to="${arguments[1]}"] .wf-edge__line`);
            const p = line.getPointAtLength(line.getTotalLength() / 2), m = line.getScreenCTM();
            return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f];
            """, [.string(from), .string(to)])
        let numbers = answer.array?.compactMap(\.number) ?? []
        try #require(numbers.count == 2)
        return (numbers[0], numbers[1])
    }
}


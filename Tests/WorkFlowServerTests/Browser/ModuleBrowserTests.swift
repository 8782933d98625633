import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

/// The module pages in Chromium: creating a module, editing it in CodeMirror with the sidebar
/// following each save, a syntax error that leads to its line, versions, and the new method in the
/// workflow editor's picker. Screenshots: `.build/browser-artifacts/modules-*.png`.
@Suite("ModuleBrowser", .serialized)
struct ModuleBrowserTests {
    static let controlKey = "\u{E009}"
    /// The editor's text, from CodeMirror or the plain textarea.
    static let editorText =
        "((document.querySelector('.module-code .CodeMirror')?.CodeMirror?.getValue()) ?? document.getElementById('module-code').value)"

    /// A method added to the skeleton, pasted in; `XX` is typed over afterwards.
    static let farewell = """

            def farewell(self, context, cfgs):
                \"\"\"XX

                Args:
                    who (str): Whom to say goodbye to
                \"\"\"
                return {"status": True, "data": "bye " + cfgs.get("who", "")}

        """

    @Test("the editor journey: create, edit in CodeMirror, save, a syntax error and its fix, versions, and the method in the workflow editor", .browser)
    func editorJourney() async throws {
        let harness = try await ServerHarness.make()
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await browser.setWindowSize(width: 1400, height: 900)
                try await signIn(browser, base, to: "/modules/")
                try await browser.waitUntil("document.body.dataset.modulesReady === 'true'")
                #expect(try await browser.find("[data-module='common.Kt'] .badge-core").text == "core")

                // New module: the panel opens under its button, the editor opens after.
                try await browser.find("#new-module > summary").click()
                try await browser.waitUntil("document.activeElement?.id === 'new-module-category'")
                try await browser.find("#new-module-new-category").type("journey")
                try await browser.find("#new-module-name").type("Greeter")
                try await browser.find("#new-module button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/modules/journey/Greeter/edit/'", timeout: .seconds(15))
                try await waitEditor(browser)
                #expect(try await browser.find(".flash-success").text.contains("Module \"journey.Greeter\" created successfully."))
                #expect(try await browser.execute("return \(Self.editorText).includes('class Greeter:')") == true)
                #expect(try await browser.findAll("#module-inspection [data-method='example']").count == 1)
                let hasCodeMirror = try await browser.execute("return window.CodeMirror !== undefined") == true
                if hasCodeMirror {
                    #expect(try await browser.findAll(".module-code .CodeMirror .cm-keyword").count > 0, "Python is highlighted")
                }
                #expect(try await state(browser) == "No changes")

                // Paste a method at the end, then type its description over the placeholder.
                _ = try await browser.execute(
                    """
                    const cm = document.querySelector('.module-code .CodeMirror')?.CodeMirror;
                    if (cm) { cm.focus(); cm.replaceRange(arguments[0], { line: cm.lastLine() }); }
                    else { const area = document.getElementById('module-code'); area.focus(); area.setRangeText(arguments[0], area.value.length, area.value.length, 'end'); area.dispatchEvent(new Event('input')); }
                    """, [.string(Self.farewell)])
                try await select("XX", browser)
                try await browser.press("Says goodbye.")
                #expect(try await browser.execute("return \(Self.editorText).includes('\"\"\"Says goodbye.')") == true)
                #expect(try await state(browser) == "Unsaved changes")
                try await browser.find("#module-comment").type("add farewell")

                // Ctrl+S saves; the sidebar shows the new method, marked new.
                try await browser.chord(Self.controlKey, "s")
                try await browser.waitUntil("document.getElementById('module-version').textContent === 'v2'", timeout: .seconds(15))
                #expect(try await state(browser) == "Module saved successfully: version 2.")
                #expect(try await browser.findAll("#module-inspection .module-method.is-new[data-method='farewell']").count == 1)
                #expect(try await browser.find("#module-inspection [data-method='farewell'] .module-method-label").text == "Says goodbye.")
                #expect(try await browser.findAll("#module-inspection [data-method='farewell'] [data-param='who']").count == 1)
                #expect(try await browser.find("#module-method-count").text == "2 methods")
                #expect(try await browser.find("#module-comment").property("value") == "", "the note went with the version")
                #expect(try await harness.store.moduleVersion(2, category: "journey", name: "Greeter").comment == "add farewell")
                try await browser.settle()
                try await browser.screenshot(named: "modules-editor")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
                try await browser.settle()
                try await browser.screenshot(named: "modules-editor-dark")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'light'")

                // A syntax error: nothing is saved, the error names line and column, the cursor goes to the line.
                let line = try #require(try await browser.execute(
                    "return \(Self.editorText).split('\\n').findIndex((l) => l.includes('def farewell')) + 1").number.map(Int.init))
                try await select("cfgs):\n        \"\"\"Says", browser, length: 6)
                try await browser.press("cfgs)")
                try await browser.find("#module-save").click()
                try await browser.waitUntil("!document.getElementById('module-error').hidden", timeout: .seconds(15))
                let error = try await browser.find("#module-error").text
                #expect(error.contains("Syntax error at line \(line), column"), "got: \(error)")
                #expect(error.contains("Nothing was saved."))
                if hasCodeMirror {
                    #expect(try await browser.execute("return document.querySelector('.module-code .CodeMirror').CodeMirror.getCursor().line + 1") == .number(Double(line)))
                    #expect(try await browser.findAll(".module-code .module-error-line").count == 1)
                }
                #expect(try await browser.find("#module-version").text == "v2")
                #expect(try await harness.store.module(category: "journey", name: "Greeter")?.currentVersion == 2)
                try await browser.settle()
                try await browser.screenshot(named: "modules-editor-syntax-error")

                // Typing the colon back fixes it: the text is version 2's again, so the save says so.
                try await select("cfgs)\n        \"\"\"Says", browser, offset: 5, length: 0)
                try await browser.press(":")
                try await browser.waitUntil("\(Self.editorText).includes('def farewell(self, context, cfgs):')")
                #expect(try await browser.execute("return document.querySelectorAll('.module-code .module-error-line').length") == 0, "the mark goes with the edit")
                try await browser.find("#module-save").click()
                try await browser.waitUntil("document.getElementById('module-state').textContent === 'No changes detected.'", timeout: .seconds(15))
                #expect(try await browser.execute("return document.getElementById('module-error').hidden") == true)

                // Versions: the list, then version 1 → 2 side by side.
                try await browser.find(".module-editor-bar a[href$='/versions/']").click()
                try await browser.waitUntil("location.pathname === '/modules/journey/Greeter/versions/'")
                #expect(try await browser.findAll("#version-table tbody tr").count == 2)
                #expect(try await browser.find("tr[data-version='2']").text.contains("add farewell"))
                try await browser.find("tr[data-version='2'] a[href*='/diff/']").click()
                try await browser.waitUntil("location.pathname === '/modules/journey/Greeter/versions/diff/'")
                #expect(try await browser.find("#diff-summary").text.contains("changed line"))
                #expect(try await browser.execute("return [...document.querySelectorAll('#diff .diff-added .diff-new')].some((cell) => cell.textContent.includes('def farewell'))") == true)
                try await browser.screenshot(named: "modules-versions-diff")

                // The module page: highlighted read-only source, methods with parameters.
                try await browser.open(base + "/modules/journey/Greeter/")
                try await browser.waitUntil("document.body.dataset.modulesReady === 'true'")
                #expect(try await browser.findAll("[data-method='farewell'] [data-param='who']").count == 1)
                if hasCodeMirror {
                    #expect(try await browser.findAll(".CodeMirror.module-readonly").count == 1)
                    #expect(try await browser.execute("return document.querySelector('.CodeMirror.module-readonly').CodeMirror.getOption('readOnly')") == true)
                }
                try await browser.settle()
                try await browser.screenshot(named: "modules-page")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
                try await browser.settle()
                try await browser.screenshot(named: "modules-page-dark")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'light'")

                // The workflow editor offers the new module and its method, with its parameters.
                try await browser.open(base + "/workflows/create/")
                try await browser.waitUntil("document.getElementById('editor')?.dataset.ready === 'true'", timeout: .seconds(10))
                #expect(try await browser.findAll("[data-path='procedures[0].mod'] optgroup[label='journey'] option[value='journey.Greeter']").count == 1)
                try await browser.find("[data-path='procedures[0].mod'] option[value='journey.Greeter']").click()
                try await browser.waitUntil("document.querySelector(\"[data-path='procedures[0].method'] option[value='farewell']\") !== null")
                try await browser.find("[data-path='procedures[0].method'] option[value='farewell']").click()
                try await browser.waitUntil("document.querySelector(\"[data-path='procedures[0].params.who']\") !== null")
                #expect(try await browser.execute("return document.querySelector(\"[data-path='procedures[0].method']\").value") == "farewell")
                try await expectNoPageErrors(browser)
            }
        }
    }

    @Test("the list: filter as you type, a refused form opens with its problem, categories with screenshots", .browser)
    func list() async throws {
        let harness = try await ServerHarness.make()
        let source = "class Tool:\n    \"\"\"Handy.\"\"\"\n\n    def __init__(self, logger):\n        pass\n\n    def use(self, context, cfgs):\n        return {\"status\": True}\n"
        _ = try await harness.server.modules.save(category: "ops", name: "Tool", source: source, author: "user:admin", comment: nil)
        _ = try await harness.server.modules.save(
            category: "ops", name: "Broken", source: "import no_such_package_here\n\nclass Broken:\n    pass\n", author: nil, comment: nil)
        _ = try await harness.server.modules.createCategory("reports", author: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await browser.setWindowSize(width: 1400, height: 1000)
                try await signIn(browser, base, to: "/modules/")
                try await browser.waitUntil("document.body.dataset.modulesReady === 'true'")
                #expect(try await browser.find("[data-module='ops.Broken'] .module-problem").text.contains("No module named"))
                try await browser.settle()
                try await browser.screenshot(named: "modules-list")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
                try await browser.settle()
                try await browser.screenshot(named: "modules-list-dark")
                _ = try await browser.execute("document.documentElement.dataset.theme = 'light'")
                _ = try await browser.execute("document.getElementById('category-ops').scrollIntoView()")
                try await browser.settle()
                try await browser.screenshot(named: "modules-list-custom")
                _ = try await browser.execute("window.scrollTo(0, 0)")

                try await browser.find("#module-filter").type("handy")
                try await browser.waitUntil("document.querySelector(\"[data-module='common.Kt']\").hidden")
                #expect(try await browser.execute("return document.querySelector(\"[data-module='ops.Tool']\").hidden") == false)
                #expect(try await browser.execute("return document.getElementById('category-reports').hidden") == true)
                try await browser.find("#module-filter").type("zzz")
                try await browser.waitUntil("!document.getElementById('module-filter-empty').hidden")
                try await browser.press(WebDriverKey.escape)
                try await browser.waitUntil("!document.querySelector(\"[data-module='common.Kt']\").hidden")

                // A refused name: the panel comes back open, the field marked and focused.
                try await browser.find("#new-module > summary").click()
                try await browser.find("#new-module-name").type("lower")
                try await browser.find("#new-module button[type=submit]").click()
                try await browser.waitUntil("document.getElementById('new-module-error') !== null", timeout: .seconds(10))
                #expect(try await browser.find("#new-module-error").text.contains("Module name must start with an uppercase letter"))
                #expect(try await browser.execute("return document.activeElement.id") == "new-module-name")
                try await browser.settle()
                try await browser.screenshot(named: "modules-list-refused")
                try await browser.press(WebDriverKey.escape)
                #expect(try await browser.execute("return document.getElementById('new-module').open") == false)

                // Deleting the empty category asks first.
                try await browser.find("#category-reports button.danger").click()
                #expect(try await browser.alertText == "Delete the category reports?")
                try await browser.dismissAlert()
                #expect(try await harness.store.moduleCategories().map(\.name).contains("reports"))
                try await browser.find("#category-reports button.danger").click()
                try await browser.acceptAlert()
                try await browser.waitUntil("document.querySelector('.flash-success')?.textContent.includes('Category \"reports\" deleted.')", timeout: .seconds(10))
                #expect(try await browser.execute("return document.getElementById('category-reports')") == .null)
                try await expectNoPageErrors(browser)
            }
        }
    }

    // MARK: - Helpers

    private func signIn(_ browser: BrowserSession, _ base: String, to path: String) async throws {
        try await browser.open(base + "/accounts/login/?next=" + path)
        try await browser.find("#username").type("admin")
        try await browser.find("#password").type(ServerHarness.password)
        try await browser.find("button[type=submit]").click()
        try await browser.waitUntil("location.pathname === '\(path)'", timeout: .seconds(10))
        _ = try await browser.execute("""
            window.pageErrors = [];
            window.addEventListener("error", (event) => window.pageErrors.push(String(event.message)));
            window.addEventListener("unhandledrejection", (event) => window.pageErrors.push(String(event.reason)));
            """)
    }

    /// Fails when the page reported a script error since it was opened by signing in (pages opened since report none).
    private func expectNoPageErrors(_ browser: BrowserSession) async throws {
        #expect(try await browser.execute("return window.pageErrors ?? []") == [])
    }

    private func waitEditor(_ browser: BrowserSession) async throws {
        try await browser.waitUntil("document.getElementById('module-editor')?.dataset.ready === 'true'", timeout: .seconds(10))
    }

    private func state(_ browser: BrowserSession) async throws -> String {
        try await browser.find("#module-state").text
    }

    /// Selects `length` characters (all of `text` by default) `offset` characters after where `text` starts in the
    /// editor, and focuses it there.
    private func select(_ text: String, _ browser: BrowserSession, offset: Int = 0, length: Int? = nil) async throws {
        let found = try await browser.execute(
            """
            const text = \(Self.editorText), found = text.indexOf(arguments[0]), at = found + arguments[2];
            if (found < 0) return false;
            const cm = document.querySelector('.module-code .CodeMirror')?.CodeMirror;
            if (cm) { cm.focus(); cm.setSelection(cm.posFromIndex(at), cm.posFromIndex(at + arguments[1])); }
            else { const area = document.getElementById('module-code'); area.focus(); area.setSelectionRange(at, at + arguments[1]); }
            return true;
            """, [.string(text), .number(Double(length ?? text.count)), .number(Double(offset))])
        try #require(found == true, "the source has no \(text)")
    }


}

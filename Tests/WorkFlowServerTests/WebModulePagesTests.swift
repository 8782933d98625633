import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

/// The module pages in process: the list, creating and uploading modules, the editor's save,
/// deleting, versions, categories and who may change what. Saving runs the real inspector
/// (`python3`).
@Suite("Web pages: modules")
struct WebModulePagesTests {
    static let greeter = """
        class Greeter:
            \"\"\"Says hello.

            Longer text about greeting.
            \"\"\"

            def __init__(self, logger):
                self.logger = logger

            def hello(self, context, cfgs):
                \"\"\"Greets someone.

                Args:
                    who (str): Whom to greet
                    times (int): Optional repeat count (default: 1)

                Returns:
                    dict: {"status": True, "data": greeting}
                \"\"\"
                return {"status": True, "data": "hello " + cfgs.get("who", "")}

        """

    static let greeterWithBye = greeter + """

            def bye(self, context, cfgs):
                \"\"\"Says goodbye.\"\"\"
                return {"status": True, "data": "bye"}

        """

    @Test("the list groups core and custom modules by category, with methods, problems and empty categories")
    func list() async throws {
        let harness = try await ServerHarness.make()
        let library = harness.server.modules
        _ = try await library.save(category: "ops", name: "Greeter", source: Self.greeter, author: "user:admin", comment: nil)
        _ = try await library.save(
            category: "ops", name: "Broken", source: "import no_such_package_here\n\nclass Broken:\n    pass\n", author: nil, comment: nil)
        _ = try await library.createCategory("empty_one", author: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/modules/")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<a href="/modules/" class="current" aria-current="page">"#))
            #expect(!page.text.contains("Coming soon"))
            // Core modules under their category, marked core, without Edit.
            #expect(page.text.contains(#"id="category-common""#))
            let kt = try #require(Self.row("common.Kt", in: page.text))
            #expect(kt.contains("core") && kt.contains("<code>prt1</code>") && !kt.contains("/edit/"))
            // A custom module: description, methods, version, Edit and Versions.
            let greeter = try #require(Self.row("ops.Greeter", in: page.text))
            #expect(greeter.contains("Says hello.") && greeter.contains("1 method") && greeter.contains("<code>hello</code>"))
            #expect(greeter.contains(#"href="/modules/ops/Greeter/edit/""#) && greeter.contains(#"href="/modules/ops/Greeter/versions/""#))
            #expect(greeter.contains("v1") && greeter.contains("<time title="))
            // A stored module that cannot be imported says why.
            let broken = try #require(Self.row("ops.Broken", in: page.text))
            #expect(broken.contains("import error") && broken.contains("No module named"))
            // An empty category is listed, with Rename and Delete; a core one has neither.
            #expect(page.text.contains(#"id="category-empty_one""#))
            #expect(page.text.contains("No modules in this category yet."))
            #expect(page.text.contains(#"action="/modules/empty_one/delete-category/""#))
            #expect(page.text.contains(#"action="/modules/empty_one/rename-category/""#))
            #expect(!page.text.contains(#"action="/modules/common/rename-category/""#))
            #expect(!page.text.contains(#"action="/modules/ops/delete-category/""#), "a category with modules cannot be deleted")
            #expect(page.text.contains("New module") && page.text.contains("Upload .py") && page.text.contains("New category"))
        }
    }

    @Test("New module checks the names as the seed did, writes the skeleton and opens the editor")
    func createModule() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let lower = try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "common"), ("module_name", "lower")])
            #expect(lower.status == .badRequest)
            #expect(lower.text.contains("Module name must start with an uppercase letter and contain only letters, digits, or underscores"))
            #expect(lower.text.contains(#"id="new-module-name" name="module_name" type="text" value="lower""#))
            #expect(lower.text.contains(#"value="lower" placeholder="MyModule" autocomplete="off" spellcheck="false" required aria-invalid="true""#))
            #expect(lower.text.contains(#"<details class="module-action" id="new-module" open>"#))
            let empty = try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "common"), ("module_name", "")])
            #expect(empty.text.contains("Module name is required."))
            let badCategory = try await browser.post("/modules/new/", [("csrf_token", csrf), ("new_category", "9lives"), ("module_name", "Cat")])
            #expect(badCategory.status == .badRequest)
            #expect(badCategory.text.contains("Category must start with a lowercase letter"))
            let long = try await browser.post(
                "/modules/new/", [("csrf_token", csrf), ("category", "common"), ("module_name", "M" + String(repeating: "x", count: 64))])
            #expect(long.text.contains("Module name must be 64 characters or less."))
            let core = try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "common"), ("module_name", "Kt")])
            #expect(core.status == .conflict)
            #expect(core.text.contains("already exists"))

            // A new category (lowercased, as the seed did) wins over the chosen one.
            let created = try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "common"), ("new_category", "Tools"), ("module_name", "Hello")])
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/modules/tools/Hello/edit/")
            let module = try #require(try await harness.store.module(category: "tools", name: "Hello"))
            #expect(module.currentVersion == 1)
            #expect(module.source.contains("class Hello:") && module.source.contains("Hello Workflow Procedure Module"))
            let method = try #require(ModuleInspection(json: module.inspection ?? .null).descriptor(named: "tools.Hello")?.method(named: "example"))
            #expect(method.parameter(named: "param1")?.required == true)
            #expect(method.parameter(named: "param2")?.required == false && method.parameter(named: "param2")?.defaultValue == 0)
            #expect(harness.server.modules.registry().module(named: "tools.Hello") != nil, "callable at once")

            let editor = try await browser.get("/modules/tools/Hello/edit/")
            #expect(editor.status == .ok)
            #expect(editor.text.contains("Module &quot;tools.Hello&quot; created successfully."))
            #expect(editor.text.contains("class Hello:"))
            #expect(editor.text.contains(#"<article class="module-method" id="method-example" data-method="example">"#))
            #expect(editor.text.contains(#"<li data-param="param2">"#))

            let again = try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "tools"), ("module_name", "Hello")])
            #expect(again.status == .conflict)
            #expect(again.text.contains("Module &quot;tools.Hello&quot; already exists."))
            let audit = try await harness.store.auditEntries(AuditQuery(targetType: "module"))
            #expect(audit.map(\.action) == ["create"] && audit.first?.targetName == "tools.Hello" && audit.first?.actor == "user:admin")
            #expect(audit.first?.detail == ["version": 1])
        }
    }

    @Test("Upload: a .py file becomes the module named like it; other files, bad names and existing modules without Replace are refused")
    func upload() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let fields = [("csrf_token", csrf), ("category", "common"), ("new_category", "uploads")]
            let created = try await Self.upload(browser, fields, file: "Greeter.py", Self.greeter)
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/modules/uploads/Greeter/")
            let module = try #require(try await harness.store.module(category: "uploads", name: "Greeter"))
            #expect(module.source == Self.greeter)
            #expect(try await harness.store.moduleVersion(1, category: "uploads", name: "Greeter").comment == "uploaded Greeter.py")

            let text = try await Self.upload(browser, fields, file: "notes.txt", "hello")
            #expect(text.status == .badRequest)
            #expect(text.text.contains("is not a Python file"))
            #expect(text.text.contains(#"<details class="module-action" id="upload-module" open>"#))
            let badName = try await Self.upload(browser, fields, file: "my-module.py", Self.greeter)
            #expect(badName.text.contains("must start with an uppercase letter and contain only letters, digits, or underscores"))
            let exists = try await Self.upload(browser, fields, file: "Greeter.py", Self.greeterWithBye)
            #expect(exists.status == .conflict)
            #expect(exists.text.contains("Module &quot;uploads.Greeter&quot; already exists."))
            let syntax = try await Self.upload(browser, fields + [("replace", "1")], file: "Greeter.py", "class Greeter:\n    def x(:\n")
            #expect(syntax.status == .badRequest)
            #expect(syntax.text.contains("syntax error at line 2"))
            #expect(try await harness.store.module(category: "uploads", name: "Greeter")?.currentVersion == 1, "nothing saved")

            let replaced = try await Self.upload(browser, fields + [("replace", "1")], file: "Greeter.py", Self.greeterWithBye)
            #expect(replaced.status == .seeOther)
            #expect(try await harness.store.module(category: "uploads", name: "Greeter")?.currentVersion == 2)
            #expect(Self.flash(in: replaced).contains("replaced: version 2"))
            let page = try await browser.get("/modules/uploads/Greeter/")
            #expect(page.text.contains(#"data-method="bye""#))
            let actions = try await harness.store.auditEntries(AuditQuery(targetType: "module")).map(\.action)
            #expect(Set(actions) == ["create", "update"] && actions.count == 2)
        }
    }

    @Test("the editor's save: a syntax error names line and column and saves nothing; unchanged says so; a new method reaches the sidebar")
    func save() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "ops", name: "Greeter", source: Self.greeter, author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let path = "/modules/ops/Greeter/edit/"
            let broken = Self.greeter.replacingOccurrences(of: "def hello(self, context, cfgs):", with: "def hello(self, context, cfgs)")
            let refused = try await Self.postJSON(browser, path, [("csrf_token", csrf), ("code", broken)])
            #expect(refused.status == .badRequest)
            #expect(refused.json["status"] == "error")
            #expect(refused.json["problem"]?["kind"] == "syntax" && refused.json["problem"]?["line"] == 10)
            #expect(refused.json["problem"]?["column"]?.intValue != nil)
            #expect(refused.json["message"]?.stringValue?.contains("Syntax error at line 10, column") == true)
            #expect(refused.json["message"]?.stringValue?.hasSuffix("Nothing was saved.") == true)
            #expect(try await harness.store.module(category: "ops", name: "Greeter")?.currentVersion == 1)

            let unchanged = try await Self.postJSON(browser, path, [("csrf_token", csrf), ("code", Self.greeter.replacingOccurrences(of: "\n", with: "\r\n"))])
            #expect(unchanged.json["status"] == "unchanged" && unchanged.json["message"] == "No changes detected.")
            #expect(unchanged.json["version"] == 1)

            let saved = try await Self.postJSON(browser, path, [("csrf_token", csrf), ("code", Self.greeterWithBye), ("comment", "say bye")])
            #expect(saved.status == .ok)
            #expect(saved.json["status"] == "updated" && saved.json["version"] == 2)
            #expect(saved.json["message"]?.stringValue?.hasPrefix("Module saved successfully") == true)
            let sidebar = try #require(saved.json["inspection"]?.stringValue)
            #expect(sidebar.contains(#"data-method="bye""#) && sidebar.contains("2 methods"))
            #expect(try await harness.store.moduleVersion(2, category: "ops", name: "Greeter").comment == "say bye")
            #expect(harness.server.modules.registry().module(named: "ops.Greeter")?.descriptor.method(named: "bye") != nil)

            // Without the script: the form posts as a page.
            let page = try await browser.post(path, [("csrf_token", csrf), ("code", broken)])
            #expect(page.status == .badRequest)
            #expect(page.text.contains("Syntax error at line 10, column"))
            #expect(page.text.contains(#"data-error-line="10""#))
            #expect(page.text.contains("def hello(self, context, cfgs)\n"), "the refused text stays in the editor")
            let formSave = try await browser.post(path, [("csrf_token", csrf), ("code", Self.greeter)])
            #expect(formSave.status == .seeOther && formSave.headers[.location] == path)
            #expect(try await browser.get(path).text.contains("Module saved successfully: version 3."))
            let versions = try await harness.store.auditEntries(AuditQuery(targetType: "module")).map { $0.detail["version"] }
            #expect(versions == [3, 2], "audited by version, without the source")

            // An import problem is saved and reported.
            let importing = try await Self.postJSON(browser, path, [("csrf_token", csrf), ("code", "import no_such_package_here\n" + Self.greeter)])
            #expect(importing.json["status"] == "updated")
            #expect(importing.json["warning"]?.stringValue?.contains("No module named") == true)
            #expect(importing.json["inspection"]?.stringValue?.contains("Error while importing") == true)
        }
    }

    @Test("the module page: source, methods with parameters, used by; core modules from their descriptor; missing ones not found")
    func modulePage() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "ops", name: "Greeter", source: Self.greeter, author: "user:admin", comment: nil)
        let flow: JSONValue = ["procedures": [["name": "hi", "mod": "ops.Greeter", "method": "hello", "params": ["who": "ada"]]]]
        _ = try await harness.store.createFlow(name: "greets", document: flow.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/modules/ops/Greeter/")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<pre class="code module-source" id="module-source" tabindex="0">"#))
            #expect(page.text.contains("return {&quot;status&quot;: True"))
            #expect(page.text.contains(#"<li data-param="who">"#) && page.text.contains("Whom to greet"))
            #expect(page.text.contains(#"<span class="type">str</span>"#))
            #expect(page.text.contains("<code>1</code>"), "the default of times")
            #expect(page.text.contains("{&quot;status&quot;: True, &quot;data&quot;: greeting}"), "what hello returns")
            #expect(page.text.contains(#"data-source-line="10">line 10</a>"#))
            #expect(page.text.contains("Used by 1 workflow:") && page.text.contains(#"<a href="/workflows/greets/edit/">greets</a>"#))
            #expect(page.text.contains(#"href="/modules/ops/Greeter/edit/""#) && page.text.contains(#"href="/modules/ops/Greeter/versions/""#))
            let file = try await browser.get("/modules/ops/Greeter/source.py")
            #expect(file.text == Self.greeter && file.headers[.contentDisposition] == #"attachment; filename="Greeter.py""#)

            let core = try await browser.get("/modules/common/Bash/")
            #expect(core.status == .ok)
            #expect(core.text.contains("Built into WorkFlow") && core.text.contains(#"data-method="run""#))
            #expect(core.text.contains(#"<li data-param="cmd">"#) && core.text.contains("required"))
            #expect(!core.text.contains("module-source") && !core.text.contains("/edit/\""))
            let coreEdit = try await browser.get("/modules/common/Bash/edit/")
            #expect(coreEdit.status == .forbidden)
            #expect(coreEdit.text.contains("common.Bash is a core module"))

            let missing = try await browser.get("/modules/ops/Nothing/")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("There is no module named &#39;ops.Nothing&#39;"))
            #expect(missing.text.contains("Go to the dashboard"), "the not-found page keeps the caller's frame")
            #expect(missing.text.contains(#"<a href="/modules/" class="current" aria-current="page">"#))
            #expect(try await browser.get("/modules/ops/Nothing/edit/").status == .notFound)
            #expect(try await browser.get("/modules/ops/Nothing/versions/").status == .notFound)
        }
    }

    @Test("Delete is refused while workflows use the module (listing them), and deletes it otherwise")
    func delete() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "ops", name: "Greeter", source: Self.greeter, author: nil, comment: nil)
        let flow: JSONValue = ["procedures": [["name": "hi", "mod": "ops.Greeter", "method": "hello", "params": [:]]]]
        _ = try await harness.store.createFlow(name: "greets", document: flow.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let question = try await browser.get("/modules/ops/Greeter/delete/")
            #expect(question.text.contains("cannot be deleted") && question.text.contains(#"<a href="/workflows/greets/edit/">greets</a>"#))
            #expect(!question.text.contains(#"<button type="submit" class="button danger">Delete</button>"#))
            let refused = try await browser.post("/modules/ops/Greeter/delete/", [("csrf_token", csrf)])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("ops.Greeter cannot be deleted while workflows use it."))
            #expect(refused.text.contains(#"<a href="/workflows/greets/edit/">greets</a>"#))
            #expect(try await harness.store.module(category: "ops", name: "Greeter") != nil)

            _ = try await harness.store.deleteFlow(name: "greets", author: nil)
            let free = try await browser.get("/modules/ops/Greeter/delete/")
            #expect(free.text.contains(#"<button type="submit" class="button danger">Delete</button>"#))
            let deleted = try await browser.post("/modules/ops/Greeter/delete/", [("csrf_token", csrf)])
            #expect(deleted.status == .seeOther)
            #expect(try await harness.store.module(category: "ops", name: "Greeter") == nil)
            #expect(try await browser.get("/modules/").text.contains("Module &quot;ops.Greeter&quot; deleted."))
            #expect(try await harness.store.auditEntries(AuditQuery(targetType: "module")).map(\.action) == ["delete"])
            #expect(try await browser.post("/modules/common/Kt/delete/", [("csrf_token", csrf)]).status == .forbidden)
        }
    }

    @Test("versions: the list, one version, two side by side, and restoring one as a new version")
    func versions() async throws {
        let harness = try await ServerHarness.make()
        let library = harness.server.modules
        _ = try await library.save(category: "ops", name: "Greeter", source: Self.greeter, author: "user:ada", comment: "first")
        _ = try await library.save(category: "ops", name: "Greeter", source: Self.greeterWithBye, author: "user:bob", comment: "bye too")
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let list = try await browser.get("/modules/ops/Greeter/versions/")
            #expect(list.status == .ok)
            #expect(list.text.contains(#"<tr data-version="2">"#) && list.text.contains(#"<tr data-version="1">"#))
            #expect(list.text.contains("user:bob") && list.text.contains("bye too"))
            #expect(list.text.contains(#"href="/modules/ops/Greeter/versions/diff/?v1=1&amp;v2=2""#))
            #expect(list.text.contains(#"href="/modules/ops/Greeter/versions/1/restore/" data-confirm-post="#))
            let one = try await browser.get("/modules/ops/Greeter/versions/1/")
            #expect(one.text.contains("def hello(self, context, cfgs):") && !one.text.contains("def bye"))
            let diff = try await browser.get("/modules/ops/Greeter/versions/diff/?v1=1&v2=2")
            #expect(diff.text.contains(#"<tr class="diff-added">"#))
            #expect(diff.text.contains(#"<td class="diff-new">    def bye(self, context, cfgs):</td>"#))
            #expect(try await browser.get("/modules/ops/Greeter/versions/diff/?v1=1&v2=7").status == .notFound)
            #expect(try await browser.get("/modules/ops/Greeter/versions/diff/?v1=one&v2=2").status == .badRequest)
            let question = try await browser.get("/modules/ops/Greeter/versions/1/restore/")
            #expect(question.text.contains("Restore ops.Greeter v1?"))

            let restored = try await browser.post("/modules/ops/Greeter/versions/1/restore/", [("csrf_token", csrf)])
            #expect(restored.status == .seeOther)
            let module = try #require(try await harness.store.module(category: "ops", name: "Greeter"))
            #expect(module.currentVersion == 3 && module.source == Self.greeter)
            #expect(library.registry().module(named: "ops.Greeter")?.descriptor.method(named: "bye") == nil, "the registry follows")
            #expect(try await browser.get("/modules/ops/Greeter/versions/").text.contains("Module &quot;ops.Greeter&quot; restored to version 1"))
            let audit = try #require(try await harness.store.auditEntries(AuditQuery(targetType: "module")).first)
            #expect(audit.action == "restore" && audit.detail == ["restored_version": 1, "new_version": 3])
        }
    }

    @Test("categories: create; rename (not core ones, not while workflows use its modules); delete only when empty, never core")
    func categories() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "ops", name: "Greeter", source: Self.greeter, author: nil, comment: nil)
        let flow: JSONValue = ["procedures": [["name": "hi", "mod": "ops.Greeter", "method": "hello", "params": [:]]]]
        _ = try await harness.store.createFlow(name: "greets", document: flow.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let created = try await browser.post("/modules/categories/", [("csrf_token", csrf), ("category_name", "Reports")])
            #expect(created.status == .seeOther && created.headers[.location] == "/modules/#category-reports")
            #expect(try await harness.store.moduleCategories().map(\.name).contains("reports"))
            let twice = try await browser.post("/modules/categories/", [("csrf_token", csrf), ("category_name", "reports")])
            #expect(twice.status == .conflict && twice.text.contains("Category &quot;reports&quot; already exists."))
            #expect(twice.text.contains(#"<details class="module-action" id="new-category" open>"#))
            let bad = try await browser.post("/modules/categories/", [("csrf_token", csrf), ("category_name", "_x")])
            #expect(bad.status == .badRequest && bad.text.contains("Category name must start with a lowercase letter"))
            let core = try await browser.post("/modules/categories/", [("csrf_token", csrf), ("category_name", "common")])
            #expect(core.status == .conflict)

            let renamed = try await browser.post("/modules/reports/rename-category/", [("csrf_token", csrf), ("new_name", "dashboards")])
            #expect(renamed.status == .seeOther)
            #expect(Set(try await harness.store.moduleCategories().map(\.name)) == ["dashboards", "ops"])
            let inUse = try await browser.post("/modules/ops/rename-category/", [("csrf_token", csrf), ("new_name", "tools")])
            #expect(inUse.status == .conflict)
            #expect(inUse.text.contains("Cannot rename category &quot;ops&quot;") && inUse.text.contains(#"<a href="/workflows/greets/edit/">greets</a>"#))
            let coreRename = try await browser.post("/modules/common/rename-category/", [("csrf_token", csrf), ("new_name", "basics")])
            #expect(coreRename.status == .forbidden && coreRename.text.contains("contains core modules"))
            let badName = try await browser.post("/modules/dashboards/rename-category/", [("csrf_token", csrf), ("new_name", "")])
            #expect(badName.status == .badRequest && badName.text.contains("New name is required."))

            let notEmpty = try await browser.post("/modules/ops/delete-category/", [("csrf_token", csrf)])
            #expect(notEmpty.status == .conflict && notEmpty.text.contains("still contains 1 module(s)"))
            let coreDelete = try await browser.post("/modules/common/delete-category/", [("csrf_token", csrf)])
            #expect(coreDelete.status == .forbidden && coreDelete.text.contains("Cannot delete category &quot;common&quot;"))
            let deleted = try await browser.post("/modules/dashboards/delete-category/", [("csrf_token", csrf)])
            #expect(deleted.status == .seeOther)
            #expect(try await harness.store.moduleCategories().map(\.name) == ["ops"])
            #expect(try await browser.post("/modules/nowhere/delete-category/", [("csrf_token", csrf)]).status == .notFound)
            let audit = try await harness.store.auditEntries(AuditQuery(targetType: "category"))
            #expect(audit.map(\.action) == ["delete", "rename", "create"])
            #expect(audit[1].targetName == "reports" && audit[1].detail == ["new_name": "dashboards"])
        }
    }

    @Test("someone who is not an administrator reads the module pages but cannot change anything")
    func readOnly() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "ops", name: "Greeter", source: Self.greeter, author: nil, comment: nil)
        _ = try await harness.userKey("viewer")
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn(username: "viewer")
            let list = try await browser.get("/modules/")
            #expect(list.status == .ok && list.text.contains(#"data-module="ops.Greeter""#))
            #expect(!list.text.contains("New module") && !list.text.contains("rename-category") && !list.text.contains("/edit/"))
            let page = try await browser.get("/modules/ops/Greeter/")
            #expect(page.status == .ok && !page.text.contains("/edit/") && !page.text.contains("/delete/"))
            #expect(try await browser.get("/modules/ops/Greeter/versions/").status == .ok)
            #expect(try await browser.get("/modules/ops/Greeter/edit/").status == .forbidden)
            #expect(try await browser.post("/modules/ops/Greeter/edit/", [("csrf_token", csrf), ("code", "x = 1\n")]).status == .forbidden)
            #expect(try await browser.post("/modules/new/", [("csrf_token", csrf), ("category", "ops"), ("module_name", "New")]).status == .forbidden)
            #expect(try await browser.post("/modules/categories/", [("csrf_token", csrf), ("category_name", "mine")]).status == .forbidden)
            #expect(try await browser.post("/modules/ops/Greeter/delete/", [("csrf_token", csrf)]).status == .forbidden)
            #expect(try await browser.post("/modules/ops/Greeter/versions/1/restore/", [("csrf_token", csrf)]).status == .forbidden)
            #expect(try await harness.store.module(category: "ops", name: "Greeter")?.currentVersion == 1)
            #expect(try await harness.store.moduleCategories().map(\.name) == ["ops"])
        }
    }

    @Test("a form without the session's CSRF token changes nothing")
    func csrf() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let answer = try await browser.post("/modules/new/", [("csrf_token", "wrong"), ("category", "ops"), ("module_name", "Sneaky")])
            #expect(answer.status == .forbidden)
            let upload = try await Self.upload(browser, [("csrf_token", "wrong"), ("category", "ops")], file: "Sneaky.py", Self.greeter)
            #expect(upload.status == .forbidden)
            #expect(try await harness.store.modules().isEmpty)
        }
    }

    // MARK: - Helpers

    /// The `<li>` of module `qualifiedName` on the list.
    static func row(_ qualifiedName: String, in html: String) -> String? {
        guard let start = html.range(of: #"<li class="module-row" data-module="\#(qualifiedName)""#) else { return nil }
        guard let end = html.range(of: "</li>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// The messages an answer leaves for the next page (its flash cookie), decoded.
    static func flash(in answer: Answer) -> String {
        for header in answer.headers[values: .setCookie] where header.hasPrefix(Flash.cookie + "=") {
            let value = header.dropFirst(Flash.cookie.count + 1).prefix { $0 != ";" }
            return String(value).removingPercentEncoding ?? ""
        }
        return ""
    }

    /// Posts `fields` and one file as `multipart/form-data`, as a browser's upload form does.
    static func upload(_ browser: FormBrowser, _ fields: [(String, String)], file name: String, _ content: String) async throws -> Answer {
        let boundary = "----WorkFlowTest\(UUID().uuidString.prefix(8))"
        var body = ""
        for (key, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(key)\"\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: text/x-python\r\n\r\n\(content)\r\n"
        body += "--\(boundary)--\r\n"
        return try await send(browser, "/modules/upload/", body: body, contentType: "multipart/form-data; boundary=\(boundary)", accept: "text/html")
    }

    /// Posts `fields` URL-encoded asking for JSON, as the editor's script does.
    static func postJSON(_ browser: FormBrowser, _ uri: String, _ fields: [(String, String)]) async throws -> Answer {
        let body = fields.map { "\(FormBrowser.encode($0.0))=\(FormBrowser.encode($0.1))" }.joined(separator: "&")
        return try await send(browser, uri, body: body, contentType: "application/x-www-form-urlencoded", accept: "application/json")
    }

    private static func send(_ browser: FormBrowser, _ uri: String, body: String, contentType: String, accept: String) async throws -> Answer {
        var headers: HTTPFields = [.contentType: contentType, .accept: accept]
        headers[.cookie] = browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        return try await browser.client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

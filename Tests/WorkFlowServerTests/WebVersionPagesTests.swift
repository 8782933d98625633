import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("Web pages: editor and versions")
struct WebVersionPagesTests {
    @Test("the editor page hands its script the document, the registry and where to save; user data cannot end the script block")
    func editorPage() async throws {
        let harness = try await ServerHarness.make()
        let tricky: JSONValue = [
            "procedures": [["name": "x", "mod": "common.Kt", "method": "prt1", "params": ["msg": "</script><script>alert(1)</script> & more"]]]
        ]
        _ = try await harness.store.createFlow(name: "tricky", document: tricky.objectValue ?? [:], author: nil, comment: nil)
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/workflows/tricky/edit/")
            #expect(page.status == .ok)
            #expect(!page.text.contains("</script><script>alert(1)"))
            let block = try #require(FormBrowser.match(#"<script type="application/json" id="editor-data">([^<]*)</script>"#, in: page.text))
            #expect(block.contains(#"\u003c/script\u003e"#))
            let data = try JSONParser.parse(block)
            #expect(data["mode"] == "edit" && data["version"] == 1)
            #expect(data["document"]?["procedures"]?[0]?["params"]?["msg"] == "</script><script>alert(1)</script> & more")
            #expect(data["modules"]?.arrayValue?.contains { $0["name"] == "common.Kt" } == true)
            #expect(data["paths"]?["flow"] == "/api/v1/flows/tricky")
            let create = try await browser.get("/workflows/create/")
            #expect(create.status == .ok)
            let fresh = try JSONParser.parse(try #require(FormBrowser.match(#"id="editor-data">([^<]*)</script>"#, in: create.text)))
            #expect(fresh["mode"] == "create" && fresh["name"] == .null)
            #expect(try await browser.get("/workflows/nothing/edit/").status == .notFound)
        }
    }

    @Test("versions: the list, one version, two side by side, and restoring one as a new version")
    func versions() async throws {
        let harness = try await ServerHarness.make()
        let first: JSONValue = ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "one"]]]]
        let second: JSONValue = ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "two"]]]]
        _ = try await harness.store.createFlow(name: "flow", document: first.objectValue ?? [:], author: "user:ada", comment: "first")
        _ = try await harness.store.updateFlow(name: "flow", document: second.objectValue ?? [:], author: "user:bob", comment: "second")
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let list = try await browser.get("/workflows/flow/versions/")
            #expect(list.text.contains(#"<tr data-version="2">"#) && list.text.contains(#"<tr data-version="1">"#))
            #expect(list.text.contains("user:bob") && list.text.contains("second"))
            #expect(list.text.contains(#"href="/workflows/flow/versions/diff/?v1=1&amp;v2=2""#))
            let one = try await browser.get("/workflows/flow/versions/1/")
            #expect(one.text.contains("&quot;msg&quot;: &quot;one&quot;"))
            #expect(one.text.contains("Restore this version"))
            let diff = try await browser.get("/workflows/flow/versions/diff/?v1=1&v2=2")
            #expect(diff.text.contains("1 changed line."))
            #expect(diff.text.contains(#"<tr class="diff-changed">"#))
            #expect(diff.text.contains(#"<td class="diff-old">        &quot;msg&quot;: &quot;one&quot;</td>"#))
            #expect(try await browser.get("/workflows/flow/versions/diff/?v1=1&v2=9").status == .notFound)
            let bad = try await browser.get("/workflows/flow/versions/diff/?v1=x&v2=2")
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("v1"))

            let restored = try await browser.post("/workflows/flow/versions/1/restore/", [("csrf_token", csrf)])
            #expect(restored.status == .seeOther)
            let flow = try #require(try await harness.store.flow(named: "flow"))
            #expect(flow.currentVersion == 3)
            #expect(flow.document == first.objectValue)
            #expect(try await harness.store.version(3, of: "flow").comment == "restored version 1")
        }
    }

    @Test("side by side: unchanged rows pair, a replaced run pairs row by row, the rest stands alone")
    func sideBySide() {
        let rows = SideBySideDiff.rows(from: "a\nb\nc\nd", to: "a\nB\nc\nd\ne")
        #expect(rows.map(\.kind) == [.same, .changed, .same, .same, .added])
        #expect(rows[1].oldText == "b" && rows[1].newText == "B" && rows[1].oldNumber == 2 && rows[1].newNumber == 2)
        #expect(rows[4].oldNumber == nil && rows[4].newNumber == 5)
        #expect(SideBySideDiff.rows(from: "x\ny", to: "y").map(\.kind) == [.removed, .same])
    }
}

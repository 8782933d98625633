import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

@Suite("Web pages: runs")
struct WebRunPagesTests {
    static let failing: JSONValue = [
        "procedures": [
            ["name": "first", "mod": "common.Kt", "method": "prt1", "params": ["msg": "ok"]],
            ["name": "boom", "mod": "common.Bash", "method": "run", "params": ["cmd": "exit 3"]],
        ]
    ]

    /// Runs `flow` through the service and waits for its end.
    static func run(_ harness: ServerHarness, _ flow: String, trigger: RunTrigger = .api, by: String? = nil) async throws -> Int64 {
        let run = try await harness.server.runs.start(flowName: flow, inputs: [:], trigger: trigger, triggeredBy: by)
        #expect(try await harness.server.runs.waitForEnd(runID: run.id, timeout: .seconds(20)))
        return run.id
    }

    @Test("the run log filters by status, trigger, text and dates, pages, and exports what it shows as CSV")
    func runLog() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.createFlow(name: "breaks", document: Self.failing.objectValue ?? [:], author: nil, comment: nil)
        let ok = try await Self.run(harness, "hello", trigger: .ui, by: "=cmd|' /C calc'!A0")
        let bad = try await Self.run(harness, "breaks")
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let all = try await browser.get("/workflows/runs/")
            #expect(all.text.contains(#"data-run="\#(ok)""#) && all.text.contains(#"data-run="\#(bad)""#))
            #expect(all.text.contains(#"<a href="/workflows/breaks/runs/">breaks</a>"#), "the global log names each run's workflow")
            let failed = try await browser.get("/workflows/runs/?status=failed")
            #expect(failed.text.contains(#"data-run="\#(bad)""#) && !failed.text.contains(#"data-run="\#(ok)""#))
            let byUI = try await browser.get("/workflows/runs/?trigger=ui")
            #expect(byUI.text.contains(#"data-run="\#(ok)""#) && !byUI.text.contains(#"data-run="\#(bad)""#))
            let text = try await browser.get("/workflows/runs/?q=BREAK")
            #expect(text.text.contains(#"data-run="\#(bad)""#) && text.text.contains("1–1 of 1"))
            let byID = try await browser.get("/workflows/runs/?q=\(ok)")
            #expect(byID.text.contains(#"data-run="\#(ok)""#))
            let future = try await browser.get("/workflows/runs/?from=2999-01-01")
            #expect(future.text.contains("No run matches these filters."))
            let wrongDate = try await browser.get("/workflows/runs/?from=yesterday&status=nonsense")
            #expect(wrongDate.status == .ok)
            #expect(wrongDate.text.contains("&#39;yesterday&#39; is not a date"))
            #expect(wrongDate.text.contains("Unknown status &#39;nonsense&#39;"))
            let perFlow = try await browser.get("/workflows/hello/runs/")
            #expect(perFlow.text.contains(#"data-run="\#(ok)""#) && !perFlow.text.contains(#"data-run="\#(bad)""#))
            #expect(!perFlow.text.contains(#"<th scope="col">Workflow</th>"#))
            #expect(perFlow.text.contains(#"href="/workflows/hello/runs/export.csv""#))
            #expect(try await browser.get("/workflows/nothing/runs/").status == .notFound)

            let csv = try await browser.get("/workflows/runs/export.csv?status=success")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == #"attachment; filename="runs.csv""#)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("run_id,workflow,version,status,trigger,triggered_by,created (GMT)") == true)
            #expect(lines.last?.hasPrefix("\(ok),hello,1,success,ui,'=cmd|' /C calc'!A0,") == true, "a formula-like cell is defused")
            #expect(try await browser.get("/workflows/runs/export.csv?from=nope").status == .badRequest)
            let xlsx = try await browser.get("/workflows/hello/runs/export.xlsx")
            #expect(xlsx.status == .ok)
            #expect(xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(xlsx.headers[.contentDisposition] == #"attachment; filename="runs-hello.xlsx""#)
            #expect(xlsx.text.hasPrefix("PK"), "a ZIP file")
        }
    }

    @Test("a run's page shows its facts, steps and one step in full; a run of another workflow is not found")
    func runPage() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "breaks", document: Self.failing.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.createFlow(name: "hello", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        let id = try await Self.run(harness, "breaks")
        try await harness.test { client in
            let browser = FormBrowser(client)
            try await browser.signIn()
            let page = try await browser.get("/workflows/breaks/run/\(id)/")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<span class="badge status-failed" id="run-status""#))
            #expect(page.text.contains(#"<tr data-step="first">"#) && page.text.contains(#"<tr data-step="boom">"#))
            #expect(page.text.contains("Re-run from the failed step"))
            #expect(!page.text.contains(">Cancel</button>"), "an ended run cannot be cancelled")
            let graph = try #require(FormBrowser.match(#"<script type="application/json" id="run-data">([^<]*)</script>"#, in: page.text))
            let data = try JSONParser.parse(graph)
            #expect(data["edges"] == [["from": "first", "to": "boom"]])
            #expect(data["nodes"]?.arrayValue?.count == 2)

            let detail = try await browser.get("/workflows/breaks/run/\(id)/?step=boom")
            #expect(detail.text.contains(#"<span data-detail="name">boom</span>"#))
            #expect(detail.text.contains(#"&quot;cmd&quot;: &quot;exit 3&quot;"#), "the resolved parameters")
            #expect(try await browser.get("/workflows/hello/run/\(id)/").status == .notFound)
            #expect(try await browser.get("/workflows/breaks/run/999/").status == .notFound)
            #expect(try await browser.get("/workflows/breaks/run/abc/").status == .notFound)
        }
    }

    @Test("Re-run and Re-run from the failed step queue new runs and go to them; Cancel stops a running run")
    func runActions() async throws {
        let gate = GateModule.make()
        var registry = BuiltinModules.registry()
        registry.register(gate.module)
        let harness = try await ServerHarness.make(registry: registry)
        _ = try await harness.store.createFlow(name: "breaks", document: Self.failing.objectValue ?? [:], author: nil, comment: nil)
        let gated: JSONValue = ["procedures": [["name": "hold", "mod": "test.Gate", "method": "wait"]]]
        _ = try await harness.store.createFlow(name: "gated", document: gated.objectValue ?? [:], author: nil, comment: nil)
        let failed = try await Self.run(harness, "breaks")
        try await harness.test { client in
            let browser = FormBrowser(client)
            let csrf = try await browser.signIn()
            let again = try await browser.post("/workflows/breaks/run/\(failed)/rerun/", [("csrf_token", csrf), ("from", "start")])
            #expect(again.status == .seeOther)
            #expect(again.headers[.location] == "/workflows/breaks/run/\(failed + 1)/")
            let resumed = try await browser.post("/workflows/breaks/run/\(failed)/rerun/", [("csrf_token", csrf), ("from", "failed")])
            #expect(resumed.headers[.location] == "/workflows/breaks/run/\(failed + 2)/")
            #expect(try await harness.store.run(id: failed + 2)?.trigger == .ui)
            #expect(try await harness.store.run(id: failed + 2)?.triggeredBy == "user:admin")
            let nonsense = try await browser.post("/workflows/breaks/run/\(failed)/rerun/", [("csrf_token", csrf), ("from", "middle")])
            #expect(nonsense.headers[.location] == "/workflows/breaks/run/\(failed)/")

            let running = try await harness.server.runs.start(flowName: "gated", inputs: [:], trigger: .api, triggeredBy: nil)
            for await _ in gate.arrivals { break }
            let page = try await browser.get("/workflows/gated/run/\(running.id)/")
            #expect(page.text.contains(">Cancel</button>"))
            let cancelled = try await browser.post("/workflows/gated/run/\(running.id)/cancel/", [("csrf_token", csrf)])
            #expect(cancelled.status == .seeOther)
            #expect(try await harness.server.runs.waitForEnd(runID: running.id, timeout: .seconds(10)))
            #expect(try await harness.store.run(id: running.id)?.status == .cancelled)
            let audit = try await harness.store.auditEntries(AuditQuery(limit: 20)).map(\.action)
            #expect(audit.contains("cancel") && audit.contains("rerun"))
        }
    }

    @Test("run log dates: a day, a day and time, and the end of a day, in the display time zone", arguments: [
        ("2026-12-01", false, "2026-12-01T00:00:00Z"), ("2026-12-01", true, "2026-12-02T00:00:00Z"),
        ("2026-12-01T14:30", true, "2026-12-01T14:30:00Z"), ("2026-12-01 14:30:15", false, "2026-12-01T14:30:15Z"),
    ])
    func dates(text: String, endOfDay: Bool, expected: String) throws {
        let date = try #require(RunFilters.date(text, endOfDay: endOfDay, in: .gmt))
        #expect(UTCText.iso8601(date).hasPrefix(String(expected.dropLast())))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        #expect(RunFilters.date("2026-12-01", endOfDay: false, in: berlin).map(UTCText.iso8601)?.hasPrefix("2026-11-30T23:00:00") == true)
    }

    @Test("dates that are not dates are refused", arguments: ["yesterday", "2026-13-01", "2026-02-30", "2026-12-01T25:00", "2026-12-01 10", ""])
    func badDates(text: String) {
        #expect(RunFilters.date(text, endOfDay: false, in: .gmt) == nil)
    }

    @Test("CSV fields are quoted when needed and formulas are defused", arguments: [
        ("plain", "plain"), ("a,b", #""a,b""#), (#"say "hi""#, #""say ""hi""""#), ("=1+1", "'=1+1"), ("-5", "-5"), ("@x", "'@x"),
        ("two\nlines", "\"two\nlines\""),
    ])
    func csv(value: String, expected: String) {
        #expect(CSVText.field(value) == expected)
    }
}

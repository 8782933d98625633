import Foundation
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

/// The web UI's journeys in Chromium, with a screenshot of each page in
/// `.build/browser-artifacts/` to look at.
@Suite("Web UI in the browser", .serialized)
struct WebUIBrowserTests {
    @Test("sign in, see the dashboard, find a workflow, run it, disable it, delete it, sign out", .browser)
    func mainJourney() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.store.createFlow(name: "nightly-report", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        _ = try await harness.store.createFlow(name: "backup-db", document: helloDocument.objectValue ?? [:], author: nil, comment: nil)
        harness.clock.advance(Date().timeIntervalSince(harness.clock.now))
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                // A page asks for a session first, and comes back after signing in.
                try await browser.open(base + "/workflows/")
                #expect(try await browser.currentURL.hasPrefix(base + "/accounts/login/?next="))
                try await browser.screenshot(named: "01-sign-in")
                try await browser.find("#username").type("admin")
                try await browser.find("#password").type("wrong password")
                try await browser.find("button[type=submit]").click()
                #expect(try await browser.find(".form-error").text == "Wrong user name or password.")
                try await browser.screenshot(named: "02-sign-in-error")
                try await browser.find("#password").type(ServerHarness.password)
                try await browser.find("button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/workflows/'")

                // The list, filtered by the search box.
                #expect(try await browser.findAll("#workflow-table tbody tr").count == 2)
                try await browser.find("#q").type("night")
                try await browser.find(".filters button[type=submit]").click()
                try await browser.waitUntil("location.search.includes('q=night')")
                let rows = try await browser.findAll("#workflow-table tbody tr")
                #expect(rows.count == 1)
                #expect(try await rows.first?.attribute("data-workflow") == "nightly-report")
                try await browser.screenshot(named: "03-workflows")

                // Run: the run is queued and its page says so.
                try await browser.find("tr[data-workflow='nightly-report'] form[action$='/run/'] button").click()
                try await browser.waitUntil("location.pathname === '/workflows/nightly-report/run/1/'")
                #expect(try await browser.find(".flash-success span").text.hasPrefix("Run #1 of nightly-report queued"))
                #expect(try await harness.server.runs.waitForEnd(runID: 1, timeout: .seconds(10)))
                try await browser.open(base + "/workflows/?q=night")

                // Disable, then delete after confirming in the dialog.
                try await browser.find("tr[data-workflow='nightly-report'] form[action$='/disable/'] button").click()
                try await browser.waitUntil("document.querySelector('.flash-success')?.textContent.includes('disabled')")
                #expect(try await harness.store.flow(named: "nightly-report")?.enabled == false)
                try await browser.open(base + "/workflows/")
                try await browser.find("tr[data-workflow='backup-db'] a[data-confirm-post]").click()
                #expect(try await browser.alertText.contains("Delete the workflow backup-db?"))
                try await browser.dismissAlert()
                #expect(try await harness.store.flow(named: "backup-db") != nil, "dismissing keeps it")
                try await browser.find("tr[data-workflow='backup-db'] a[data-confirm-post]").click()
                try await browser.acceptAlert()
                try await browser.waitUntil("document.querySelector('.flash-success')?.textContent.includes('deleted')")
                #expect(try await harness.store.flow(named: "backup-db") == nil)

                // The dashboard counts the run and draws its charts with Chart.js when installed.
                try await browser.open(base + "/")
                #expect(try await browser.find(".cards .stat-value").text == "1")
                let chartShown = try await browser.execute("return !document.getElementById('runs-chart').hidden")
                #expect(chartShown == .bool(FileManager.default.fileExists(atPath: "/usr/share/javascript/chart.js/chart.min.js")))
                try await browser.screenshot(named: "04-dashboard")

                // The theme switch: automatic → dark, remembered.
                try await browser.find("[data-theme-toggle]").click()
                #expect(try await browser.execute("return document.documentElement.dataset.theme") == "dark")
                try await browser.open(base + "/")
                #expect(try await browser.execute("return document.documentElement.dataset.theme") == "dark")
                try await browser.screenshot(named: "05-dashboard-dark")
                try await browser.find("[data-theme-toggle]").click()

                // The profile, then signing out through the account menu.
                try await browser.open(base + "/accounts/profile/")
                try await browser.find("#display_name").type("Ada Lovelace")
                try await browser.find("#email").type("ada@example.com")
                try await browser.find("form input[value=update_profile] ~ div button").click()
                try await browser.waitUntil("document.querySelector('.flash-success') !== null")
                #expect(try await browser.find(".user-name").text == "Ada Lovelace")
                try await browser.screenshot(named: "06-profile")
                try await browser.find(".user-menu summary").click()
                try await browser.find(".user-menu form button").click()
                try await browser.waitUntil("location.pathname === '/accounts/login/'")
                #expect(try await browser.find(".flash span").text == "You have signed out.")
            }
        }
    }

    @Test("a run's page follows the run live: steps and status change without a reload; a step opens in the panel", .browser)
    func liveRun() async throws {
        let gate = GateModule.make()
        var registry = BuiltinModules.registry()
        registry.register(gate.module)
        let harness = try await ServerHarness.make(registry: registry)
        let gated: JSONValue = [
            "procedures": [
                ["name": "hold", "mod": "test.Gate", "method": "wait"],
                ["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "after the gate"]],
            ]
        ]
        _ = try await harness.store.createFlow(name: "gated", document: gated.objectValue ?? [:], author: nil, comment: nil)
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await browser.open(base + "/accounts/login/?next=/workflows/")
                try await browser.find("#username").type("admin")
                try await browser.find("#password").type(ServerHarness.password)
                try await browser.find("button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/workflows/'")
                try await browser.find("tr[data-workflow='gated'] form[action$='/run/'] button").click()
                try await browser.waitUntil("location.pathname === '/workflows/gated/run/1/'")
                for await _ in gate.arrivals { break }
                try await browser.waitUntil("document.querySelector('tr[data-step=hold] [data-cell=status]').textContent === 'running'")
                #expect(try await browser.find("#run-status").text == "running")
                try await browser.screenshot(named: "08-run-live")
                gate.open.yield()
                try await browser.waitUntil("document.getElementById('run-status').textContent === 'success'", timeout: .seconds(15))
                #expect(try await browser.find("tr[data-step=greet] [data-cell=status]").text == "success")
                #expect(try await browser.execute("return document.getElementById('run-page').dataset.finished") == "true")
                try await browser.find("[data-step-link=greet]").click()
                try await browser.waitUntil("!document.getElementById('step-detail').hidden")
                #expect(try await browser.find("[data-detail=result]").text.contains("ret from after the gate"))
                #expect(try await browser.currentURL.hasSuffix("?step=greet"))
                // The result folds away and opens again.
                try await browser.find("#step-detail details.result summary h3").click()
                #expect(try await browser.execute("return document.querySelector('#step-detail details.result').open") == false)
                try await browser.find("#step-detail details.result summary h3").click()
                #expect(try await browser.execute("return document.querySelector('#step-detail details.result').open") == true)
                try await browser.screenshot(named: "09-run-step")
                // Once ended, the page offers no Cancel.
                try await browser.waitUntil("document.querySelector('#cancel-form') === null")
            }
        }
    }

    @Test("versions: compare two side by side and restore one; the run log filters and exports", .browser)
    func versionsAndRunLog() async throws {
        let harness = try await ServerHarness.make()
        let first: JSONValue = ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "one"]]]]
        let second: JSONValue = ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "two"]]]]
        _ = try await harness.store.createFlow(name: "report", document: first.objectValue ?? [:], author: "user:admin", comment: "first cut")
        _ = try await harness.store.updateFlow(name: "report", document: second.objectValue ?? [:], author: "user:admin", comment: "say two")
        let run = try await harness.server.runs.start(flowName: "report", inputs: [:], trigger: .api, triggeredBy: nil)
        #expect(try await harness.server.runs.waitForEnd(runID: run.id, timeout: .seconds(10)))
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await browser.open(base + "/accounts/login/?next=/workflows/report/versions/")
                try await browser.find("#username").type("admin")
                try await browser.find("#password").type(ServerHarness.password)
                try await browser.find("button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/workflows/report/versions/'")
                #expect(try await browser.findAll("#version-table tbody tr").count == 2)
                try await browser.screenshot(named: "10-versions")
                try await browser.find(".filters button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/workflows/report/versions/diff/'")
                #expect(try await browser.find("#diff-summary").text == "1 changed line.")
                #expect(try await browser.find("tr.diff-changed .diff-new").text.contains("two"))
                try await browser.screenshot(named: "11-version-diff")
                try await browser.open(base + "/workflows/report/versions/")
                try await browser.find("tr[data-version='1'] form button").click()
                try await browser.waitUntil("document.querySelector('.flash-success')?.textContent.includes('restored as version 3')")
                #expect(try await harness.store.flow(named: "report")?.document == first.objectValue)

                try await browser.open(base + "/workflows/runs/?status=success")
                #expect(try await browser.findAll("#run-table tbody tr").count == 1)
                try await browser.screenshot(named: "12-runlog")
                let exported = try await browser.executeAsync(
                    """
                    const done = arguments[arguments.length - 1];
                    const link = [...document.querySelectorAll('a[download]')].find((a) => a.textContent.includes('XLSX'));
                    fetch(link.href).then(async (r) => done({status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength}));
                    """)
                #expect(exported["status"]?.number == 200)
                #expect(exported["type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                #expect((exported["size"]?.number ?? 0) > 1000)

                try await browser.open(base + "/workflows/nothing/edit/")
                #expect(try await browser.find(".error-status").text == "404")
                try await browser.screenshot(named: "13-not-found")
            }
        }
    }

    @Test("at tablet width the sidebar folds behind the menu button", .browser)
    func tabletLayout() async throws {
        let harness = try await ServerHarness.make()
        try await harness.live { base in
            try await BrowserSupport.withBrowser { browser in
                try await browser.open(base + "/accounts/login/")
                try await browser.find("#username").type("admin")
                try await browser.find("#password").type(ServerHarness.password)
                try await browser.find("button[type=submit]").click()
                try await browser.waitUntil("location.pathname === '/'")
                try await browser.setWindowSize(width: 800, height: 1000)
                // The sidebar slides away (a short transition) once the page is narrow.
                try await browser.waitUntil("document.getElementById('sidebar').getBoundingClientRect().right <= 0")
                #expect(try await browser.execute("return getComputedStyle(document.querySelector('.sidebar-toggle')).display") != "none")
                try await browser.find("[data-toggle-sidebar]").click()
                try await browser.waitUntil("document.getElementById('sidebar').getBoundingClientRect().left >= 0")
                try await browser.screenshot(named: "07-tablet-menu")
            }
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The workflow canvas (`Public/js/graph.js` and `Public/css/graph.css`) in Chromium: a throwaway server serves the
/// real static folder, a page under the app's CSP, and a test module that draws a five-step graph
/// (a diamond a→b, a→c, b→d, c→d, then d→e) and records every callback into `window.events`.
/// Screenshots: `.build/browser-artifacts/graph-*.png`.
@Suite("GraphCanvas", .serialized)
struct GraphCanvasBrowserTests {
    typealias Point = (x: Double, y: Double)

    /// `Sources/WorkFlowServer/Web/Public`, served under `/static` as the web UI serves it.
    static let publicFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/WorkFlowServer/Web/Public")

    /// The web UI's script and style policy: no inline scripts, inline styles allowed.
    static let policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

    static let page = """
        <!doctype html>
        <html lang="en" data-theme="light">
        <head>
          <meta charset="utf-8">
          <title>Graph canvas</title>
          <link rel="stylesheet" href="/static/css/app.css">
          <link rel="stylesheet" href="/static/css/graph.css">
          <script type="module" src="/test.js"></script>
        </head>
        <body style="padding: 24px">
          <div id="canvas" style="width: 1000px; height: 600px"></div>
        </body>
        </html>
        """

    /// Draws the graph (read-only with `?readonly`) and records callbacks, errors and CSP violations.
    static let script = """
        import { WorkflowCanvas, layoutGraph } from "/static/js/graph.js";

        window.errors = [];
        window.addEventListener("error", (event) => window.errors.push(String(event.message)));
        document.addEventListener("securitypolicyviolation", (event) => window.errors.push(`CSP: ${event.violatedDirective}`));
        window.events = [];
        window.layoutGraph = layoutGraph;

        const readOnly = new URLSearchParams(location.search).has("readonly");
        window.graph = {
          nodes: [
            { id: "a", title: "Fetch orders", subtitle: "http.Get · fetch", icon: "H" },
            { id: "b", title: "Validate rows", subtitle: "common.Kt · prt1", icon: "Kt" },
            { id: "c", title: "Enrich with customer data from the CRM", subtitle: "sql.Query · enrich", icon: "S" },
            { id: "d", title: "Merge", subtitle: "common.Merge · join", icon: "M" },
            { id: "e", title: "Send report", subtitle: "mail.Send · notify", icon: "Ml",
              problems: readOnly ? [] : ['Input "to" is required.', 'Unknown input "cc".'] },
          ],
          edges: [
            { from: "a", to: "b" }, { from: "a", to: "c" }, { from: "b", to: "d" }, { from: "c", to: "d" }, { from: "d", to: "e" },
          ],
        };
        window.canvas = new WorkflowCanvas(document.getElementById("canvas"), {
          readOnly,
          onChange: (change) => window.events.push(change),
          onSelect: (selection) => window.events.push({ type: "select", selection }),
          onOpen: (id) => window.events.push({ type: "open", id }),
        });
        window.canvas.setGraph(window.graph);
        window.ready = true;
        """

    // MARK: - Layout

    @Test("layoutGraph: columns follow dependencies, a chain stays on one row, cycles and unknown ids are tolerated", .browser)
    func layout() async throws {
        try await withCanvas { browser in
            let diamond = try await browser.execute("return layoutGraph(graph.nodes, graph.edges)")
            let x = { (id: String) in diamond[id]?["x"]?.number ?? .nan }
            let y = { (id: String) in diamond[id]?["y"]?.number ?? .nan }
            #expect(x("a") < x("b") && x("a") < x("c"))
            #expect(x("b") == x("c") && y("b") != y("c"), "b and c share a column, one above the other")
            #expect(x("b") < x("d") && x("d") < x("e"))
            #expect(y("d") == y("e"), "d→e is a straight continuation")
            #expect(abs(y("b") - y("c")) >= 56, "nodes in a column do not overlap")

            let chain = try await browser.execute("""
                const nodes = ["p", "q", "r", "s"].map((id) => ({ id }));
                return layoutGraph(nodes, [{ from: "p", to: "q" }, { from: "q", to: "r" }, { from: "r", to: "s" }]);
                """)
            let rows = Set(["p", "q", "r", "s"].compactMap { chain[$0]?["y"]?.number })
            #expect(rows.count == 1, "a chain is one row: \(chain)")
            let columns = ["p", "q", "r", "s"].compactMap { chain[$0]?["x"]?.number }
            #expect(columns == columns.sorted() && Set(columns).count == 4)

            let cyclic = try await browser.execute("""
                const nodes = ["a", "b", "c"].map((id) => ({ id }));
                const edges = [{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "c", to: "a" }, { from: "a", to: "ghost" }, { from: "b", to: "b" }];
                return layoutGraph(nodes, edges);
                """)
            #expect(cyclic["ghost"] == nil && cyclic["a"] != nil, "every known node placed, nothing else: \(cyclic)")
            let cyclicColumns = ["a", "b", "c"].compactMap { cyclic[$0]?["x"]?.number }
            #expect(cyclicColumns == cyclicColumns.sorted() && Set(cyclicColumns).count == 3, "the cycle is cut at c→a")
        }
    }

    // MARK: - Drawing

    @Test("draws nodes and edges, updates a status in place, keeps view and selection across setGraph, fits", .browser)
    func drawing() async throws {
        try await withCanvas { browser in
            #expect(try await browser.execute("return document.querySelectorAll('#canvas .wf-node').length") == 5)
            #expect(try await browser.execute("return document.querySelectorAll('#canvas .wf-edge').length") == 5)
            #expect(try await browser.execute("return document.getElementById('canvas').classList.contains('wf-canvas')") == true)
            let node = try await browser.find(".wf-node[data-id='b']")
            #expect(try await node.attribute("tabindex") == "0")
            #expect(try await node.attribute("role") == "button")
            #expect(try await node.attribute("aria-label") == "Validate rows")
            #expect(try await browser.execute("return document.querySelector('.wf-node[data-id=c] .wf-node__title').textContent.endsWith('…')") == true,
                    "a long title is cut to fit")
            #expect(try await browser.find(".wf-node[data-id='e']").attribute("class")?.contains("has-problems") == true)
            #expect(try await browser.execute("return document.querySelector('.wf-node[data-id=e] .wf-node__problem title').textContent")
                    == .string("Input \"to\" is required.\nUnknown input \"cc\"."))
            #expect(try await browser.execute("return document.querySelectorAll('.wf-node[data-id=a] .wf-port').length") == 2)
            for action in ["zoom-in", "zoom-out", "fit", "layout"] {
                let button = try await browser.find(".wf-canvas__toolbar button[data-action='\(action)']")
                #expect(try await button.attribute("aria-label")?.isEmpty == false)
                #expect(try await button.attribute("title")?.isEmpty == false)
                #expect(try await button.property("hidden") == false)
            }

            // setStatus changes the class on the same element, and the edges around it.
            let updated = try await browser.execute("""
                const before = document.querySelector(".wf-node[data-id=d]");
                canvas.setStatus("d", "failed");
                canvas.setStatus("d", "running");
                const after = document.querySelector(".wf-node[data-id=d]");
                return [before === after, after.getAttribute("class"), after.getAttribute("aria-label"),
                        document.querySelector(".wf-edge[data-to=d]").dataset.targetStatus];
                """)
            #expect(updated == [true, "wf-node wf-node--running", "Merge, running", "running"])

            // A new graph keeps the zoom, pan and selection, and places a new node without overlapping the others.
            let kept = try await browser.execute("""
                canvas.select("b");
                canvas.zoomBy(1.5);
                const view = document.querySelector(".wf-canvas__viewport").getAttribute("transform");
                const grown = { nodes: [...graph.nodes, { id: "f", title: "Archive" }], edges: [...graph.edges, { from: "e", to: "f" }] };
                canvas.setGraph({ ...grown, positions: canvas.positions() });
                const p = canvas.positions();
                return [document.querySelector(".wf-canvas__viewport").getAttribute("transform") === view,
                        canvas.selected, document.querySelector(".wf-node.is-selected")?.dataset.id, p.f.x > p.e.x,
                        document.querySelectorAll(".wf-edge.is-related").length];
                """)
            #expect(kept == [true, ["type": "node", "id": "b"], "b", true, 2])
            _ = try await browser.execute("canvas.setGraph({ ...graph, positions: canvas.positions() }); canvas.select(null)")

            // fit() brings every node inside the canvas, even from far in.
            _ = try await browser.execute("canvas.zoomBy(2.5); canvas.zoomBy(2.5);")
            #expect(try await browser.find(".wf-canvas__zoom-level").text == "250%")
            _ = try await browser.execute("canvas.fit()")
            #expect(try await nodesOutside(browser) == [])

            _ = try await browser.execute("canvas.select('d')")
            try await browser.settle()
            try await browser.screenshot(named: "graph-editable")
            _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
            try await browser.settle()
            try await browser.screenshot(named: "graph-dark")
            #expect(try await browser.execute("return window.events") == [], "API calls report nothing")
        }
    }

    @Test("zooms with the wheel around the pointer, with two fingers, with the toolbar and keys; 0 fits", .browser)
    func zooming() async throws {
        try await withCanvas { browser in
            let label = { try await browser.find(".wf-canvas__zoom-level").text }
            let fitted = try await label()
            let before = try await center(".wf-node[data-id='a'] .wf-node__body", browser)
            let widthBefore = try await width(".wf-node[data-id='a'] .wf-node__body", browser)
            _ = try await browser.execute("""
                const target = document.querySelector(".wf-node[data-id=a] .wf-node__body");
                target.dispatchEvent(new WheelEvent("wheel", { deltaY: -200, clientX: arguments[0], clientY: arguments[1], bubbles: true, cancelable: true }));
                """, [.number(before.x), .number(before.y)])
            let after = try await center(".wf-node[data-id='a'] .wf-node__body", browser)
            #expect(try await width(".wf-node[data-id='a'] .wf-node__body", browser) > widthBefore * 1.2)
            #expect(abs(after.x - before.x) < 1.5 && abs(after.y - before.y) < 1.5, "the point under the pointer stays put")

            // Keys work once the focus is in the canvas (here: a click on the background).
            let box = try await rect("#canvas", browser)
            try await browser.click(at: (box.x + 20, box.y + 20))
            try await browser.press("0")
            #expect(try await label() == fitted)
            try await browser.find("button[data-action='zoom-in']").click()
            #expect(try await label() != fitted)
            try await browser.press("-")
            #expect(try await label() == fitted)

            // Two fingers moving apart zoom in about twice.
            let middle: Point = (box.x + box.width / 2, box.y + box.height / 2)
            try await browser.perform([
                finger("one", from: (middle.x - 50, middle.y), to: (middle.x - 100, middle.y)),
                finger("two", from: (middle.x + 50, middle.y), to: (middle.x + 100, middle.y)),
            ])
            let fittedPercent = Double(fitted.dropLast()) ?? 0
            let pinchedPercent = Double(try await label().dropLast()) ?? 0
            #expect(abs(pinchedPercent - 2 * fittedPercent) <= 3, "pinched from \(fitted) to \(pinchedPercent)%")
            #expect(try await browser.execute("return window.events.filter((e) => e.type !== 'select')") == [])
        }
    }

    // MARK: - Editing

    @Test("dragging a node reports one move on drop; Auto-layout reports layoutGraph's positions", .browser)
    func dragging() async throws {
        try await withCanvas { browser in
            let start = try await browser.execute("return canvas.positions().e")
            let scale = try await width(".wf-node[data-id='e'] .wf-node__body", browser) / 220
            let from = try await center(".wf-node[data-id='e'] .wf-node__body", browser)
            try await browser.drag(from: from, to: (from.x + 60, from.y + 40), steps: 10)

            let moves = try await browser.execute("return window.events.filter((e) => e.type === 'move')")
            #expect(moves.array?.count == 1, "one move, on drop: \(moves)")
            let moved = try #require(moves.array?.first?["positions"]?["e"])
            let dx = try #require(moved["x"]?.number) - (start["x"]?.number ?? 0)
            let dy = try #require(moved["y"]?.number) - (start["y"]?.number ?? 0)
            #expect(abs(dx - 60 / scale) <= 1.5 && abs(dy - 40 / scale) <= 1.5, "moved by \(dx), \(dy) at scale \(scale)")
            #expect(moved["x"]?.number == moved["x"]?.number?.rounded(), "whole pixels")
            #expect(try await browser.execute("return canvas.positions().e") == moved)
            let landed = try await center(".wf-node[data-id='e'] .wf-node__body", browser)
            #expect(abs(landed.x - from.x - 60) <= 2 && abs(landed.y - from.y - 40) <= 2)
            #expect(try await browser.execute("return canvas.selected") == ["type": "node", "id": "e"])

            try await browser.find("button[data-action='layout']").click()
            let layout = try await browser.execute("""
                const last = window.events.filter((e) => e.type === "move").at(-1);
                return [JSON.stringify(last.positions) === JSON.stringify(layoutGraph(graph.nodes, graph.edges)), last.positions.e];
                """)
            #expect(layout.array?.first == true, "\(layout)")
            // Animated: wait until every node is drawn where positions() says.
            try await browser.waitUntil("""
                [...document.querySelectorAll(".wf-node")].every((node) => {
                  const p = canvas.positions()[node.dataset.id];
                  return node.getAttribute("transform") === `translate(${p.x} ${p.y})`;
                })
                """)
            #expect(try await nodesOutside(browser) == [], "auto-layout fits the result")
        }
    }

    @Test("connecting: a cycle, a duplicate and a self-edge are refused with a reason; a new dependency is reported", .browser)
    func connecting() async throws {
        try await withCanvas { browser in
            // e → a would close a cycle: refused while hovering (red line, red target) and on drop.
            let port = try await center(".wf-node[data-id='e'] .wf-port--out .wf-port__hit", browser)
            let a = try await center(".wf-node[data-id='a'] .wf-node__body", browser)
            try await browser.perform([
                BrowserSession.mouse([
                    BrowserSession.pointerMove(port), ["type": "pointerDown", "button": 0],
                    BrowserSession.pointerMove((port.x + 30, port.y + 60)), BrowserSession.pointerMove(a),
                ])
            ])
            #expect(try await browser.execute("return document.querySelector('.wf-canvas__rubber').classList.contains('is-refused')") == true)
            #expect(try await browser.execute("return document.querySelector('.wf-node[data-id=a]').classList.contains('is-drop-refused')") == true)
            try await browser.screenshot(named: "graph-connect-refused")
            try await browser.perform([BrowserSession.mouse([["type": "pointerUp", "button": 0]])])
            #expect(try await message(browser).contains("cycle"))
            #expect(try await browser.execute("return document.querySelector('.wf-node.is-drop-refused')") == .null)

            try await connect("a", "b", browser)
            #expect(try await message(browser).contains("already depends"))
            try await connect("b", "b", browser)
            #expect(try await message(browser).contains("itself"))
            #expect(try await browser.execute("return window.events.filter((e) => e.type === 'connect')") == [])

            // b → c is new and acyclic: reported, not drawn until the owner passes the new graph. Dropped on the
            // outer half of c's input port, just left of its body.
            let from = try await center(".wf-node[data-id='b'] .wf-port--out .wf-port__hit", browser)
            let body = try await rect(".wf-node[data-id='c'] .wf-node__body", browser)
            try await browser.drag(from: from, to: (body.x - 3, body.y + body.height / 2))
            #expect(try await browser.execute("return window.events.filter((e) => e.type === 'connect')") == [["type": "connect", "from": "b", "to": "c"]])
            #expect(try await browser.execute("return document.querySelectorAll('.wf-edge').length") == 5)
            try await browser.waitUntil("document.querySelector('.wf-canvas__rubber').getAttribute('display') === 'none'")
            _ = try await browser.execute("graph.edges.push({ from: 'b', to: 'c' }); canvas.setGraph(graph)")
            #expect(try await browser.execute("return document.querySelectorAll('.wf-edge').length") == 6)
        }
    }

    @Test("clicking selects an edge or a node, Delete and Backspace report them, double-click opens, Escape clears", .browser)
    func selectingAndDeleting() async throws {
        try await withCanvas { browser in
            try await browser.click(at: try await edgeMiddle("a", "b", browser))
            #expect(try await browser.execute("return canvas.selected") == ["type": "edge", "from": "a", "to": "b"])
            #expect(try await browser.execute("return document.querySelector('.wf-edge.is-selected')?.dataset.to") == "b")
            try await browser.press(WebDriverKey.delete)
            #expect(try await events("disconnect", browser) == [["type": "disconnect", "from": "a", "to": "b"]])
            #expect(try await browser.execute("return document.querySelectorAll('.wf-edge').length") == 5, "the owner decides")

            // The owner removes the edge: the selection goes with it.
            _ = try await browser.execute("graph.edges = graph.edges.filter((e) => !(e.from === 'a' && e.to === 'b')); canvas.setGraph(graph)")
            #expect(try await browser.execute("return [document.querySelectorAll('.wf-edge').length, canvas.selected]") == [4, .null])

            try await browser.click(at: try await center(".wf-node[data-id='d'] .wf-node__body", browser))
            #expect(try await browser.execute("return document.activeElement.dataset.id") == "d")
            #expect(try await browser.execute("return document.getElementById('canvas').classList.contains('is-keyboard')") == false,
                    "no focus ring after a click")
            try await browser.press(WebDriverKey.backspace)
            #expect(try await events("delete", browser) == [["type": "delete", "id": "d"]])

            try await browser.click(at: try await center(".wf-node[data-id='c'] .wf-node__body", browser), count: 2)
            #expect(try await events("open", browser) == [["type": "open", "id": "c"]])
            try await browser.press(WebDriverKey.escape)
            #expect(try await browser.execute("return canvas.selected") == .null)

            let selections = try await events("select", browser)
            #expect(selections == [
                ["type": "select", "selection": ["type": "edge", "from": "a", "to": "b"]],
                ["type": "select", "selection": ["type": "node", "id": "d"]],
                ["type": "select", "selection": ["type": "node", "id": "c"]],
                ["type": "select", "selection": .null],
            ])
            #expect(try await events("move", browser) == [], "clicks are not moves")
        }
    }

    @Test("keyboard: Tab reaches each node, arrows move the focused one, Enter opens it", .browser)
    func keyboard() async throws {
        try await withCanvas { browser in
            let start = try await browser.execute("return canvas.positions().a")
            try await browser.press(WebDriverKey.tab)
            #expect(try await browser.execute("return document.activeElement.dataset.id") == "a")
            #expect(try await browser.execute("return document.getElementById('canvas').classList.contains('is-keyboard')") == true,
                    "the focus ring shows")
            #expect(try await browser.execute("return canvas.selected") == ["type": "node", "id": "a"])
            try await browser.press(WebDriverKey.arrowRight + WebDriverKey.arrowDown)
            let moves = try await events("move", browser)
            #expect(moves.array?.count == 2)
            let last = moves.array?.last?["positions"]?["a"]
            #expect(last?["x"]?.number == (start["x"]?.number ?? 0) + 10)
            #expect(last?["y"]?.number == (start["y"]?.number ?? 0) + 10)
            try await browser.press(WebDriverKey.enter)
            #expect(try await events("open", browser) == [["type": "open", "id": "a"]])
            try await browser.press(WebDriverKey.tab)
            #expect(try await browser.execute("return document.activeElement.dataset.id") == "b")
            try await browser.screenshot(named: "graph-keyboard-focus")
        }
    }

    // MARK: - Read-only

    @Test("read-only: no ports or Auto-layout, Delete and dragging change nothing, statuses colour the run", .browser)
    func readOnly() async throws {
        try await withCanvas(readOnly: true) { browser in
            #expect(try await browser.execute("return document.querySelectorAll('#canvas .wf-port').length") == 0)
            #expect(try await browser.execute("return document.querySelector('[data-action=layout]').hidden") == true)
            #expect(try await browser.execute("return document.getElementById('canvas').classList.contains('wf-canvas--readonly')") == true)

            let b = try await center(".wf-node[data-id='b'] .wf-node__body", browser)
            try await browser.click(at: b)
            #expect(try await browser.execute("return canvas.selected") == ["type": "node", "id": "b"])
            try await browser.press(WebDriverKey.delete + WebDriverKey.backspace)
            let before = try await browser.execute("return canvas.positions()")
            let viewBefore = try await browser.execute("return document.querySelector('.wf-canvas__viewport').getAttribute('transform')")
            try await browser.drag(from: b, to: (b.x + 80, b.y + 30))
            #expect(try await browser.execute("return canvas.positions()") == before, "dragging a node pans instead")
            #expect(try await browser.execute("return document.querySelector('.wf-canvas__viewport').getAttribute('transform')") != viewBefore)
            #expect(try await browser.execute("return window.events.filter((e) => e.type !== 'select' && e.type !== 'open')") == [])
            try await browser.press("0")

            let statuses = try await browser.execute("""
                const set = { a: "success", b: "success", c: "failed", d: "running", e: "pending" };
                for (const [id, status] of Object.entries(set)) canvas.setStatus(id, status);
                return Object.keys(set).map((id) => [...document.querySelector(`.wf-node[data-id=${id}]`).classList]
                  .filter((name) => name.startsWith("wf-node--")).join(" "));
                """)
            #expect(statuses == ["wf-node--success", "wf-node--success", "wf-node--failed", "wf-node--running", "wf-node--pending"])
            _ = try await browser.execute("canvas.select(null); canvas.setStatus('c', 'retrying'); canvas.setStatus('c', 'failed')")
            _ = try await browser.execute("document.activeElement.blur()")
            try await browser.settle()
            try await browser.screenshot(named: "graph-run-status")
            _ = try await browser.execute("document.documentElement.dataset.theme = 'dark'")
            try await browser.settle()
            try await browser.screenshot(named: "graph-run-status-dark")

            // An empty graph says so; destroy() leaves the container as it found it.
            let emptied = try await browser.execute("""
                canvas.setGraph({ nodes: [], edges: [] });
                const shown = !document.querySelector(".wf-canvas__empty").hidden;
                canvas.destroy();
                const container = document.getElementById("canvas");
                return [shown, container.children.length, container.className, container.getAttribute("style")];
                """)
            #expect(emptied == [true, 0, "", "width: 1000px; height: 600px;"])
        }
    }

    // MARK: - Helpers

    /// Serves the page, opens it (read-only when asked), waits for the canvas, runs `body`, and fails when the page
    /// logged an error or a CSP violation.
    private func withCanvas(readOnly: Bool = false, _ body: @escaping @Sendable (BrowserSession) async throws -> Void) async throws {
        let router = Router()
        router.add(middleware: FileMiddleware(Self.publicFolder.path, urlBasePath: "/static", logger: ServerHarness.quiet))
        router.get("/") { _, _ in Self.response(Self.page, type: "text/html; charset=utf-8") }
        router.get("/test.js") { _, _ in Self.response(Self.script, type: "text/javascript; charset=utf-8") }
        let app = Application(router: router, logger: ServerHarness.quiet)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await BrowserSupport.withBrowser { browser in
                try await browser.open("http://localhost:\(port)/" + (readOnly ? "?readonly" : ""))
                try await browser.waitUntil("window.ready === true")
                try await body(browser)
                #expect(try await browser.execute("return window.errors") == [])
            }
        }
    }

    private static func response(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .contentSecurityPolicy: policy, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func rect(_ css: String, _ browser: BrowserSession) async throws -> (x: Double, y: Double, width: Double, height: Double) {
        let answer = try await browser.execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.width, r.height]", [.string(css)])
        let numbers = answer.array?.compactMap(\.number) ?? []
        try #require(numbers.count == 4, "no element matches \(css)")
        return (numbers[0], numbers[1], numbers[2], numbers[3])
    }

    private func center(_ css: String, _ browser: BrowserSession) async throws -> Point {
        let box = try await rect(css, browser)
        return (box.x + box.width / 2, box.y + box.height / 2)
    }

    private func width(_ css: String, _ browser: BrowserSession) async throws -> Double {
        try await rect(css, browser).width
    }

    /// The middle of the drawn edge from → to, in viewport pixels.
    private func edgeMiddle(_ from: String, _ to: String, _ browser: BrowserSession) async throws -> Point {
        let answer = try await browser.execute("""
            const line = document.querySelector(`.wf-edge[data-from=${arguments[0]}][data-to=${arguments[1]}] .wf-edge__line`);
            const p = line.getPointAtLength(line.getTotalLength() / 2), m = line.getScreenCTM();
            return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f];
            """, [.string(from), .string(to)])
        let numbers = answer.array?.compactMap(\.number) ?? []
        try #require(numbers.count == 2)
        return (numbers[0], numbers[1])
    }

    /// Drags from `from`'s output port to the middle of `to`.
    private func connect(_ from: String, _ to: String, _ browser: BrowserSession) async throws {
        let port = try await center(".wf-node[data-id='\(from)'] .wf-port--out .wf-port__hit", browser)
        let target = try await center(".wf-node[data-id='\(to)'] .wf-node__body", browser)
        try await browser.drag(from: port, to: target)
    }

    private func events(_ type: String, _ browser: BrowserSession) async throws -> WebDriverJSON {
        try await browser.execute("return window.events.filter((e) => e.type === arguments[0])", [.string(type)])
    }

    private func message(_ browser: BrowserSession) async throws -> String {
        // textContent: WebDriver's text is empty while the message is still fading in (opacity 0).
        try await browser.execute("return document.querySelector('.wf-canvas__message').textContent").string ?? ""
    }

    /// The ids of nodes not wholly inside the canvas.
    private func nodesOutside(_ browser: BrowserSession) async throws -> WebDriverJSON {
        try await browser.execute("""
            const box = document.getElementById("canvas").getBoundingClientRect();
            return [...document.querySelectorAll("#canvas .wf-node")].filter((node) => {
              const r = node.querySelector(".wf-node__body").getBoundingClientRect();
              return r.left < box.left || r.top < box.top || r.right > box.right || r.bottom > box.bottom;
            }).map((node) => node.dataset.id);
            """)
    }

    /// A touch pointer that goes down at `from`, moves to `to` in five steps and lifts.
    private func finger(_ id: String, from: Point, to: Point) -> WebDriverJSON {
        var actions: [WebDriverJSON] = [BrowserSession.pointerMove(from), ["type": "pointerDown", "button": 0]]
        for step in 1...5 {
            let t = Double(step) / 5
            actions.append(BrowserSession.pointerMove((from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t)))
        }
        actions.append(["type": "pointerUp", "button": 0])
        return ["type": "pointer", "id": .string(id), "parameters": ["pointerType": "touch"], "actions": .array(actions)]
    }
}

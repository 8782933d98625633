import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Proves the WebDriver client against a real Chromium: a throwaway server, one page, every kind of command.
@Suite("BrowserSmoke")
struct BrowserSmokeTests {
    /// A form whose button writes the input into `#out` 50 ms later, and a button behind a `confirm()`.
    static let page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Browser smoke</title></head>
        <body>
          <form id="form" onsubmit="return false">
            <input id="name" name="name" placeholder="Your name">
            <button id="greet" type="button">Greet</button>
          </form>
          <p id="out"></p>
          <button id="ask" type="button">Delete</button>
          <p id="answer"></p>
          <script>
            document.getElementById("greet").addEventListener("click", () => {
              const name = document.getElementById("name").value;
              setTimeout(() => { document.getElementById("out").textContent = "Hello, " + name + "!"; }, 50);
            });
            document.getElementById("ask").addEventListener("click", () => {
              document.getElementById("answer").textContent = confirm("Delete it?") ? "deleted" : "kept";
            });
          </script>
        </body></html>
        """

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    @Test("types, clicks, waits in the page, answers a confirm and takes a screenshot", .browser)
    func smoke() async throws {
        let router = Router()
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Self.page)))
        }
        let app = Application(router: router, logger: ServerHarness.quiet)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await BrowserSupport.withBrowser { browser in
                try await browser.open("http://localhost:\(port)/")
                #expect(try await browser.title == "Browser smoke")
                #expect(try await browser.currentURL == "http://localhost:\(port)/")

                let name = try await browser.find("#name")
                #expect(try await name.attribute("placeholder") == "Your name")
                try await name.type("Grace")
                try await name.clear()
                try await name.type("Ada")
                #expect(try await name.property("value") == "Ada")
                try await browser.find("#greet").click()
                try await browser.waitUntil("document.querySelector('#out').textContent !== ''")
                #expect(try await browser.find("#out").text == "Hello, Ada!")
                #expect(try await browser.findAll("button").count == 2)
                #expect(try await browser.execute("return arguments[0] + arguments[1].length", [40, "ab"]) == 42)

                // Failures say what they were about.
                let timedOut = await #expect(throws: WebDriverError.self) {
                    try await browser.waitUntil("window.neverSet === true", timeout: .milliseconds(200))
                }
                #expect(timedOut?.description.contains("window.neverSet === true") == true)
                try await browser.setTimeouts(implicit: .milliseconds(100))
                let missing = await #expect(throws: WebDriverError.self) { try await browser.find("#no-such-thing") }
                #expect(missing?.code == "no such element")
                #expect(missing?.description.contains("#no-such-thing") == true)

                try await browser.find("#ask").click()
                #expect(try await browser.alertText == "Delete it?")
                try await browser.acceptAlert()
                #expect(try await browser.find("#answer").text == "deleted")
                try await browser.find("#ask").click()
                try await browser.dismissAlert()
                #expect(try await browser.find("#answer").text == "kept")

                let file = try await browser.screenshot(named: "browser-smoke")
                #expect(file.path.hasSuffix(".build/browser-artifacts/browser-smoke.png"))
                let png = try Data(contentsOf: file)
                #expect(png.count > 1000)
                #expect(Array(png.prefix(8)) == Self.pngSignature)
            }
        }
    }
}

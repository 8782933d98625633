import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import WorkFlowEngine

/// Where the web UI's files are: the page templates and the stylesheet and scripts served under
/// `/static/`, both copied next to the `workflow` binary by the build
/// (`workflow_WorkFlowServer.resources/`).
enum WebResources {
    static var templates: URL { root.appendingPathComponent("Templates") }
    static var publicFolder: URL { root.appendingPathComponent("Public") }
    /// Debian's packaged browser libraries (CodeMirror, Chart.js), served under `/vendor/`.
    static let debianJavaScript = "/usr/share/javascript"

    private static var root: URL { Bundle.module.resourceURL ?? Bundle.module.bundleURL }
}

/// A page of the web UI: a view model rendered with the template of the same name, inside the
/// layout its template names.
protocol Page: Sendable {
    /// The template's file name without `.mustache`.
    static var template: String { get }
}

/// Renders pages from the Mustache templates, loaded once at start. Values are HTML-escaped
/// unless a template asks otherwise with `{{{…}}}`, which the templates use only for JSON made
/// by ``JSONWriter`` for scripts.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// Loads every `*.mustache` file of `folder`; a template that does not parse stops the start.
    /// Every template escapes with ``ScalarHTMLEscaping`` (set by a pragma put before each).
    init(folder: URL) throws {
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: ScalarHTMLEscaping.name)
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        for name in names.sorted() {
            let text = "{{% CONTENT_TYPE: \(ScalarHTMLEscaping.name) }}" + (try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw PageTemplateError(message: "the page template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    static func bundled() throws -> PageRenderer {
        try PageRenderer(folder: WebResources.templates)
    }

    /// The page's HTML.
    func html<P: Page>(_ page: P) -> String {
        guard let text = library.render(page, withTemplate: P.template) else {
            preconditionFailure("no page template named \(P.template)")
        }
        return text
    }

    /// The page as an answer, with headers that keep it out of caches and frames.
    func response<P: Page>(_ page: P, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.pageHeaders
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html(page))))
    }

    /// Pages carry user data: never cached, never framed, scripts only from this server.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]
}

/// HTML escaping by Unicode scalar. swift-mustache's own escaping looks characters up whole, and
/// a quote followed by a combining mark is one character to Swift but a plain quote to a browser,
/// which would end an attribute early.
struct ScalarHTMLEscaping: MustacheContentType {
    static let name = "HTML_SCALARS"

    func escapeText(_ text: String) -> String {
        text.replacingScalars { scalar in
            switch scalar {
            case "<": "&lt;"
            case ">": "&gt;"
            case "&": "&amp;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }
}

struct PageTemplateError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// JSON for a page's `<script type="application/json">` block: the text may hold user data
/// (step names, parameters), so `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026` —
/// the same JSON to a parser, and no `</script>` can end the block early.
enum ScriptJSON {
    static func embed(_ value: JSONValue) -> String {
        JSONWriter.string(from: value).replacingScalars { scalar in
            switch scalar {
            case "<": "\\u003c"
            case ">": "\\u003e"
            case "&": "\\u0026"
            case "\u{2028}": "\\u2028"
            case "\u{2029}": "\\u2029"
            default: nil
            }
        }
    }
}

extension String {
    /// The text with each Unicode scalar that `replacement` maps replaced by what it gives.
    func replacingScalars(_ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if let text = replacement(scalar) { out += text } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}

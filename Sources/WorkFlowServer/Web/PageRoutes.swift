import Foundation
import HTTPTypes
import Hummingbird

/// One request to a page, with what every page needs to draw its frame.
struct PageRequest: Sendable {
    let request: Request
    let context: AppRequestContext
    /// The signed-in caller (`nil` only on the public pages).
    let identity: Identity?
    let flashes: [Flash]

    var path: String { request.uri.path }

    func frame(_ title: String) -> PageFrame {
        PageFrame.make(title: title, path: path, identity: identity, flashes: flashes)
    }

    /// The signed-in caller; the page routes guarantee one outside the public pages.
    func requireIdentity() throws(APIError) -> Identity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }

    /// A query parameter, `nil` when absent or blank.
    func query(_ name: String) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init), !value.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            return nil
        }
        return value
    }
}

/// The fields of a posted form (`application/x-www-form-urlencoded`, or `multipart/form-data`
/// when it uploads files).
struct FormFields: Sendable {
    var values: [String: String]
    /// The files of a multipart form, by field name (the first of each).
    var files: [String: MultipartForm.Part] = [:]

    subscript(_ name: String) -> String? { values[name] }

    /// The field trimmed, `nil` when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Parses a URL-encoded body: `a=1&b=two+words`; a later repeat of a name wins.
    static func parse(_ body: String) -> FormFields {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return FormFields(values: values)
    }

    /// Reads the request's form, refusing bodies of other types and bodies over 1 MiB (2 MiB
    /// for a multipart form with files).
    static func read(_ request: Request, context: AppRequestContext) async throws -> FormFields {
        let type = request.headers[.contentType] ?? ""
        if let boundary = try? MultipartForm.boundary(contentType: type) {
            let body = try await request.body.collect(upTo: 2 * 1024 * 1024)
            let form: MultipartForm
            do {
                form = try MultipartForm(body: Array(body.readableBytesView), boundary: boundary)
            } catch {
                throw APIError.badRequest("the form cannot be read: \(error)")
            }
            var fields = FormFields(values: [:])
            for part in form.parts {
                if part.fileName != nil {
                    if fields.files[part.name] == nil { fields.files[part.name] = part }
                } else {
                    fields.values[part.name] = String(decoding: part.body, as: UTF8.self)
                }
            }
            return fields
        }
        guard type.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw APIError.badRequest("expected a form (application/x-www-form-urlencoded), got '\(type)'")
        }
        let body = try await request.body.collect(upTo: 1024 * 1024)
        return parse(String(buffer: body))
    }
}

/// Adds the web UI's pages to the router. Pages need a signed-in caller: without one the
/// browser goes to the sign-in page and comes back after. Every form posted to a page must carry
/// the session's CSRF token in `csrf_token`; the routes check it before the handler runs.
/// Errors become a page rather than JSON.
struct PageRoutes {
    private let protected: RouterGroup<AppRequestContext>
    private let open: RouterGroup<AppRequestContext>
    private let secureCookies: Bool

    init(router: Router<AppRequestContext>, authenticator: Authenticator, pages: PageRenderer, secureCookies: Bool) {
        self.secureCookies = secureCookies
        let errors = PageErrorMiddleware(pages: pages)
        open = router.group().add(middleware: errors)
        // Errors twice: inside, a page's error is drawn in the frame of the signed-in caller (the
        // context outside the sign-in check has no identity); outside, for the check's own failures.
        protected = router.group().add(middleware: errors).add(middleware: PageAuthMiddleware(authenticator: authenticator)).add(middleware: errors)
    }

    /// A page for callers holding `permission` (others get a 403 page).
    func get(_ path: String, permission: Permission = .read, _ handler: @Sendable @escaping (PageRequest) async throws -> Response) {
        let secure = secureCookies
        protected.get(RouterPath(path)) { request, context in
            try context.require(permission)
            return try await Self.showingFlashes(request, secure: secure) { flashes in
                try await handler(PageRequest(request: request, context: context, identity: context.identity, flashes: flashes))
            }
        }
    }

    /// Runs a page with the messages the request carries, and removes them once shown.
    private static func showingFlashes(
        _ request: Request, secure: Bool, _ body: ([Flash]) async throws -> Response
    ) async throws -> Response {
        let flashes = Flash.read(from: request)
        var response = try await body(flashes)
        if request.cookies[Flash.cookie] != nil, response.status == .ok {
            response.setCookie(Flash.clearingCookie(secure: secure))
        }
        return response
    }

    /// A form's target for callers holding `permission`; the form's CSRF token is checked first.
    func post(_ path: String, permission: Permission, _ handler: @Sendable @escaping (PageRequest, FormFields) async throws -> Response) {
        protected.post(RouterPath(path)) { request, context -> Response in
            try context.require(permission)
            let form = try await FormFields.read(request, context: context)
            if case .session(_, let token)? = context.identity?.method {
                guard let sent = form["csrf_token"], SecretTokens.constantTimeEquals(sent, token) else {
                    throw APIError.forbidden("the form is out of date or came from another site (its CSRF token does not match); reload the page and try again")
                }
            }
            return try await handler(PageRequest(request: request, context: context, identity: context.identity, flashes: []), form)
        }
    }

    /// A page anyone may open (the sign-in page); the handler checks its own forms.
    func publicGet(_ path: String, _ handler: @Sendable @escaping (PageRequest) async throws -> Response) {
        let secure = secureCookies
        open.get(RouterPath(path)) { request, context in
            try await Self.showingFlashes(request, secure: secure) { flashes in
                try await handler(PageRequest(request: request, context: context, identity: nil, flashes: flashes))
            }
        }
    }

    func publicPost(_ path: String, _ handler: @Sendable @escaping (PageRequest) async throws -> Response) {
        open.post(RouterPath(path)) { request, context in
            try await handler(PageRequest(request: request, context: context, identity: nil, flashes: []))
        }
    }
}

extension Response {
    /// `303 See Other` to `location`, with messages for the next page.
    static func redirect(to location: String, flashes: [Flash] = [], secureCookies: Bool = false) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        if !flashes.isEmpty { response.setCookie(Flash.cookie(flashes, secure: secureCookies)) }
        return response
    }
}

/// Lets a page through with a caller; otherwise sends the browser to sign in, to come back here.
struct PageAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity: Identity?
        do {
            identity = try await authenticator.identify(request)
        } catch let error as APIError where error.status == .unauthorized {
            identity = nil
        }
        guard let identity else {
            let back = request.method == .get ? request.uri.description : "/"
            return .redirect(to: "/accounts/login/?next=" + (back.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "/"))
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}

/// Turns an error of a page into a page: a missing workflow or run is a friendly "not found",
/// a refused form says why, and an unexpected failure says that the server log has the details.
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = ErrorMiddleware.apiError(for: error, request: request, context: context)
            return pages.errorPage(apiError, request: request, identity: context.identity)
        }
    }
}

extension PageRenderer {
    /// The error page for `error`, inside the frame when someone is signed in.
    func errorPage(_ error: APIError, request: Request, identity: Identity?) -> Response {
        let page = ErrorPage(
            frame: PageFrame.make(title: ErrorPage.heading(error.status), path: request.uri.path, identity: identity, flashes: []),
            status: error.status.code, heading: ErrorPage.heading(error.status), message: AccountPages.sentence(error.message))
        return response(page, status: error.status, headers: error.headers)
    }
}

/// A page that says what went wrong and where to go next.
struct ErrorPage: Page {
    static let template = "error"
    var frame: PageFrame
    var status: Int
    var heading: String
    var message: String

    static func heading(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "Not found"
        case .forbidden: "Not allowed"
        case .badRequest: "That did not work"
        case .tooManyRequests: "Too many attempts"
        case .unauthorized: "Please sign in"
        default: status.code >= 500 ? "Something went wrong" : status.reasonPhrase
        }
    }
}

extension CharacterSet {
    /// What may stand unescaped in a query value.
    static let urlQueryValue: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+?#")
        return set
    }()
}

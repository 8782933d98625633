import HTTPTypes
import Hummingbird

/// One route as documented: method, path (Hummingbird's `:name` form), a summary, and whether
/// it needs credentials.
public struct RouteInfo: Sendable, Hashable {
    public var method: HTTPRequest.Method
    public var path: String
    public var summary: String
    public var authenticated: Bool
    /// The media type of a successful answer.
    public var produces: String = "application/json"
    /// The media types a request body may have (POST and PUT).
    public var consumes: [String] = ["application/json"]

    /// The OpenAPI form of the path: `/flow/{name}`.
    public var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }

    /// The names of the path's parameters.
    public var parameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    /// The group it is listed under: `seed` for the seed's API, `hooks` for webhook calls, else
    /// the segment after `/api/v1/`.
    public var tag: String {
        let parts = path.split(separator: "/")
        if parts.count >= 3, parts[0] == "api", parts[1] == "v1" { return String(parts[2]) }
        if parts.first == "hooks" { return "hooks" }
        if parts.first == "api" || parts.first == "healthz" || parts.first == "metrics" { return "system" }
        return "seed"
    }
}

/// Adds routes to the router and remembers each with its summary. The OpenAPI document is made
/// from this list, and the router gets its routes only through it, so no route can go
/// undocumented.
final class RouteTable {
    private(set) var routes: [RouteInfo] = []
    private let router: Router<AppRequestContext>
    private let protected: RouterGroup<AppRequestContext>

    /// `protected` is the group behind the authentication middleware.
    init(router: Router<AppRequestContext>, protected: RouterGroup<AppRequestContext>) {
        self.router = router
        self.protected = protected
    }

    /// Adds a route that needs credentials (all but health and sign-in). `produces` and
    /// `consumes` are media types, for the OpenAPI document.
    func add(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, produces: String = "application/json",
        consumes: [String] = ["application/json"],
        _ handler: @Sendable @escaping (Request, AppRequestContext) async throws -> some ResponseGenerator
    ) {
        routes.append(
            RouteInfo(method: method, path: path, summary: summary, authenticated: true, produces: produces, consumes: consumes))
        protected.on(RouterPath(path), method: method, use: handler)
    }

    /// Adds a route anyone may call.
    func addPublic(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String,
        _ handler: @Sendable @escaping (Request, AppRequestContext) async throws -> some ResponseGenerator
    ) {
        routes.append(RouteInfo(method: method, path: path, summary: summary, authenticated: false))
        router.on(RouterPath(path), method: method, use: handler)
    }
}

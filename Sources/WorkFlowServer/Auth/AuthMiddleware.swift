import Hummingbird

/// Requires a caller on every route added after it. Browser sessions must also send their CSRF
/// token (`X-CSRF-Token`) with every request that changes something; API keys need not, since a
/// browser never adds them to a forged request by itself.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = try await authenticator.identify(request) else { throw APIError.unauthorized() }
        if case .session(_, let csrfToken) = identity.method, !Self.isSafe(request.method) {
            guard let sent = request.headers[.xCSRFToken], SecretTokens.constantTimeEquals(sent, csrfToken) else {
                throw APIError.forbidden("missing or wrong CSRF token: send the X-CSRF-Token header given at sign-in")
            }
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }
}

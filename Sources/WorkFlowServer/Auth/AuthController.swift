import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`.
struct AuthController {
    let store: SQLStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let auditor: Auditor
    let secureCookies: Bool
    let now: @Sendable () -> Date

    func addRoutes(to routes: RouteTable) {
        // Sign-in must stay reachable without credentials.
        routes.addPublic(.post, "/api/v1/auth/login", "Sign in: {username, password}; sets the session cookie") { request, context in
            try await login(request, context: context)
        }
        routes.add(.post, "/api/v1/auth/logout", "Sign out") { _, context in try await logout(context: context) }
        routes.add(.get, "/api/v1/auth/me", "Who is calling") { _, context in
            let identity = try context.requireIdentity()
            return JSONResponse(Self.json(identity))
        }
    }

    func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.jsonObject(context: context)
        guard case .string(let username)? = body["username"], !username.isEmpty else {
            throw APIError.invalidField("username", "a non-empty string is required")
        }
        guard case .string(let password)? = body["password"] else {
            throw APIError.invalidField("password", "a string is required")
        }
        if let wait = await throttle.waitTime(username: username, address: context.clientIP) {
            throw APIError.tooManyRequests("too many failed sign-ins; try again in \(wait) s", retryAfterSeconds: wait)
        }
        guard let (user, hash) = try await store.credentials(username: username), user.enabled,
            await hasher.verify(password, hash: hash)
        else {
            await throttle.recordFailure(username: username, address: context.clientIP)
            await auditor.record(
                actor: "user:\(username)", action: "login_failed", targetType: "user", targetName: username, clientIP: context.clientIP)
            throw APIError.unauthorized("wrong user name or password")
        }
        await throttle.recordSuccess(username: username)
        let token = SecretTokens.random(length: 43)
        let csrf = SecretTokens.random(length: 32)
        let expires = now().addingTimeInterval(Authenticator.sessionLifetime)
        try await store.createSession(tokenHash: SecretTokens.sha256Hex(token), userID: user.id, csrfToken: csrf, expiresAt: expires)
        try await store.recordLogin(userID: user.id, at: now())
        await auditor.record(actor: "user:\(username)", action: "login", targetType: "user", targetName: username, clientIP: context.clientIP)
        let identity = Identity(user: user, method: .session(tokenHash: "", csrfToken: csrf))
        var response = JSONResponse(Self.json(identity)).response(from: request, context: context)
        response.setCookie(
            Cookie(
                name: Authenticator.sessionCookie, value: token, maxAge: Int(Authenticator.sessionLifetime), path: "/",
                secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    func logout(context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        if case .session(let hash, _) = identity.method {
            try await store.deleteSession(tokenHash: hash)
        }
        var response = Response(status: .noContent)
        response.setCookie(
            Cookie(name: Authenticator.sessionCookie, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    static func json(_ identity: Identity) -> JSONValue {
        var body: JSONObject = [
            "user": Presentation.json(identity.user),
            "actor": .string(identity.actor),
        ]
        if case .session(_, let csrf) = identity.method { body["csrf_token"] = .string(csrf) }
        return .object(body)
    }
}

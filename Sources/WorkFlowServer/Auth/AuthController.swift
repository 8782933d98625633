import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`.
struct AuthController {
    let signIn: SessionSignIn

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
        let (identity, token) = try await signIn.signIn(username: username, password: password, clientIP: context.clientIP)
        var response = JSONResponse(Self.json(identity)).response(from: request, context: context)
        response.setCookie(signIn.cookie(token))
        return response
    }

    func logout(context: AppRequestContext) async throws -> Response {
        try await signIn.signOut(try context.requireIdentity())
        var response = Response(status: .noContent)
        response.setCookie(signIn.clearingCookie)
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

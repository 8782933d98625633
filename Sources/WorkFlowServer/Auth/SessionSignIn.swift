import Foundation
import Hummingbird
import WorkFlowStore

/// Checks a user name and password and opens a browser session, or ends one: shared by the
/// API's sign-in (`POST /api/v1/auth/login`) and the sign-in page.
struct SessionSignIn: Sendable {
    let store: SQLStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let auditor: Auditor
    let secureCookies: Bool
    let now: @Sendable () -> Date

    /// The signed-in identity and the session token for its cookie. Throws 429 while the name or
    /// address is throttled and 401 for a wrong name or password (which one is not said).
    func signIn(username: String, password: String, clientIP: String?) async throws -> (identity: Identity, token: String) {
        if let wait = await throttle.waitTime(username: username, address: clientIP) {
            throw APIError.tooManyRequests("too many failed sign-ins; try again in \(wait) s", retryAfterSeconds: wait)
        }
        guard let (user, hash) = try await store.credentials(username: username), user.enabled,
            await hasher.verify(password, hash: hash)
        else {
            await throttle.recordFailure(username: username, address: clientIP)
            await auditor.record(actor: "user:\(username)", action: "login_failed", targetType: "user", targetName: username, clientIP: clientIP)
            throw APIError.unauthorized("wrong user name or password")
        }
        await throttle.recordSuccess(username: username)
        let token = SecretTokens.random(length: 43)
        let csrf = SecretTokens.random(length: 32)
        let tokenHash = SecretTokens.sha256Hex(token)
        try await store.createSession(
            tokenHash: tokenHash, userID: user.id, csrfToken: csrf, expiresAt: now().addingTimeInterval(Authenticator.sessionLifetime))
        try await store.recordLogin(userID: user.id, at: now())
        await auditor.record(actor: "user:\(username)", action: "login", targetType: "user", targetName: username, clientIP: clientIP)
        return (Identity(user: user, method: .session(tokenHash: tokenHash, csrfToken: csrf)), token)
    }

    /// Ends the identity's session, if it is one.
    func signOut(_ identity: Identity) async throws {
        if case .session(let hash, _) = identity.method {
            try await store.deleteSession(tokenHash: hash)
        }
    }

    /// The session cookie: HttpOnly, SameSite=Strict, Secure when the server speaks HTTPS.
    func cookie(_ token: String) -> Cookie {
        Cookie(
            name: Authenticator.sessionCookie, value: token, maxAge: Int(Authenticator.sessionLifetime), path: "/",
            secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// A cookie that removes the session cookie.
    var clearingCookie: Cookie {
        Cookie(name: Authenticator.sessionCookie, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WorkFlowStore

/// Finds who is calling: an API key (`X-Api-Key: …` or `Authorization: Bearer …`) or a browser
/// session cookie. A presented credential that is wrong is a 401 even when another would do:
/// a script with a mistyped key should hear about it, not fall back to something else.
public struct Authenticator: Sendable {
    public static let sessionCookie = "wf_session"
    /// How long a browser session lasts.
    public static let sessionLifetime: TimeInterval = 12 * 60 * 60

    let store: SQLStore
    let now: @Sendable () -> Date
    let keyUse: KeyUseRecorder

    public init(store: SQLStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
        self.keyUse = KeyUseRecorder(store: store)
    }

    /// The caller, `nil` when the request carries no credentials, or a 401 when it carries bad ones.
    public func identify(_ request: Request) async throws -> Identity? {
        if let key = Self.presentedKey(request) {
            return try await identify(apiKey: key)
        }
        if let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty {
            return try await identify(sessionToken: token)
        }
        return nil
    }

    static func presentedKey(_ request: Request) -> String? {
        if let key = request.headers[.xApiKey], !key.isEmpty { return key }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    func identify(apiKey key: String) async throws -> Identity {
        guard let prefix = APIKeyFormat.prefix(of: key), let (stored, hash) = try await store.apiKey(prefix: prefix),
            SecretTokens.constantTimeEquals(hash, SecretTokens.sha256Hex(key))
        else {
            throw APIError.unauthorized("invalid API key")
        }
        guard stored.enabled else { throw APIError.unauthorized("API key '\(stored.name)' is disabled") }
        guard let user = try await store.user(named: stored.username), user.enabled else {
            throw APIError.unauthorized("the owner of API key '\(stored.name)' is disabled")
        }
        await keyUse.used(stored.id, at: now())
        return Identity(user: user, method: .apiKey(name: stored.name))
    }

    func identify(sessionToken token: String) async throws -> Identity {
        let hash = SecretTokens.sha256Hex(token)
        guard let session = try await store.session(tokenHash: hash, now: now()) else {
            throw APIError.unauthorized("the session has expired; sign in again")
        }
        guard session.user.enabled else { throw APIError.unauthorized("user '\(session.user.username)' is disabled") }
        return Identity(user: session.user, method: .session(tokenHash: hash, csrfToken: session.csrfToken))
    }
}

/// Writes an API key's `last_used` at most once a minute per key: a write on every request would
/// cost more than the request on SQLite.
actor KeyUseRecorder {
    private let store: SQLStore
    private var lastWritten: [Int64: Date] = [:]

    init(store: SQLStore) {
        self.store = store
    }

    func used(_ id: Int64, at time: Date) async {
        if let last = lastWritten[id], time.timeIntervalSince(last) < 60 { return }
        lastWritten[id] = time
        try? await store.recordAPIKeyUse(id: id, at: time)
    }
}

extension HTTPField.Name {
    static let xApiKey = Self("X-Api-Key")!
    static let xCSRFToken = Self("X-CSRF-Token")!
}

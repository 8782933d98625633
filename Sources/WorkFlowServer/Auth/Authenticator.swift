import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import WorkFlowStore

/// Finds who is calling: an API key (`X-Api-Key: …` or `Authorization: Bearer …`) or a browser
/// session cookie. A presented credential that is wrong is a 401 even when another would do:
/// a script with a mistyped key should hear about it, not fall back to something else.
public struct Authenticator: Sendable {
    public static let sessionCookie = "wf_session"
    /// How long a browser session lasts.
    public static let sessionLifetime: TimeInterval = 12 * 60 * 60

    /// How long a checked API key is believed without asking the store again. A key disabled or
    /// deleted through this server stops working at once; through another process (the command
    /// line, another node) within this time.
    public static let keyCacheLifetime: TimeInterval = 5

    let store: SQLStore
    let now: @Sendable () -> Date
    let keyUse: KeyUseRecorder
    let checkedKeys: CheckedKeyCache

    public init(store: SQLStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
        self.keyUse = KeyUseRecorder(store: store)
        self.checkedKeys = CheckedKeyCache()
    }

    /// Forgets every checked key, so the next request of each asks the store. Called when a key
    /// or user changes.
    func forgetCheckedKeys() {
        checkedKeys.removeAll()
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
        guard let prefix = APIKeyFormat.prefix(of: key) else { throw APIError.unauthorized("invalid API key") }
        let presentedHash = SecretTokens.sha256Hex(key)
        let time = now()
        if let (identity, keyID) = checkedKeys.lookup(presentedHash, at: time) {
            await keyUse.used(keyID, at: time)
            return identity
        }
        // A change made while the store is read must not be undone by remembering what was read.
        let generation = checkedKeys.generation
        guard let (stored, hash) = try await store.apiKey(prefix: prefix), SecretTokens.constantTimeEquals(hash, presentedHash) else {
            throw APIError.unauthorized("invalid API key")
        }
        guard stored.enabled else { throw APIError.unauthorized("API key '\(stored.name)' is disabled") }
        guard let user = try await store.user(named: stored.username), user.enabled else {
            throw APIError.unauthorized("the owner of API key '\(stored.name)' is disabled")
        }
        let identity = Identity(user: user, method: .apiKey(name: stored.name))
        checkedKeys.remember(
            presentedHash, identity: identity, keyID: stored.id, until: time.addingTimeInterval(Self.keyCacheLifetime), ifStill: generation)
        await keyUse.used(stored.id, at: time)
        return identity
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

/// API keys found valid in the last few seconds, by the hash of the presented key: two reads
/// of the store per request (the key, then its owner) would cost more than most requests.
final class CheckedKeyCache: Sendable {
    /// Beyond this many keys the cache starts afresh; callers with that many keys at once are
    /// not the case it is for.
    static let capacity = 10_000

    private struct Entry {
        var identity: Identity
        var keyID: Int64
        var expires: Date
    }

    private let state = Mutex<(entries: [String: Entry], generation: Int)>(([:], 0))

    /// Counts ``removeAll()`` calls, so that a lookup started before one does not remember.
    var generation: Int { state.withLock { $0.generation } }

    func lookup(_ keyHash: String, at time: Date) -> (Identity, keyID: Int64)? {
        state.withLock { state in
            guard let entry = state.entries[keyHash] else { return nil }
            guard entry.expires > time else {
                state.entries[keyHash] = nil
                return nil
            }
            return (entry.identity, entry.keyID)
        }
    }

    /// Remembers a checked key, unless the cache was cleared since `generation` was read.
    func remember(_ keyHash: String, identity: Identity, keyID: Int64, until expires: Date, ifStill generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[keyHash] = Entry(identity: identity, keyID: keyID, expires: expires)
        }
    }

    func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation += 1
        }
    }
}

/// Writes an API key's `last_used` at most once a minute per key: a write on every request would
/// cost more than the request on SQLite.
final class KeyUseRecorder: Sendable {
    private let store: SQLStore
    private let lastWritten = Mutex<[Int64: Date]>([:])

    init(store: SQLStore) {
        self.store = store
    }

    func used(_ id: Int64, at time: Date) async {
        let due = lastWritten.withLock { lastWritten in
            if let last = lastWritten[id], time.timeIntervalSince(last) < 60 { return false }
            lastWritten[id] = time
            return true
        }
        if due { try? await store.recordAPIKeyUse(id: id, at: time) }
    }
}

extension HTTPField.Name {
    static let xApiKey = Self("X-Api-Key")!
    static let xCSRFToken = Self("X-CSRF-Token")!
}

import Foundation
import WorkFlowEngine

/// A person who signs in. Password hashes never leave the store except to the one call that
/// checks a password (``AuthStore/credentials(username:)``).
public struct StoredUser: Sendable, Hashable {
    public var id: Int64
    public var username: String
    public var isAdmin: Bool
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastLoginAt: Date?
    /// The name shown in the web UI; the user name when unset.
    public var displayName: String?
    public var email: String?

    public init(
        id: Int64, username: String, isAdmin: Bool, enabled: Bool, createdAt: Date, updatedAt: Date, lastLoginAt: Date?,
        displayName: String? = nil, email: String? = nil
    ) {
        self.id = id
        self.username = username
        self.isAdmin = isAdmin
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastLoginAt = lastLoginAt
        self.displayName = displayName
        self.email = email
    }
}

/// An API key: a name, the public prefix that identifies it, and its owner. The key itself is
/// stored only as a hash.
public struct StoredAPIKey: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var prefix: String
    public var userID: Int64
    public var username: String
    public var enabled: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: Int64, name: String, prefix: String, userID: Int64, username: String, enabled: Bool, createdAt: Date,
        lastUsedAt: Date?
    ) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.userID = userID
        self.username = username
        self.enabled = enabled
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A browser session, found by the hash of its cookie's token.
public struct StoredSession: Sendable, Hashable {
    public var tokenHash: String
    public var user: StoredUser
    /// The token forms must echo back (CSRF protection).
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, user: StoredUser, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.user = user
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One audit log entry: who changed what, from where.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64?
    public var time: Date
    /// `user:<name>` or `apikey:<name>`, or `system`.
    public var actor: String
    /// `create`, `update`, `delete`, `enable`, `disable`, `run`, `login`, ...
    public var action: String
    public var targetType: String
    public var targetName: String?
    public var clientIP: String?
    /// What changed, secrets already redacted.
    public var detail: JSONValue

    public init(
        id: Int64? = nil, time: Date, actor: String, action: String, targetType: String, targetName: String?,
        clientIP: String?, detail: JSONValue = .null
    ) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.targetType = targetType
        self.targetName = targetName
        self.clientIP = clientIP
        self.detail = detail
    }
}

/// Which audit entries ``AuthStore/auditEntries(_:)`` returns, newest first.
public struct AuditQuery: Sendable, Hashable {
    public var actor: String?
    public var targetType: String?
    public var targetName: String?
    public var limit: Int
    public var offset: Int

    public init(actor: String? = nil, targetType: String? = nil, targetName: String? = nil, limit: Int = 100, offset: Int = 0) {
        self.actor = actor
        self.targetType = targetType
        self.targetName = targetName
        self.limit = limit
        self.offset = offset
    }
}

/// Users, API keys, browser sessions and the audit log.
public protocol AuthStore: Sendable {
    func createUser(username: String, passwordHash: String, isAdmin: Bool, enabled: Bool) async throws(StoreError) -> StoredUser
    func user(named username: String) async throws(StoreError) -> StoredUser?
    func users() async throws(StoreError) -> [StoredUser]
    func userCount() async throws(StoreError) -> Int
    /// The user and their password hash, for checking a password at sign-in.
    func credentials(username: String) async throws(StoreError) -> (user: StoredUser, passwordHash: String)?
    func setPasswordHash(username: String, to hash: String) async throws(StoreError)
    func setUserEnabled(username: String, _ enabled: Bool) async throws(StoreError)
    /// Sets the name shown for the user and their e-mail address (`nil` clears either).
    func setProfile(username: String, displayName: String?, email: String?) async throws(StoreError) -> StoredUser
    func recordLogin(userID: Int64, at time: Date) async throws(StoreError)

    func createAPIKey(name: String, prefix: String, keyHash: String, userID: Int64) async throws(StoreError) -> StoredAPIKey
    /// The key with this prefix and its hash, for checking a presented key.
    func apiKey(prefix: String) async throws(StoreError) -> (key: StoredAPIKey, keyHash: String)?
    func apiKeys() async throws(StoreError) -> [StoredAPIKey]
    func setAPIKeyEnabled(name: String, _ enabled: Bool) async throws(StoreError)
    func deleteAPIKey(name: String) async throws(StoreError)
    func recordAPIKeyUse(id: Int64, at time: Date) async throws(StoreError)

    func createSession(tokenHash: String, userID: Int64, csrfToken: String, expiresAt: Date) async throws(StoreError)
    /// The live session with this token hash (expired ones are not returned).
    func session(tokenHash: String, now: Date) async throws(StoreError) -> StoredSession?
    func deleteSession(tokenHash: String) async throws(StoreError)
    /// Removes expired sessions; returns how many.
    func purgeExpiredSessions(now: Date) async throws(StoreError) -> Int

    func appendAudit(_ entry: AuditEntry) async throws(StoreError)
    func auditEntries(_ query: AuditQuery) async throws(StoreError) -> [AuditEntry]
}

/// Naming rules shared by the CLI, the API and the store.
public enum AuthNames {
    /// Letters, digits, `_ . @ -`; 1 to 64 characters.
    public static func checkUsername(_ name: String) throws(StoreError) {
        guard !name.isEmpty, name.count <= 64,
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.@-".unicodeScalars.contains($0)) })
        else {
            throw StoreError.invalidUsername(name)
        }
    }

    /// Any printable text without control characters; 1 to 100 characters.
    public static func checkAPIKeyName(_ name: String) throws(StoreError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100,
            !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else {
            throw StoreError.invalidAPIKeyName(name)
        }
    }

    /// A display name of up to 100 printable characters, and an e-mail address of the form
    /// `local@domain` without spaces, up to 254 characters; either may be absent.
    public static func checkProfile(displayName: String?, email: String?) throws(StoreError) {
        if let name = displayName {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw StoreError.invalidProfile(field: "display name", problem: "leave it out rather than blank")
            }
            if name.count > 100 { throw StoreError.invalidProfile(field: "display name", problem: "use at most 100 characters") }
            if name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
                throw StoreError.invalidProfile(field: "display name", problem: "control characters are not allowed")
            }
        }
        if let email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
                !parts[1].hasSuffix("."), !email.unicodeScalars.contains(where: { CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0) })
            else {
                throw StoreError.invalidProfile(field: "e-mail address", problem: "'\(email)' is not an address like name@example.com")
            }
        }
    }
}

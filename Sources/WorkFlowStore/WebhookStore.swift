import Foundation

/// A webhook: a secret URL that starts a run of one workflow.
///
/// The URL's token is stored only as its SHA-256 (like an API key) with a short prefix for
/// display; the optional HMAC secret is stored encrypted under the master key by the server,
/// which is the only part that can read it.
public struct StoredWebhook: Sendable, Hashable {
    public var id: Int64
    public var flowID: Int64
    /// The workflow's current name (webhooks follow renames).
    public var flowName: String
    /// Unique among the workflow's webhooks.
    public var name: String
    /// The first characters of the token, to tell webhooks apart in lists.
    public var tokenPrefix: String
    /// The HMAC secret as sealed by the server (`v1:...`), or `nil` when calls are not signed.
    public var hmacSecretEncrypted: String?
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastCalledAt: Date?

    public init(
        id: Int64, flowID: Int64, flowName: String, name: String, tokenPrefix: String, hmacSecretEncrypted: String?,
        enabled: Bool, createdAt: Date, updatedAt: Date, lastCalledAt: Date?
    ) {
        self.id = id
        self.flowID = flowID
        self.flowName = flowName
        self.name = name
        self.tokenPrefix = tokenPrefix
        self.hmacSecretEncrypted = hmacSecretEncrypted
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastCalledAt = lastCalledAt
    }

    /// Whether calls must carry a signature.
    public var requiresSignature: Bool { hmacSecretEncrypted != nil }
}

/// A webhook token as the store keeps it: the SHA-256 of the whole token and its display prefix.
public struct WebhookTokenDigest: Sendable, Hashable {
    public var hash: String
    public var prefix: String

    public init(hash: String, prefix: String) {
        self.hash = hash
        self.prefix = prefix
    }
}

/// A change to a webhook; `nil` fields stay as they are.
public struct WebhookUpdate: Sendable, Hashable {
    /// What happens to the HMAC secret.
    public enum SecretChange: Sendable, Hashable {
        case keep
        /// Replaces (or adds) the sealed secret.
        case set(String)
        /// Calls need no signature any more.
        case remove
    }

    public var name: String?
    public var enabled: Bool?
    public var hmacSecret: SecretChange
    /// A new token: the old one stops working at once.
    public var token: WebhookTokenDigest?

    public init(name: String? = nil, enabled: Bool? = nil, hmacSecret: SecretChange = .keep, token: WebhookTokenDigest? = nil) {
        self.name = name
        self.enabled = enabled
        self.hmacSecret = hmacSecret
        self.token = token
    }
}

/// Webhooks of live workflows. Deleting a workflow deletes its webhooks.
public protocol WebhookStore: Sendable {
    /// Creates a webhook of the live workflow `flowName`; the name must be free on that workflow.
    func createWebhook(
        flowName: String, name: String, token: WebhookTokenDigest, hmacSecretEncrypted: String?, enabled: Bool
    ) async throws(StoreError) -> StoredWebhook
    /// The workflow's webhooks, by name.
    func webhooks(flowName: String) async throws(StoreError) -> [StoredWebhook]
    /// One webhook of a live workflow.
    func webhook(named name: String, flowName: String) async throws(StoreError) -> StoredWebhook
    /// The webhook whose token has this SHA-256, if its workflow is live.
    func webhook(tokenHash: String) async throws(StoreError) -> StoredWebhook?
    func updateWebhook(named name: String, flowName: String, _ update: WebhookUpdate) async throws(StoreError) -> StoredWebhook
    func deleteWebhook(named name: String, flowName: String) async throws(StoreError)
    /// Notes that the webhook was called (with a valid token and signature).
    func recordWebhookCall(id: Int64, at time: Date) async throws(StoreError)
}

/// The naming rule for webhooks, shared by the API and the store.
public enum WebhookNames {
    public static let maximumLength = 64

    /// 1 to 64 ASCII letters, digits, `_`, `.` or `-`: a name fits in a URL path and in
    /// `webhook:<name>`, the runs' `triggered_by`, without escaping.
    public static func check(_ name: String) throws(StoreError) {
        guard !name.isEmpty, name.count <= maximumLength,
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0)) })
        else {
            throw StoreError.invalidWebhookName(name)
        }
    }
}

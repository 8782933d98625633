import Foundation
import Logging
import WorkFlowEngine
import WorkFlowStore

/// Writes audit entries for every change made through the API. A failed write is logged and
/// never fails the change itself (the change already happened).
public struct Auditor: Sendable {
    let store: SQLStore
    let logger: Logger
    let now: @Sendable () -> Date

    public init(store: SQLStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    func record(
        actor: String, action: String, targetType: String, targetName: String?, clientIP: String?, detail: JSONValue = .null
    ) async {
        let entry = AuditEntry(
            time: now(), actor: actor, action: action, targetType: targetType, targetName: targetName, clientIP: clientIP,
            detail: Redaction.redacted(detail))
        do {
            try await store.appendAudit(entry)
        } catch {
            logger.error("could not write an audit entry", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }

    /// Records a change made by the request's caller.
    func record(_ context: AppRequestContext, action: String, targetType: String, targetName: String?, detail: JSONValue = .null) async {
        await record(
            actor: context.identity?.actor ?? "anonymous", action: action, targetType: targetType, targetName: targetName,
            clientIP: context.clientIP, detail: detail)
    }
}

/// Hides values whose keys name secrets (`password`, `token`, `secret`, `api_key`, ...) at any depth.
enum Redaction {
    static let marker: JSONValue = "******"
    private static let secretWords = ["password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "credential"]

    static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return secretWords.contains { lower.contains($0) }
    }

    static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var copy = object
            for (key, inner) in object {
                copy[key] = isSecretKey(key) && inner != .null ? marker : redacted(inner)
            }
            return .object(copy)
        case .array(let items):
            return .array(items.map(redacted))
        default:
            return value
        }
    }
}

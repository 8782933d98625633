import WorkFlowEngine
import WorkFlowStore

extension Presentation {
    /// A webhook as API v1 shows it: never its token (only the prefix) nor its secret.
    public static func json(_ webhook: StoredWebhook) -> JSONValue {
        [
            "name": .string(webhook.name),
            "flow": .string(webhook.flowName),
            "enabled": .bool(webhook.enabled),
            "hmac": .bool(webhook.requiresSignature),
            "token_prefix": .string(webhook.tokenPrefix),
            "created_at": .string(timestamp(webhook.createdAt)),
            "updated_at": .string(timestamp(webhook.updatedAt)),
            "last_called_at": timestamp(webhook.lastCalledAt),
        ]
    }
}

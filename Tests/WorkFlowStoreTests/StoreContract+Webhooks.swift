import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    static func token(_ n: Int) -> WebhookTokenDigest {
        WebhookTokenDigest(hash: String(repeating: String(n % 10), count: 64), prefix: "wfh_tok\(n)")
    }

    @Test("a created webhook reads back with every field, by name, in the list and by its token hash", arguments: Backend.all)
    func webhookCreateAndRead(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "deploy", document: [:], author: nil)
            let created = try await store.createWebhook(
                flowName: "deploy", name: "github", token: Self.token(1), hmacSecretEncrypted: "v1:sealed", enabled: true)
            #expect(created.flowName == "deploy")
            #expect(created.name == "github")
            #expect(created.tokenPrefix == "wfh_tok1")
            #expect(created.hmacSecretEncrypted == "v1:sealed")
            #expect(created.requiresSignature)
            #expect(created.enabled)
            #expect(created.createdAt == milliseconds(TestClock.start))
            #expect(created.updatedAt == milliseconds(TestClock.start))
            #expect(created.lastCalledAt == nil)

            database.clock.advance(milliseconds: 10)
            let plain = try await store.createWebhook(
                flowName: "deploy", name: "cron-box", token: Self.token(2), hmacSecretEncrypted: nil, enabled: false)
            #expect(!plain.requiresSignature)
            #expect(!plain.enabled)

            #expect(try await store.webhook(named: "github", flowName: "deploy") == created)
            #expect(try await store.webhooks(flowName: "deploy").map(\.name) == ["cron-box", "github"])
            #expect(try await store.webhook(tokenHash: Self.token(1).hash) == created)
            #expect(try await store.webhook(tokenHash: Self.token(3).hash) == nil)
        }
    }

    @Test("webhook names are unique per workflow, follow the naming rule, and need a live workflow", arguments: Backend.all)
    func webhookNames(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "a", document: [:], author: nil)
            _ = try await store.createFlow(name: "b", document: [:], author: nil)
            _ = try await store.createWebhook(flowName: "a", name: "hook", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            await #expect(throws: StoreError.webhookExists(flow: "a", name: "hook")) {
                try await store.createWebhook(flowName: "a", name: "hook", token: Self.token(2), hmacSecretEncrypted: nil, enabled: true)
            }
            // The same name on another workflow is another webhook.
            _ = try await store.createWebhook(flowName: "b", name: "hook", token: Self.token(3), hmacSecretEncrypted: nil, enabled: true)
            for bad in ["", "has space", "slash/name", "ünï", String(repeating: "x", count: 65)] {
                await #expect(throws: StoreError.invalidWebhookName(bad)) {
                    try await store.createWebhook(flowName: "a", name: bad, token: Self.token(4), hmacSecretEncrypted: nil, enabled: true)
                }
            }
            _ = try await store.createWebhook(
                flowName: "a", name: "Ok_1.2-" + String(repeating: "x", count: 57), token: Self.token(5), hmacSecretEncrypted: nil,
                enabled: true)
            await #expect(throws: StoreError.flowNotFound("missing")) {
                try await store.createWebhook(flowName: "missing", name: "h", token: Self.token(6), hmacSecretEncrypted: nil, enabled: true)
            }
            await #expect(throws: StoreError.flowNotFound("missing")) { try await store.webhooks(flowName: "missing") }
            await #expect(throws: StoreError.webhookNotFound(flow: "a", name: "nope")) {
                try await store.webhook(named: "nope", flowName: "a")
            }
            #expect(try await store.webhooks(flowName: "a").count == 2)
        }
    }

    @Test("updating renames, enables, changes the secret and the token; the old token stops matching", arguments: Backend.all)
    func webhookUpdate(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "f", document: [:], author: nil)
            let created = try await store.createWebhook(flowName: "f", name: "one", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            _ = try await store.createWebhook(flowName: "f", name: "two", token: Self.token(2), hmacSecretEncrypted: nil, enabled: true)

            database.clock.advance(milliseconds: 1_000)
            var updated = try await store.updateWebhook(
                named: "one", flowName: "f", WebhookUpdate(name: "uno", enabled: false, hmacSecret: .set("v1:abc")))
            #expect(updated.id == created.id)
            #expect(updated.name == "uno")
            #expect(!updated.enabled)
            #expect(updated.hmacSecretEncrypted == "v1:abc")
            #expect(updated.tokenPrefix == "wfh_tok1")
            #expect(updated.createdAt == created.createdAt)
            #expect(updated.updatedAt == milliseconds(database.clock.now()))

            updated = try await store.updateWebhook(named: "uno", flowName: "f", WebhookUpdate())
            #expect(updated.hmacSecretEncrypted == "v1:abc")
            updated = try await store.updateWebhook(named: "uno", flowName: "f", WebhookUpdate(hmacSecret: .remove, token: Self.token(3)))
            #expect(updated.hmacSecretEncrypted == nil)
            #expect(updated.tokenPrefix == "wfh_tok3")
            #expect(try await store.webhook(tokenHash: Self.token(1).hash) == nil)
            #expect(try await store.webhook(tokenHash: Self.token(3).hash)?.name == "uno")

            await #expect(throws: StoreError.webhookExists(flow: "f", name: "two")) {
                try await store.updateWebhook(named: "uno", flowName: "f", WebhookUpdate(name: "two"))
            }
            await #expect(throws: StoreError.webhookNotFound(flow: "f", name: "one")) {
                try await store.updateWebhook(named: "one", flowName: "f", WebhookUpdate(enabled: true))
            }
            await #expect(throws: StoreError.invalidWebhookName("a b")) {
                try await store.updateWebhook(named: "uno", flowName: "f", WebhookUpdate(name: "a b"))
            }
            #expect(try await store.webhook(named: "uno", flowName: "f") == updated)
        }
    }

    @Test("a call is recorded, and a deleted webhook is gone with its token", arguments: Backend.all)
    func webhookCallAndDelete(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "f", document: [:], author: nil)
            let created = try await store.createWebhook(flowName: "f", name: "h", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            database.clock.advance(milliseconds: 5)
            let calledAt = database.clock.now()
            try await store.recordWebhookCall(id: created.id, at: calledAt)
            #expect(try await store.webhook(named: "h", flowName: "f").lastCalledAt == milliseconds(calledAt))

            try await store.deleteWebhook(named: "h", flowName: "f")
            #expect(try await store.webhooks(flowName: "f").isEmpty)
            #expect(try await store.webhook(tokenHash: Self.token(1).hash) == nil)
            await #expect(throws: StoreError.webhookNotFound(flow: "f", name: "h")) {
                try await store.deleteWebhook(named: "h", flowName: "f")
            }
        }
    }

    @Test("webhooks follow a renamed workflow and go when it is deleted (soft or for good)", arguments: Backend.all)
    func webhooksFollowTheirWorkflow(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "old", document: [:], author: nil)
            _ = try await store.createWebhook(flowName: "old", name: "h", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            _ = try await store.renameFlow(from: "old", to: "new", author: nil)
            #expect(try await store.webhook(tokenHash: Self.token(1).hash)?.flowName == "new")
            #expect(try await store.webhooks(flowName: "new").map(\.name) == ["h"])

            _ = try await store.deleteFlow(name: "new", author: nil)
            #expect(try await store.webhook(tokenHash: Self.token(1).hash) == nil)
            let left = try await store.database.withConnection { session in
                try await session.first("SELECT COUNT(*) AS n FROM webhooks")?.int("n")
            }
            #expect(left == 0)
            // A new workflow may take the name; it starts without webhooks.
            _ = try await store.createFlow(name: "new", document: [:], author: nil)
            #expect(try await store.webhooks(flowName: "new").isEmpty)

            // Removing the row itself cascades too.
            let kept = try await store.createWebhook(flowName: "new", name: "h", token: Self.token(2), hmacSecretEncrypted: nil, enabled: true)
            try await store.database.withWriter { session in
                try await session.run("DELETE FROM flows WHERE id = \(bind: kept.flowID)")
            }
            let afterHardDelete = try await store.database.withConnection { session in
                try await session.first("SELECT COUNT(*) AS n FROM webhooks")?.int("n")
            }
            #expect(afterHardDelete == 0)
        }
    }

    @Test("two webhooks cannot share a token hash", arguments: Backend.all)
    func webhookTokenHashesAreUnique(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "f", document: [:], author: nil)
            _ = try await store.createWebhook(flowName: "f", name: "a", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            await #expect(throws: StoreError.self) {
                try await store.createWebhook(flowName: "f", name: "b", token: Self.token(1), hmacSecretEncrypted: nil, enabled: true)
            }
            #expect(try await store.webhooks(flowName: "f").map(\.name) == ["a"])
        }
    }
}

import Foundation
import Hummingbird
import Logging
import WorkFlowEngine
import WorkFlowStore

/// `/api/v1/flows/<name>/webhooks`: create, list, change, rotate and delete a workflow's
/// webhooks; and the public `POST /hooks/<token>` that calls one (WebhooksController+Call.swift).
///
/// A webhook's URL token and HMAC secret are in the answer that creates them (or rotates them)
/// and never again: the store keeps the token's hash and the secret sealed under the master key.
struct WebhooksController {
    let store: SQLStore
    let runs: RunService
    let secrets: SecretBoxLoader
    let auditor: Auditor
    let logger: Logger
    let now: @Sendable () -> Date

    private static let base = "/api/v1/flows/:name/webhooks"

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, Self.base, "A workflow's webhooks (token prefixes only, never tokens or secrets)") { _, context in
            try context.require(.read)
            let webhooks = try await store.webhooks(flowName: try context.parameters.require("name"))
            return JSONResponse(["items": .array(webhooks.map { Presentation.json($0) })])
        }
        routes.add(.post, Self.base, "Create a webhook: {name, hmac?, enabled?}; 201 with its url (and secret), shown this once") {
            request, context in try await create(request, context: context)
        }
        routes.add(.get, "\(Self.base)/:webhook", "One webhook (token prefix only)") { _, context in
            try context.require(.read)
            let (flow, name) = try Self.names(context)
            return JSONResponse(Presentation.json(try await store.webhook(named: name, flowName: flow)))
        }
        routes.add(.put, "\(Self.base)/:webhook", "Change a webhook: {name?, enabled?, hmac?}; turning hmac on answers the secret, once") {
            request, context in try await update(request, context: context)
        }
        routes.add(.delete, "\(Self.base)/:webhook", "Delete a webhook; its URL stops working at once") { _, context in
            try context.require(.write)
            let (flow, name) = try Self.names(context)
            try await store.deleteWebhook(named: name, flowName: flow)
            await auditor.record(context, action: "delete", targetType: "webhook", targetName: "\(flow)/\(name)")
            return Response(status: .noContent)
        }
        routes.add(.post, "\(Self.base)/:webhook/rotate", "Give a webhook a new URL token ({secret: true} also a new HMAC secret); the old one stops working") {
            request, context in try await rotate(request, context: context)
        }
        routes.addPublic(.post, "/hooks/:token", "Call a webhook: the JSON body becomes the run's inputs; 202, or 200 with ?wait=S when the run ends in time") {
            request, context in try await call(request, context: context)
        }
    }

    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.require(.write)
        let flow = try context.parameters.require("name")
        let body = try await request.jsonObject(context: context)
        try Self.refuseUnknownFields(body, allowed: ["name", "hmac", "enabled"])
        let name = try body.requiredString("name")
        try Self.checkName(name)
        let hmac = try body.optionalBool("hmac") ?? false
        let enabled = try body.optionalBool("enabled") ?? true
        let token = WebhookToken.generate()
        let secret = hmac ? WebhookSignature.generateSecret() : nil
        let webhook = try await store.createWebhook(
            flowName: flow, name: name, token: token.digest, hmacSecretEncrypted: try secret.map(seal), enabled: enabled)
        await auditor.record(
            context, action: "create", targetType: "webhook", targetName: "\(flow)/\(name)",
            detail: ["hmac": .bool(hmac), "enabled": .bool(enabled)])
        return JSONResponse(Self.answer(webhook, token: token.plain, secret: secret), status: .created)
            .response(from: request, context: context)
    }

    private func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let (flow, name) = try Self.names(context)
        let body = try await request.jsonObject(context: context)
        try Self.refuseUnknownFields(body, allowed: ["name", "hmac", "enabled"])
        var update = WebhookUpdate(name: try body.optionalString("name"), enabled: try body.optionalBool("enabled"))
        if let newName = update.name { try Self.checkName(newName) }
        var secret: String?
        switch try body.optionalBool("hmac") {
        case true?:
            // Turning signatures on makes a secret; a webhook that has one keeps it (rotate replaces it).
            let current = try await store.webhook(named: name, flowName: flow)
            if !current.requiresSignature {
                let generated = WebhookSignature.generateSecret()
                update.hmacSecret = .set(try seal(generated))
                secret = generated
            }
        case false?: update.hmacSecret = .remove
        case nil: break
        }
        let webhook = try await store.updateWebhook(named: name, flowName: flow, update)
        await auditor.record(
            context, action: "update", targetType: "webhook", targetName: "\(flow)/\(name)", detail: .object(body))
        return JSONResponse(Self.answer(webhook, token: nil, secret: secret))
    }

    private func rotate(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let (flow, name) = try Self.names(context)
        let body = try await request.jsonObject(context: context, required: false)
        try Self.refuseUnknownFields(body, allowed: ["secret"])
        let token = WebhookToken.generate()
        var update = WebhookUpdate(token: token.digest)
        var secret: String?
        if try body.optionalBool("secret") == true {
            guard try await store.webhook(named: name, flowName: flow).requiresSignature else {
                throw APIError.invalidField("secret", "webhook '\(name)' has no HMAC secret to replace; turn it on with PUT {\"hmac\": true}")
            }
            let generated = WebhookSignature.generateSecret()
            update.hmacSecret = .set(try seal(generated))
            secret = generated
        }
        let webhook = try await store.updateWebhook(named: name, flowName: flow, update)
        await auditor.record(
            context, action: "rotate", targetType: "webhook", targetName: "\(flow)/\(name)", detail: ["new_secret": .bool(secret != nil)])
        return JSONResponse(Self.answer(webhook, token: token.plain, secret: secret))
    }

    /// Seals a new HMAC secret under the master key.
    private func seal(_ secret: String) throws -> String {
        do throws(SecretBoxError) {
            return try secrets.secretBox(createIfMissing: true).seal(secret, purpose: WebhookSignature.sealPurpose)
        } catch {
            throw masterKeyProblem(error)
        }
    }

    /// The master key is unusable: the operator must fix the file. The caller gets a 500 that
    /// says where to look; the log has the reason.
    func masterKeyProblem(_ error: SecretBoxError) -> APIError {
        logger.error("the master key is unusable", metadata: ["error": "\(error)", "path": "\(secrets.file.path)"])
        return APIError(
            .internalServerError, code: "master_key", message: "the server cannot use its master key; the server log has the details")
    }

    /// The webhook, plus its URL and secret when they were just made (shown this once).
    private static func answer(_ webhook: StoredWebhook, token: String?, secret: String?) -> JSONValue {
        guard case .object(var object) = Presentation.json(webhook) else { return Presentation.json(webhook) }
        if let token { object["url"] = .string(WebhookToken.path(token)) }
        if let secret { object["secret"] = .string(secret) }
        return .object(object)
    }

    private static func names(_ context: AppRequestContext) throws -> (flow: String, webhook: String) {
        (try context.parameters.require("name"), try context.parameters.require("webhook"))
    }

    private static func checkName(_ name: String) throws(APIError) {
        do throws(StoreError) {
            try WebhookNames.check(name)
        } catch {
            throw APIError.invalidField("name", error.description)
        }
    }

    /// A misspelt field (`"hmca": true`) would otherwise silently make an unsigned webhook.
    private static func refuseUnknownFields(_ body: JSONObject, allowed: Set<String>) throws(APIError) {
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            throw APIError.invalidField(unknown, "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }
}

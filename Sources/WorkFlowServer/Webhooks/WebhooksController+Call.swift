import Foundation
import HTTPTypes
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

extension WebhooksController {
    /// `POST /hooks/<token>`: the token is the credential. An unknown token and a disabled webhook
    /// answer the same 404, so a caller cannot tell them apart. With an HMAC secret, the raw body
    /// must be signed (``WebhookSignature``), else 401. The body (a JSON object, or nothing)
    /// becomes the run's inputs.
    func call(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let hash = WebhookToken.hash(of: token), let webhook = try await store.webhook(tokenHash: hash), webhook.enabled else {
            throw APIError.notFound("no webhook answers at this address")
        }
        let body = try await request.bodyBytes(context: context)
        if let sealed = webhook.hmacSecretEncrypted {
            try checkSignature(request.headers[.xWorkFlowSignature], body: body, sealed: sealed)
        }
        do {
            try await store.recordWebhookCall(id: webhook.id, at: now())
        } catch {
            // The call goes on: a missed timestamp is not worth a lost run.
            logger.warning("could not record a webhook call", metadata: ["webhook": "\(webhook.name)", "error": "\(error)"])
        }
        let inputs = try Self.inputs(from: body)
        let wait = try request.integerQuery("wait", default: 0, in: 0...RunsController.maximumWait)
        let actor = "webhook:\(webhook.name)"
        let run = try await runs.start(flowName: webhook.flowName, inputs: inputs, trigger: .webhook, triggeredBy: actor)
        await auditor.record(
            actor: actor, action: "run", targetType: "flow", targetName: webhook.flowName, clientIP: context.clientIP,
            detail: ["run_id": .int(Int(run.id))])
        if wait > 0, try await runs.waitForEnd(runID: run.id, timeout: .seconds(wait)) {
            guard let ended = try await store.run(id: run.id) else { throw APIError.notFound("run \(run.id) does not exist") }
            return JSONResponse(Presentation.json(ended, steps: try await store.steps(runID: run.id)))
                .response(from: request, context: context)
        }
        let current = try await store.run(id: run.id) ?? run
        return JSONResponse(["run_id": .int(Int(run.id)), "status": .string(current.status.rawValue)], status: .accepted)
            .response(from: request, context: context)
    }

    private func checkSignature(_ header: String?, body: ByteBuffer, sealed: String) throws {
        let secret: String
        do throws(SecretBoxError) {
            secret = try secrets.secretBox(createIfMissing: false).open(sealed, purpose: WebhookSignature.sealPurpose)
        } catch {
            throw masterKeyProblem(error)
        }
        guard let header, !header.isEmpty else {
            throw APIError(
                .unauthorized, code: "unauthorized",
                message: "this webhook needs the header \(WebhookSignature.headerName): sha256=<hex HMAC-SHA256 of the body>")
        }
        guard WebhookSignature.isValid(header, body: Array(body.readableBytesView), secret: secret) else {
            throw APIError(
                .unauthorized, code: "unauthorized",
                message: "the \(WebhookSignature.headerName) header does not match the body (expected sha256=<hex HMAC-SHA256>)")
        }
    }

    /// The body as the run's inputs: nothing → none; otherwise a JSON object.
    static func inputs(from body: ByteBuffer) throws(APIError) -> JSONObject {
        switch try Request.parseJSON(body) {
        case nil: return [:]
        case .object(let object)?: return object
        case let other?: throw APIError.badRequest("the body must be a JSON object of inputs, not a \(other.typeName)", code: "invalid_body")
        }
    }
}

extension HTTPField.Name {
    static let xWorkFlowSignature = Self(WebhookSignature.headerName)!
}

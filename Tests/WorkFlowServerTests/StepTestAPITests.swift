import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("testing one step (POST /api/v1/steps/test)")
struct StepTestAPITests {
    static let document: JSONValue = [
        "variables": ["who": "ops"],
        "procedures": [
            ["name": "fetch", "mod": "common.Bash", "method": "run", "params": ["cmd": "echo never run"]],
            ["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "@fetch.stdout"]],
            ["name": "hello", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi ${var.who}"]],
        ],
    ]

    @Test("the step runs alone with pinned upstream results and the document's variables; nothing is stored")
    func runsOneStep() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let answer = try await client.send(
                .post, "/api/v1/steps/test",
                json: ["document": Self.document, "step": "greet", "results": ["fetch": ["status": true, "stdout": "the pinned output"]]])
            #expect(answer.status == .ok)
            #expect(answer.json["name"] == "greet")
            #expect(answer.json["status"] == "success")
            #expect(answer.json["params"]?["msg"] == "the pinned output")
            #expect(answer.json["result"]?["msg"] == "ret from the pinned output")
            #expect(answer.json["logs"]?.arrayValue?.isEmpty == false)
            #expect(try await harness.store.listRuns(RunQuery()).isEmpty, "no run is recorded")
            let hello = try await client.send(.post, "/api/v1/steps/test", json: ["document": Self.document, "step": "hello"])
            #expect(hello.json["params"]?["msg"] == "hi ops", "the document's variables")
            let audit = try await harness.store.auditEntries(AuditQuery(limit: 5))
            #expect(audit.first?.action == "test_step")
        }
    }

    @Test("other parameters can be tried; a failing step answers its error, not a failure of the call")
    func paramsAndFailures() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let tried = try await client.send(
                .post, "/api/v1/steps/test", json: ["document": Self.document, "step": "fetch", "params": ["cmd": "echo tried; exit 4"]])
            #expect(tried.status == .ok)
            #expect(tried.json["status"] == "failed")
            #expect(tried.json["result"]?["stdout"]?.stringValue?.contains("tried") == true)
        }
    }

    @Test("testing runs what the document says, so it needs the permission to write workflows")
    func needsWrite() async throws {
        let harness = try await ServerHarness.make()
        let viewer = try await harness.userKey("viewer")
        try await harness.test { client in
            let refused = try await client.send(.post, "/api/v1/steps/test", as: .key(viewer), json: ["document": Self.document, "step": "fetch"])
            #expect(refused.status == .forbidden)
        }
    }

    @Test("the test slots: a few at once, then refusals until one is given back")
    func slots() {
        let slots = TestSlots(capacity: 2)
        #expect(slots.take() && slots.take())
        #expect(!slots.take())
        slots.give()
        #expect(slots.take())
    }

    @Test("refusals name the field: no such step, a reference to a step without a pinned result, bad bodies, no credentials")
    func refusals() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let missing = try await client.send(.post, "/api/v1/steps/test", json: ["document": Self.document, "step": "nope"])
            #expect(missing.status == .badRequest)
            #expect(missing.json["error"]?["message"]?.stringValue?.hasPrefix("step:") == true)
            let unpinned = try await client.send(.post, "/api/v1/steps/test", json: ["document": Self.document, "step": "greet"])
            #expect(unpinned.status == .badRequest)
            #expect(unpinned.json["error"]?["message"] == "results: step 'greet' reads the result of 'fetch'; pin a result for it (results.fetch) to test the step alone")
            let unknown: JSONValue = ["procedures": [["name": "y", "mod": "common.Kt", "method": "prt1"], ["name": "x", "mod": "common.Nope", "method": "go"]]]
            let invalid = try await client.send(.post, "/api/v1/steps/test", json: ["document": unknown, "step": "x"])
            #expect(invalid.status == .badRequest)
            #expect(invalid.json["error"]?["details"]?[0]?["path"]?.stringValue?.hasPrefix("procedures[1]") == true, "the path is the step's in the sent document")
            let badParams = try await client.send(.post, "/api/v1/steps/test", json: ["document": Self.document, "step": "fetch", "params": "x"])
            #expect(badParams.json["error"]?["message"]?.stringValue?.hasPrefix("params:") == true)
            let noDocument = try await client.send(.post, "/api/v1/steps/test", json: ["step": "fetch"])
            #expect(noDocument.status == .badRequest)
            let nobody = try await client.send(.post, "/api/v1/steps/test", as: .nobody, json: ["document": Self.document, "step": "fetch"])
            #expect(nobody.status == .unauthorized)
        }
    }
}

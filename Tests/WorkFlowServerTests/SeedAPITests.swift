import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("the seed's REST API")
struct SeedAPITests {
    @Test("create, read, update, enable, disable, rename and delete a workflow in the seed's shapes")
    func lifecycle() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var r = try await client.send(.post, "/flow", json: ["name": "hello", "procedures": helloSteps, "variables": ["who": "ops"]])
            #expect(r.status == .created)
            #expect(r.json == ["status": true, "data": ["flow_name": "hello"]])

            r = try await client.send(.get, "/flow/hello")
            #expect(r.status == .ok)
            #expect(r.json["data"]?["flow_name"] == "hello")
            #expect(r.json["data"]?["enabled"] == 1)
            let stored = try JSONParser.parse(try #require(r.json["data"]?["flow_procedures"]?.stringValue))
            #expect(stored["variables"] == ["who": "ops"])
            #expect(stored["procedures"]?.arrayValue?.count == 1)

            // The older body form: flow_name, and procedures holding the whole document.
            r = try await client.send(.post, "/flow", json: ["flow_name": "older", "procedures": ["procedures": helloSteps]])
            #expect(r.status == .created, "\(r.text)")

            r = try await client.send(.put, "/flow/hello", json: ["name": "ignored", "procedures": helloSteps, "variables": ["who": "devs"]])
            #expect(r.json == ["status": true, "data": ["flow_name": "hello"]])
            #expect(try await harness.store.flow(named: "hello")?.document["variables"] == ["who": "devs"])
            #expect(try await harness.store.flow(named: "hello")?.currentVersion == 2)

            r = try await client.send(.put, "/flow/hello/disable")
            #expect(r.json == ["status": true, "data": ["flow_name": "hello"]])
            #expect(try await harness.store.flow(named: "hello")?.enabled == false)
            r = try await client.send(.put, "/flow/hello/enable")
            #expect(try await harness.store.flow(named: "hello")?.enabled == true)

            r = try await client.send(.put, "/flow/older/rename", json: ["new": "newer"])
            #expect(r.json == ["status": true, "data": ["flow_name": "newer"]])
            r = try await client.send(.put, "/flow/newer/rename", json: ["new_name": "newest"])
            #expect(r.json == ["status": true, "data": ["flow_name": "newest"]])

            r = try await client.send(.delete, "/flow/newest")
            let deletedName = try #require(r.json["data"]?["flow_name"]?.stringValue)
            #expect(deletedName.hasPrefix("newest_") && deletedName.hasSuffix("_deleted"))

            r = try await client.send(.get, "/flow")
            let names = r.json["data"]?.arrayValue?.compactMap { $0["flow_name"]?.stringValue } ?? []
            #expect(Set(names) == ["hello", deletedName])
            #expect(r.json["data"]?.arrayValue?.first { $0["flow_name"]?.stringValue == deletedName }?["deleted"] == 1)

            let audit = try await harness.store.auditEntries(AuditQuery(targetType: "flow"))
            #expect(audit.map(\.action) == ["delete", "rename", "rename", "enable", "disable", "update", "create", "create"])
            #expect(audit.allSatisfy { $0.actor == "apikey:admin-key" })
        }
    }

    @Test("the seed's holes are fixed: 404 for unknown names, 409 for clashes, 400 for bad bodies and documents")
    func errors() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var r = try await client.send(.get, "/flow/missing")
            #expect(r.status == .notFound)
            #expect(r.json == ["status": false, "error": "workflow 'missing' does not exist"])
            r = try await client.send(.put, "/flow/missing/enable")
            #expect(r.status == .notFound)
            r = try await client.send(.put, "/flow/missing", json: ["procedures": helloSteps])
            #expect(r.status == .notFound)
            r = try await client.send(.delete, "/flow/missing")
            #expect(r.status == .notFound)

            r = try await client.send(.post, "/flow", json: ["name": "a", "procedures": helloSteps])
            #expect(r.status == .created)
            r = try await client.send(.post, "/flow", json: ["name": "a", "procedures": helloSteps])
            #expect(r.status == .conflict)
            #expect(r.json["error"] == "a workflow named 'a' already exists")
            r = try await client.send(.post, "/flow", json: ["name": "b", "procedures": helloSteps])
            r = try await client.send(.put, "/flow/b/rename", json: ["new": "a"])
            #expect(r.status == .conflict)

            r = try await client.send(.post, "/flow")
            #expect(r.status == .badRequest)
            #expect(r.json == ["status": false, "error": "Request body is required"])
            r = try await client.send(.post, "/flow", body: "{\"name\": ")
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?.stringValue?.hasPrefix("the request body is not valid JSON") == true)
            r = try await client.send(.post, "/flow", json: ["procedures": helloSteps])
            #expect(r.status == .badRequest)
            #expect(r.json["error"] == "name: is required (or flow_name)")
            r = try await client.send(.post, "/flow", json: ["name": "c"])
            #expect(r.json["error"] == "procedures: is required: the list of steps")
            r = try await client.send(.put, "/flow/a/rename", json: [:])
            #expect(r.json == ["status": false, "error": "Request body with \"new\" field is required"])

            let bad: JSONValue = [
                ["name": "x", "mod": "common.Nope", "method": "run"],
                ["name": "y", "mod": "common.Kt", "method": "prt1", "params": [:]],
            ]
            r = try await client.send(.post, "/flow", json: ["name": "bad", "procedures": bad])
            #expect(r.status == .badRequest)
            let paths = r.json["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
            #expect(paths.contains { $0.hasPrefix("procedures[0]") })
            #expect(paths.contains { $0.hasPrefix("procedures[1]") })
            #expect(try await harness.store.flow(named: "bad") == nil)

            r = try await client.send(.get, "/run/999")
            #expect(r.status == .notFound)
            #expect(r.json == ["status": false, "error": "Run not found"])
            r = try await client.send(.get, "/run/abc")
            #expect(r.status == .notFound)
        }
    }

    @Test("POST /flow/<name>/run runs synchronously and answers status, run_id and the step results")
    func run() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            _ = try await client.send(.post, "/flow", json: ["name": "hello", "procedures": helloSteps, "variables": ["who": "ops"]])
            var r = try await client.send(.post, "/flow/hello/run", json: ["trigger_by": "nightly"])
            #expect(r.status == .ok)
            #expect(r.json["status"] == true)
            let runID = try #require(r.json["run_id"]?.intValue)
            #expect(r.json["data"] == ["greet": ["status": 0, "msg": "ret from hi ops"], "var": ["who": "ops"]])

            r = try await client.send(.get, "/flow/hello/runs?limit=5")
            let rows = r.json["data"]?.arrayValue ?? []
            #expect(rows.count == 1)
            #expect(rows.first?["id"]?.intValue == runID)
            #expect(rows.first?["trigger_by"] == "nightly")
            #expect(rows.first?["status"] == "success")

            r = try await client.send(.get, "/run/\(runID)")
            #expect(r.json["data"]?["status"] == "success")
            let steps = r.json["data"]?["steps"]?.arrayValue ?? []
            #expect(steps.map { $0["step_name"] } == ["greet"])
            #expect(steps.first?["result_data"] == ["status": 0, "msg": "ret from hi ops"])

            // A body that is not JSON is tolerated, as the seed's silent parsing did.
            r = try await client.send(.post, "/flow/hello/run", body: "not json")
            #expect(r.json["status"] == true)

            _ = try await client.send(.put, "/flow/hello/disable")
            r = try await client.send(.post, "/flow/hello/run")
            #expect(r.status == .conflict)
            r = try await client.send(.post, "/flow/missing/run")
            #expect(r.status == .notFound)
        }
    }
}

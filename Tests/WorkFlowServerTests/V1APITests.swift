import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("API v1")
struct V1APITests {
    static let document: JSONValue = ["procedures": helloSteps, "variables": ["who": "ops"]]

    @Test("flows: create, list with paging and filters, show, update, versions, diff, restore, rename, disable, delete")
    func flows() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var r = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": Self.document, "comment": "first"])
            #expect(r.status == .created)
            #expect(r.json["name"] == "hello")
            #expect(r.json["version"] == 1)
            for name in ["alpha", "beta", "gamma"] {
                r = try await client.send(.post, "/api/v1/flows", json: ["name": .string(name), "document": Self.document])
                #expect(r.status == .created)
            }
            r = try await client.send(.get, "/api/v1/flows?limit=2")
            #expect(r.json["items"]?.arrayValue?.count == 2)
            #expect(r.json["next_offset"] == 2)
            r = try await client.send(.get, "/api/v1/flows?limit=2&offset=2")
            #expect(r.json["items"]?.arrayValue?.count == 2)
            #expect(r.json["next_offset"] == .null)
            r = try await client.send(.get, "/api/v1/flows?q=alp")
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["alpha"])
            r = try await client.send(.get, "/api/v1/flows?limit=0")
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["details"]?[0]?["path"] == "limit")

            let changed: JSONValue = ["procedures": helloSteps, "variables": ["who": "devs"]]
            r = try await client.send(.put, "/api/v1/flows/hello", json: ["document": changed, "comment": "devs"])
            #expect(r.json["version"] == 2)
            r = try await client.send(.get, "/api/v1/flows/hello/versions")
            #expect(r.json["items"]?.arrayValue?.map { $0["version"] } == [2, 1])
            r = try await client.send(.get, "/api/v1/flows/hello/versions/1")
            #expect(r.json["document"]?["variables"] == ["who": "ops"])
            r = try await client.send(.get, "/api/v1/flows/hello/diff?from=1&to=2")
            #expect(r.json["diff"]?.stringValue?.contains("+    \"who\": \"devs\"") == true)
            r = try await client.send(.get, "/api/v1/flows/hello/diff?from=1")
            #expect(r.status == .badRequest)
            r = try await client.send(.post, "/api/v1/flows/hello/versions/1/restore")
            #expect(r.json["version"] == 3)
            #expect(r.json["document"]?["variables"] == ["who": "ops"])
            r = try await client.send(.get, "/api/v1/flows/hello/versions/9")
            #expect(r.status == .notFound)

            r = try await client.send(.post, "/api/v1/flows/alpha/rename", json: ["new_name": "beta"])
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["code"] == "conflict")
            r = try await client.send(.post, "/api/v1/flows/alpha/rename", json: ["new_name": "delta"])
            #expect(r.json["name"] == "delta")
            r = try await client.send(.post, "/api/v1/flows/delta/disable")
            #expect(r.json["enabled"] == false)
            r = try await client.send(.get, "/api/v1/flows?enabled=false")
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["delta"])
            r = try await client.send(.delete, "/api/v1/flows/delta")
            #expect(r.json["deleted_as"]?.stringValue?.hasSuffix("_deleted") == true)
            r = try await client.send(.get, "/api/v1/flows/delta")
            #expect(r.status == .notFound)
            #expect(r.json["error"]?["message"] == "workflow 'delta' does not exist")
        }
    }

    @Test("invalid documents and bodies are refused with every problem and its path")
    func invalid() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let bad: JSONValue = ["procedures": [["name": "x", "mod": "common.Kt", "method": "nope"], ["mod": "common.Kt"]]]
            var r = try await client.send(.post, "/api/v1/flows", json: ["name": "bad", "document": bad])
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["code"] == "invalid_workflow")
            let paths = r.json["error"]?["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
            #expect(paths.contains { $0.hasPrefix("procedures[0]") } && paths.contains { $0.hasPrefix("procedures[1]") })

            r = try await client.send(.post, "/api/v1/flows/validate", json: ["document": bad])
            #expect(r.status == .ok)
            #expect(r.json["valid"] == false)
            r = try await client.send(.post, "/api/v1/flows/validate", json: ["document": Self.document])
            #expect(r.json == ["valid": true, "issues": []])

            r = try await client.send(.post, "/api/v1/flows", json: ["document": Self.document])
            #expect(r.json["error"]?["message"] == "name: a non-empty string is required")
            r = try await client.send(.post, "/api/v1/flows", json: ["name": "x", "document": [1, 2]])
            #expect(r.json["error"]?["message"] == "document: must be an object, not a array")
            r = try await client.send(.post, "/api/v1/flows", body: "[1")
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["code"] == "malformed_json")
            r = try await client.send(.post, "/api/v1/flows", body: "[1]")
            #expect(r.json["error"]?["code"] == "invalid_body")
        }
    }

    @Test("runs: start (202), wait for the end (200), list with filters, detail with steps and logs, re-run")
    func runs() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let document: JSONValue = ["procedures": helloSteps, "variables": ["who": "ops"], "inputs": ["who": ["type": "string"]]]
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": document])

            var r = try await client.send(.post, "/api/v1/flows/hello/runs?wait=30", json: ["inputs": ["who": "api"]])
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.json["status"] == "success")
            #expect(r.json["trigger"] == "api")
            #expect(r.json["trigger_by"] == "apikey:admin-key")
            #expect(r.json["steps"]?[0]?["result"] == ["status": 0, "msg": "ret from hi api"])
            #expect(r.json["steps"]?[0]?["logs"]?.arrayValue?.isEmpty == false)
            let first = try #require(r.json["run_id"]?.intValue)

            r = try await client.send(.post, "/api/v1/flows/hello/runs")
            #expect(r.status == .accepted)
            let second = try #require(r.json["run_id"]?.intValue)
            #expect(r.headers[.location] == "/api/v1/runs/\(second)")
            #expect(try await harness.server.runs.waitForEnd(runID: Int64(second), timeout: .seconds(30)))

            r = try await client.send(.post, "/api/v1/runs/\(first)/rerun?wait=30")
            #expect(r.json["status"] == "success")
            #expect(r.json["inputs"] == ["who": "api"])

            r = try await client.send(.get, "/api/v1/runs?flow=hello&status=success&limit=2")
            #expect(r.json["items"]?.arrayValue?.count == 2)
            #expect(r.json["next_offset"] == 2)
            r = try await client.send(.get, "/api/v1/runs?status=bogus")
            #expect(r.status == .badRequest)
            r = try await client.send(.get, "/api/v1/runs/\(second)")
            #expect(r.json["steps"]?.arrayValue?.count == 1)
            r = try await client.send(.get, "/api/v1/runs/999999")
            #expect(r.status == .notFound)
            r = try await client.send(.post, "/api/v1/runs/\(first)/cancel")
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["code"] == "run_ended")

            r = try await client.send(.post, "/api/v1/flows/hello/runs", json: ["inputs": ["who": 5]])
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["code"] == "invalid_inputs")
        }
    }

    @Test("a running run can be cancelled and is recorded as cancelled")
    func cancel() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let slow: JSONValue = ["procedures": [["name": "wait", "mod": "common.Bash", "method": "run", "params": ["cmd": "sleep 30"]]]]
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "slow", "document": slow])
            var r = try await client.send(.post, "/api/v1/flows/slow/runs")
            let id = try #require(r.json["run_id"]?.intValue)
            r = try await client.send(.post, "/api/v1/runs/\(id)/cancel")
            #expect(r.status == .ok)
            #expect(r.json["status"] == "cancelled")
        }
    }

    @Test("modules, API keys, settings, logs and the audit log")
    func administration() async throws {
        let harness = try await ServerHarness.make()
        let viewer = try await harness.userKey("viewer")
        try await harness.test { client in
            var r = try await client.send(.get, "/api/v1/modules")
            #expect(r.json["items"]?.arrayValue?.contains { $0["name"] == "common.Kt" } == true)
            r = try await client.send(.get, "/api/v1/modules/common.Bash")
            #expect(r.json["methods"]?[0]?["name"] == "run")
            r = try await client.send(.get, "/api/v1/modules/common.Nope")
            #expect(r.status == .notFound)

            r = try await client.send(.post, "/api/v1/apikeys", json: ["name": "ci"])
            #expect(r.status == .created)
            let key = try #require(r.json["key"]?.stringValue)
            r = try await client.send(.get, "/api/v1/auth/me", as: .key(key))
            #expect(r.json["actor"] == "apikey:ci")
            r = try await client.send(.post, "/api/v1/apikeys", json: ["name": "ci"])
            #expect(r.status == .conflict)
            r = try await client.send(.post, "/api/v1/apikeys/ci/disable")
            #expect(r.json["enabled"] == false)
            r = try await client.send(.get, "/api/v1/auth/me", as: .key(key))
            #expect(r.status == .unauthorized)
            r = try await client.send(.get, "/api/v1/apikeys")
            #expect(r.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() == ["admin-key", "ci", "viewer-key"])
            #expect(r.text.contains(key) == false)
            r = try await client.send(.delete, "/api/v1/apikeys/ci")
            #expect(r.status == .noContent)
            r = try await client.send(.get, "/api/v1/apikeys", as: .key(viewer))
            #expect(r.status == .forbidden)

            r = try await client.send(.put, "/api/v1/settings/timezone", json: ["value": "Europe/Berlin"])
            #expect(r.json["timezone"] == ["value": "Europe/Berlin", "source": "stored", "description": .string(SystemSetting.timezone.summary)])
            r = try await client.send(.put, "/api/v1/settings/timezone", json: ["value": "Mars/Base"])
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["details"]?[0]?["path"] == "value")
            r = try await client.send(.put, "/api/v1/settings/colour", json: ["value": "blue"])
            #expect(r.status == .notFound)
            r = try await client.send(.delete, "/api/v1/settings/timezone")
            #expect(r.json["timezone"]?["source"] == "configuration")

            try await harness.store.appendLogs([
                LogEntry(time: harness.clock.now, level: .error, logger: "workflow.test", message: "disk full")
            ])
            r = try await client.send(.get, "/api/v1/logs?level=error")
            #expect(r.json["items"]?.arrayValue?.map { $0["message"] } == ["disk full"])
            r = try await client.send(.get, "/api/v1/logs?level=loud")
            #expect(r.status == .badRequest)

            r = try await client.send(.get, "/api/v1/audit?target_type=system_setting")
            #expect(r.json["items"]?.arrayValue?.map { $0["action"] } == ["delete", "update"])
            #expect(r.json["items"]?[1]?["detail"] == ["from": .null, "to": "Europe/Berlin"])
            r = try await client.send(.get, "/api/v1/audit", as: .key(viewer))
            #expect(r.status == .forbidden)
        }
    }
}

@Suite("API v1: the run queue")
struct QueueAPITests {
    @Test("run settings: a limit and an interrupt policy per workflow, checked")
    func runSettings() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": V1APITests.document])
            var r = try await client.send(.put, "/api/v1/flows/hello/run-settings", json: ["max_concurrent_runs": 2, "on_interrupt": "retry"])
            #expect(r.status == .ok)
            #expect(r.json["max_concurrent_runs"] == 2)
            #expect(r.json["on_interrupt"] == "retry")
            r = try await client.send(.put, "/api/v1/flows/hello/run-settings", json: ["max_concurrent_runs": .null])
            #expect(r.json["max_concurrent_runs"] == .null)
            #expect(r.json["on_interrupt"] == "retry")
            r = try await client.send(.put, "/api/v1/flows/hello/run-settings", json: ["max_concurrent_runs": 0])
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?["details"]?[0]?["path"] == "max_concurrent_runs")
            r = try await client.send(.put, "/api/v1/flows/hello/run-settings", json: ["on_interrupt": "pray"])
            #expect(r.json["error"]?["details"]?[0]?["path"] == "on_interrupt")
            r = try await client.send(.put, "/api/v1/flows/nope/run-settings", json: [:])
            #expect(r.status == .notFound)
        }
    }

    @Test("a queued run is cancelled at once; the limit holds a workflow's runs back in the queue")
    func cancelQueued() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let slow: JSONValue = ["procedures": [["name": "wait", "mod": "common.Bash", "method": "run", "params": ["cmd": "sleep 30"]]]]
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "slow", "document": slow])
            _ = try await client.send(.put, "/api/v1/flows/slow/run-settings", json: ["max_concurrent_runs": 1])
            var r = try await client.send(.post, "/api/v1/flows/slow/runs")
            let first = try #require(r.json["run_id"]?.intValue)
            r = try await client.send(.post, "/api/v1/flows/slow/runs")
            let second = try #require(r.json["run_id"]?.intValue)
            #expect(r.json["status"] == "queued")

            // The second run waits behind the limit however often the workers look.
            r = try await client.send(.get, "/api/v1/runs/\(second)")
            #expect(r.json["status"] == "queued")
            r = try await client.send(.post, "/api/v1/runs/\(second)/cancel")
            #expect(r.status == .ok)
            #expect(r.json["status"] == "cancelled")
            r = try await client.send(.post, "/api/v1/runs/\(first)/cancel")
            #expect(r.json["status"] == "cancelled")
        }
    }
}

@Suite("API v1: re-running")
struct RerunTests {
    @Test("re-run from the failed step keeps the steps that succeeded and runs the rest again")
    func fromFailed() async throws {
        let harness = try await ServerHarness.make()
        let marker = harness.directory.appendingPathComponent("ready").path
        try await harness.test { client in
            let document: JSONValue = [
                "procedures": [
                    ["name": "stamp", "mod": "common.Bash", "method": "run", "params": ["cmd": "date +%s%N"]],
                    ["name": "check", "mod": "common.Bash", "method": "run", "params": ["cmd": .string("test -f \(marker)")]],
                    ["name": "report", "mod": "common.Kt", "method": "prt1", "params": ["msg": "${stamp.stdout}"]],
                ]
            ]
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "flaky", "document": document])
            var r = try await client.send(.post, "/api/v1/flows/flaky/runs?wait=30")
            #expect(r.json["status"] == "failed")
            let failed = try #require(r.json["run_id"]?.intValue)
            let stamp = try #require(r.json["steps"]?[0]?["result"]?["stdout"])

            r = try await client.send(.post, "/api/v1/runs/\(failed)/rerun?from=start&wait=30")
            #expect(r.json["status"] == "failed")
            #expect(r.json["steps"]?[0]?["result"]?["stdout"] != stamp)

            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            r = try await client.send(.post, "/api/v1/runs/\(failed)/rerun?from=failed&wait=30")
            #expect(r.json["status"] == "success", "\(r.text)")
            #expect(r.json["steps"]?[0]?["result"]?["stdout"] == stamp)
            #expect(r.json["steps"]?[2]?["result"]?["msg"] == .string("ret from \(stamp.stringValue ?? "")"))
            let resumed = try #require(r.json["run_id"]?.intValue)

            r = try await client.send(.post, "/api/v1/runs/\(resumed)/rerun?from=failed")
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["code"] == "not_resumable")
            r = try await client.send(.post, "/api/v1/runs/\(failed)/rerun?from=middle")
            #expect(r.status == .badRequest)
        }
    }
}

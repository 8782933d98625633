import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("API v1: schedules", .timeLimit(.minutes(2)))
struct SchedulesAPITests {
    static let document: JSONValue = ["procedures": helloSteps, "variables": ["who": "ops"]]
    static let nightly: JSONValue = ["name": "nightly", "cron": "0 2 * * *", "timezone": "Europe/Berlin"]

    /// A harness with the workflows `etl` and `report`.
    static func harness() async throws -> ServerHarness {
        let harness = try await ServerHarness.make()
        for name in ["etl", "report"] {
            _ = try await harness.store.createFlow(name: name, document: try #require(document.objectValue), author: nil)
        }
        return harness
    }

    @Test("create, list, show, change, rename and delete a schedule, each change audited")
    func lifecycle() async throws {
        let harness = try await Self.harness()
        try await harness.test { client in
            // The server's clock is 2026-09-21T14:13:20Z; 02:00 in Berlin is 00:00 UTC in September.
            var r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: Self.nightly)
            #expect(r.status == .created)
            #expect(r.json["flow"] == "etl")
            #expect(r.json["name"] == "nightly")
            #expect(r.json["cron"] == "0 2 * * *")
            #expect(r.json["timezone"] == "Europe/Berlin")
            #expect(r.json["enabled"] == true)
            #expect(r.json["overlap"] == "skip")
            #expect(r.json["misfire"] == "run_once")
            #expect(r.json["last_planned"] == "2026-09-21T14:13:20.000Z")
            #expect(r.json["created_by"] == "apikey:admin-key")
            #expect(
                r.json["next_fire_times"]
                    == [
                        "2026-09-22T00:00:00.000Z", "2026-09-23T00:00:00.000Z", "2026-09-24T00:00:00.000Z",
                        "2026-09-25T00:00:00.000Z", "2026-09-26T00:00:00.000Z",
                    ])

            r = try await client.send(
                .post, "/api/v1/flows/report/schedules",
                json: ["name": "weekly", "cron": "@weekly", "enabled": false, "overlap": "queue", "misfire": "skip"])
            #expect(r.status == .created)
            #expect(r.json["timezone"] == "GMT", "the configured time zone is the default")
            #expect(r.json["cron_normalized"] == "0 0 * * 0")
            #expect(r.json["next_fire_times"] == [], "a disabled schedule does not fire")

            r = try await client.send(.get, "/api/v1/flows/etl/schedules")
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["nightly"])
            r = try await client.send(.get, "/api/v1/schedules")
            #expect(r.json["items"]?.arrayValue?.map { $0["flow"] } == ["etl", "report"])
            r = try await client.send(.get, "/api/v1/schedules?limit=1&offset=1")
            #expect(r.json["items"]?.arrayValue?.map { $0["name"] } == ["weekly"])
            #expect(r.json["next_offset"] == .null)
            r = try await client.send(.get, "/api/v1/flows/etl/schedules/nightly")
            #expect(r.json["name"] == "nightly")

            r = try await client.send(
                .put, "/api/v1/flows/etl/schedules/nightly", json: ["name": "early", "cron": "30 5 * * MON-FRI", "overlap": "allow"])
            #expect(r.status == .ok)
            #expect(r.json["name"] == "early")
            #expect(r.json["cron_normalized"] == "30 5 * * 1-5")
            #expect(r.json["timezone"] == "Europe/Berlin", "fields left out are kept")
            #expect(r.json["overlap"] == "allow")
            #expect(r.json["next_fire_times"]?[0] == "2026-09-22T03:30:00.000Z")
            r = try await client.send(.get, "/api/v1/flows/etl/schedules/nightly")
            #expect(r.status == .notFound)

            r = try await client.send(.delete, "/api/v1/flows/etl/schedules/early")
            #expect(r.status == .noContent)
            r = try await client.send(.get, "/api/v1/flows/etl/schedules")
            #expect(r.json["items"] == [])

            r = try await client.send(.get, "/api/v1/audit?target_type=schedule")
            let entries = r.json["items"]?.arrayValue ?? []
            #expect(entries.map { $0["action"] } == ["delete", "update", "create", "create"])
            #expect(entries.map { $0["target_name"] } == ["etl/early", "etl/nightly", "report/weekly", "etl/nightly"])
            #expect(entries[1]["detail"]?["new_name"] == "early")
            #expect(entries[3]["detail"]?["cron"] == "0 2 * * *")
        }
    }

    @Test("a stored time zone setting is the default for new schedules")
    func defaultTimeZone() async throws {
        let harness = try await Self.harness()
        try await harness.test { client in
            var r = try await client.send(.put, "/api/v1/settings/timezone", json: ["value": "Asia/Kolkata"])
            #expect(r.status == .ok)
            r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: ["name": "morning", "cron": "0 9 * * *"])
            #expect(r.json["timezone"] == "Asia/Kolkata")
            #expect(r.json["next_fire_times"]?[0] == "2026-09-22T03:30:00.000Z")
        }
    }

    @Test("a wrong cron expression, time zone, policy, name or body is a 400 naming the field")
    func invalid() async throws {
        let harness = try await Self.harness()
        try await harness.test { client in
            func expectInvalid(_ body: JSONValue, field: String, code: String = "invalid_field", _ message: String) async throws {
                let r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: body)
                #expect(r.status == .badRequest)
                #expect(r.json["error"]?["code"] == .string(code))
                if code == "invalid_field" {
                    #expect(r.json["error"]?["details"]?[0]?["path"] == .string(field))
                }
                #expect(r.json["error"]?["message"]?.stringValue?.contains(message) == true, "\(r.text)")
            }
            try await expectInvalid(
                ["name": "x", "cron": "0 25 * * MON-FOO"], field: "cron",
                "cron: invalid cron expression \"0 25 * * MON-FOO\": field 'hour': 25 is out of range 0–23; field 'day-of-week'")
            try await expectInvalid(["name": "x", "cron": "@reboot"], field: "cron", "unknown macro '@reboot'")
            try await expectInvalid(["name": "x", "cron": "* * * * *", "timezone": "Mars/Base"], field: "timezone", "'Mars/Base' is not a known time zone")
            try await expectInvalid(["name": "x", "cron": "* * * * *", "overlap": "sometimes"], field: "overlap", "'sometimes' is not one of skip, queue, allow")
            try await expectInvalid(["name": "x", "cron": "* * * * *", "misfire": "later"], field: "misfire", "'later' is not one of run_once, skip")
            try await expectInvalid(["name": "x", "cron": "* * * * *", "enabled": "yes"], field: "enabled", "must be true or false")
            try await expectInvalid(["cron": "* * * * *"], field: "name", "a non-empty string is required")
            try await expectInvalid(["name": "x"], field: "cron", "a non-empty string is required")
            try await expectInvalid(["name": "a b", "cron": "* * * * *"], field: "name", code: "invalid_name", "invalid schedule name 'a b'")

            let r = try await client.send(.put, "/api/v1/flows/etl/schedules/none", json: ["cron": "x"])
            #expect(r.status == .notFound, "an unknown schedule is a 404 before its body is checked")
        }
    }

    @Test("a taken name is a 409; unknown workflows and schedules are 404s")
    func conflictsAndMissing() async throws {
        let harness = try await Self.harness()
        try await harness.test { client in
            var r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: Self.nightly)
            #expect(r.status == .created)
            r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: Self.nightly)
            #expect(r.status == .conflict)
            #expect(r.json["error"]?["message"] == "workflow 'etl' already has a schedule named 'nightly'")
            r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: ["name": "other", "cron": "@daily"])
            #expect(r.status == .created)
            r = try await client.send(.put, "/api/v1/flows/etl/schedules/other", json: ["name": "nightly"])
            #expect(r.status == .conflict)
            r = try await client.send(.post, "/api/v1/flows/report/schedules", json: Self.nightly)
            #expect(r.status == .created, "names are unique per workflow")

            for (method, path) in [
                (HTTPRequest.Method.get, "/api/v1/flows/missing/schedules"), (.post, "/api/v1/flows/missing/schedules"),
                (.get, "/api/v1/flows/missing/schedules/nightly"), (.get, "/api/v1/flows/etl/schedules/missing"),
                (.put, "/api/v1/flows/etl/schedules/missing"), (.delete, "/api/v1/flows/etl/schedules/missing"),
            ] {
                r = try await client.send(method, path, json: Self.nightly)
                #expect(r.status == .notFound, "\(method) \(path)")
            }
            r = try await client.send(.get, "/api/v1/flows/etl/schedules/missing")
            #expect(r.json["error"]?["message"] == "workflow 'etl' has no schedule 'missing'")
        }
    }

    @Test("reading needs credentials; changing needs the write permission")
    func permissions() async throws {
        let harness = try await Self.harness()
        let reader = try await harness.userKey("reader")
        try await harness.test { client in
            var r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: Self.nightly)
            #expect(r.status == .created)
            for (method, path) in [
                (HTTPRequest.Method.get, "/api/v1/schedules"), (.get, "/api/v1/flows/etl/schedules"),
                (.post, "/api/v1/flows/etl/schedules"), (.get, "/api/v1/flows/etl/schedules/nightly"),
                (.put, "/api/v1/flows/etl/schedules/nightly"), (.delete, "/api/v1/flows/etl/schedules/nightly"),
            ] {
                r = try await client.send(method, path, as: .nobody, json: Self.nightly)
                #expect(r.status == .unauthorized, "\(method) \(path)")
                r = try await client.send(method, path, as: .key(reader), json: ["name": "mine", "cron": "@daily"])
                #expect(r.status == (method == .get ? .ok : .forbidden), "\(method) \(path)")
            }
        }
    }

    @Test("a change through the API wakes the scheduler")
    func wakesTheScheduler() async throws {
        let harness = try await Self.harness()
        try await harness.test { client in
            let r = try await client.send(.post, "/api/v1/flows/etl/schedules", json: Self.nightly)
            #expect(r.status == .created)
            // Returns at once only because the change left a wake-up signal.
            await harness.server.scheduler.wakeUp.wait(atMost: .seconds(3_600), on: ManualClock())
        }
    }
}

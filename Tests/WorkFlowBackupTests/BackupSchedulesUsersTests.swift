import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore
import ZIPFoundation

@testable import WorkFlowBackup

@Suite("backups of schedules and users")
struct BackupSchedulesUsersTests {
    /// A bcrypt hash of "correct horse" (cost 4), as the store would hold it.
    static let aliceHash = "$2b$04$Sx8pD1Fq3oVJf0QKxI0pYeC7Yw0WwPq2b7H1n2H0r6K1m3W0W4d2a"

    /// A store with a workflow, two schedules and two users.
    static func fill(_ store: SQLStore) async throws {
        _ = try await store.createFlow(name: "hello", document: greetFlow, author: "alice", comment: nil)
        _ = try await store.createSchedule(
            flowName: "hello", name: "nightly", settings: ScheduleSettings(cron: "0 2 * * *", timeZone: "Europe/Berlin"), author: "alice",
            now: TestClock.start)
        _ = try await store.createSchedule(
            flowName: "hello", name: "weekdays",
            settings: ScheduleSettings(cron: "30 8 * * MON-FRI", timeZone: "UTC", enabled: false, overlap: .queue, misfire: .skip),
            author: "alice", now: TestClock.start)
        _ = try await store.createUser(username: "alice", passwordHash: aliceHash, isAdmin: true)
        _ = try await store.setProfile(username: "alice", displayName: "Alice Liddell", email: "alice@example.com")
        _ = try await store.createUser(username: "bob", passwordHash: aliceHash, isAdmin: false)
        try await store.setUserEnabled(username: "bob", false)
    }

    static func entry(_ data: Data, _ path: String) throws -> JSONValue {
        let archive = try Archive(data: data, accessMode: .read)
        let entry = try #require(archive[path])
        var bytes = Data()
        _ = try archive.extract(entry) { bytes.append($0) }
        return try JSONParser.parse(String(decoding: bytes, as: UTF8.self))
    }

    @Test("schedules and users come back elsewhere; users without their password unless the hashes were asked for")
    func roundTrip() async throws {
        let (plain, withHashes) = try await BackupHarness.with { source in
            try await Self.fill(source.store)
            let plain = try await source.writer.write(createdBy: "tester", at: TestClock.start)
            let withHashes = try await source.writer(includePasswordHashes: true).write(createdBy: "tester", at: TestClock.start)
            #expect(plain.scheduleCount == 2)
            #expect(plain.userCount == 2)
            #expect(plain.manifest.extraSections == [.versions: 1, .schedules: 1, .users: 1])
            return (plain.data, withHashes.data)
        }
        let users = try Self.entry(plain, "extra/users.json")
        #expect(
            users == [
                "users": [
                    [
                        "username": "alice", "is_admin": true, "enabled": true, "display_name": "Alice Liddell",
                        "email": "alice@example.com",
                    ],
                    ["username": "bob", "is_admin": false, "enabled": false],
                ]
            ])
        #expect(try Self.entry(withHashes, "extra/users.json")["users"]?[0]?["password_hash"] == .string(Self.aliceHash))
        #expect(
            try Self.entry(plain, "extra/schedules.json")["schedules"]?[1]
                == [
                    "flow_name": "hello", "name": "weekdays", "cron": "30 8 * * MON-FRI", "timezone": "UTC", "enabled": false,
                    "overlap": "queue", "misfire": "skip",
                ])

        try await BackupHarness.with { target in
            let result = try await target.restore(plain)
            #expect(result.failures.isEmpty)
            #expect(result.plan.items(.schedule, .create).map(\.name) == ["hello/nightly", "hello/weekdays"])
            #expect(result.plan.items(.user, .create).map(\.name) == ["alice", "bob"])
            let schedules = try await target.store.listSchedules(flowName: "hello")
            #expect(schedules.map(\.name) == ["nightly", "weekdays"])
            #expect(schedules.last?.settings == ScheduleSettings(cron: "30 8 * * MON-FRI", timeZone: "UTC", enabled: false, overlap: .queue, misfire: .skip))
            #expect(schedules.first?.createdBy == "tester")
            let alice = try #require(try await target.store.credentials(username: "alice"))
            #expect(alice.user.isAdmin)
            #expect(alice.passwordHash == BackupRestorer.noPassword)
            #expect(alice.user.displayName == "Alice Liddell" && alice.user.email == "alice@example.com")
            #expect(try await target.store.user(named: "bob")?.enabled == false)

            // Again: nothing new; a schedule changed since takes the backup's settings back.
            _ = try await target.store.updateSchedule(
                flowName: "hello", name: "nightly", newName: nil, settings: ScheduleSettings(cron: "0 3 * * *", timeZone: "UTC"),
                author: "carol", now: TestClock.start)
            let again = try await target.restore(plain)
            #expect(again.failures.isEmpty)
            #expect(again.plan.items(.schedule, .update).map(\.name) == ["hello/nightly"])
            #expect(again.plan.items(.schedule, .unchanged).map(\.name) == ["hello/weekdays"])
            #expect(again.plan.items(.user, .unchanged).map(\.detail) == ["exists; left as it is", "exists; left as it is"])
            #expect(try await target.store.schedule(flowName: "hello", name: "nightly").settings.cron == "0 2 * * *")
        }

        try await BackupHarness.with { target in
            // An existing user keeps their password even when the backup holds another.
            _ = try await target.store.createUser(username: "bob", passwordHash: "$2b$04$" + String(repeating: "b", count: 53), isAdmin: true)
            let result = try await target.restore(withHashes)
            #expect(result.failures.isEmpty)
            #expect(try await target.store.credentials(username: "alice")?.passwordHash == Self.aliceHash)
            let bob = try #require(try await target.store.credentials(username: "bob"))
            #expect(bob.user.isAdmin && bob.user.enabled)
            #expect(bob.passwordHash == "$2b$04$" + String(repeating: "b", count: 53))
        }
    }

    @Test("bad schedules and users are refused with the entry, the index and the field")
    func refused() async throws {
        let manifest =
            #"{"created_at": "2026-02-25T10:00:00Z", "created_by": "api", "sections": ["workflows"], "extra_sections": {"schedules": 1, "users": 1}}"#
        let schedules = #"""
            {"schedules": [
                {"flow_name": "daily_report", "name": "ok", "cron": "0 2 * * *", "timezone": "UTC"},
                {"flow_name": "daily_report", "name": "bad-cron", "cron": "61 * * * *", "timezone": "UTC"},
                {"flow_name": "daily_report", "name": "bad-zone", "cron": "0 2 * * *", "timezone": "Mars/Olympus"},
                {"flow_name": "elsewhere", "name": "x", "cron": "0 2 * * *", "timezone": "UTC"},
                {"flow_name": "daily_report", "name": "ok", "cron": "0 3 * * *", "timezone": "UTC"},
                {"flow_name": "daily_report", "name": "policy", "cron": "0 3 * * *", "timezone": "UTC", "overlap": "sometimes"}
            ]}
            """#
        let users = #"""
            {"users": [
                {"username": "alice", "is_admin": true, "enabled": true},
                {"username": "bad name", "is_admin": false, "enabled": true},
                {"username": "alice", "is_admin": false, "enabled": true},
                {"username": "carol", "is_admin": "yes", "enabled": true},
                {"username": "dave", "is_admin": false, "enabled": true, "password_hash": "plain-text"},
                {"username": "erin", "is_admin": true, "enabled": true, "password_hash": "$2b$31$Sx8pD1Fq3oVJf0QKxI0pYeC7Yw0WwPq2b7H1n2H0r6K1m3W0W4d2a"},
                {"username": "fay", "is_admin": false, "enabled": true, "email": "not-an-address"}
            ]}
            """#
        let problems = try await BackupRejectionTests.refuse(
            BackupRejectionTests.zip([("extra/schedules.json", schedules), ("extra/users.json", users)], manifest: manifest))
        let messages = problems.map(\.description)
        #expect(messages.count == 11, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("extra/users.json: users[6]: invalid e-mail address") })
        #expect(messages.contains { $0.hasPrefix("extra/schedules.json: schedules[1].cron: ") })
        #expect(messages.contains { $0.hasPrefix("extra/schedules.json: schedules[2].timezone: 'Mars/Olympus' is not a known time zone") })
        #expect(messages.contains("extra/schedules.json: schedules[3].flow_name: workflow 'elsewhere' is not in the backup"))
        #expect(messages.contains("extra/schedules.json: schedules[4]: workflow 'daily_report' has two schedules named 'ok'"))
        #expect(messages.contains { $0.hasPrefix("extra/schedules.json: schedules[5].overlap: 'sometimes' is not one of ") })
        #expect(messages.contains { $0.hasPrefix("extra/users.json: users[1].username: ") })
        #expect(messages.contains("extra/users.json: users[2].username: 'alice' appears twice"))
        #expect(messages.contains("extra/users.json: users[3]: is_admin and enabled must be true or false"))
        #expect(messages.contains("extra/users.json: users[4].password_hash: expected a bcrypt hash ($2b$ with a cost from 04 to 16), or none"))
        // A crafted cost of 31 would make each sign-in attempt of that user take about a day.
        #expect(messages.contains("extra/users.json: users[5].password_hash: expected a bcrypt hash ($2b$ with a cost from 04 to 16), or none"))
    }
}

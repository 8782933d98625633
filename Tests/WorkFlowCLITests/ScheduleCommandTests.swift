import Foundation
import Testing
import WorkFlowEngine

@testable import WorkFlowCLI

@Suite("workflow schedule")
struct ScheduleCommandTests {
    @Test("add, list, disable, enable and remove a schedule")
    func lifecycle() async throws {
        let home = try TempHome()
        let flow = try home.file("etl.json", helloFlow)
        #expect(await home.run(["flow", "create", "etl", flow]).code == 0)

        var result = await home.run(["schedule", "add", "etl", "nightly", "0 2 * * *", "--timezone", "Europe/Berlin", "--overlap", "queue"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.hasPrefix("Schedule 'nightly' added to workflow 'etl'; next fire: "))

        result = await home.run(["schedule", "list", "--flow", "etl", "--json"])
        let listed = try JSONParser.parse(result.out)
        #expect(listed[0]?["name"] == "nightly")
        #expect(listed[0]?["timezone"] == "Europe/Berlin")
        #expect(listed[0]?["overlap"] == "queue")
        #expect(listed[0]?["misfire"] == "run_once")
        #expect(listed[0]?["next_fire_times"]?.arrayValue?.count == 5)

        result = await home.run(["schedule", "disable", "etl", "nightly"])
        #expect(result.out == "Schedule 'nightly' of workflow 'etl' is disabled.\n")
        result = await home.run(["schedule", "list"])
        #expect(result.out.contains("nightly"))
        #expect(result.out.contains(" no "))
        result = await home.run(["schedule", "enable", "etl", "nightly", "--json"])
        #expect(try JSONParser.parse(result.out)["enabled"] == true)

        result = await home.run(["schedule", "remove", "etl", "nightly"])
        #expect(result.out == "Schedule 'nightly' removed from workflow 'etl'.\n")
        result = await home.run(["schedule", "list"])
        #expect(result.out == "No schedules.\n")
        result = await home.run(["schedule", "remove", "etl", "nightly"])
        #expect(result.code == 1)
        #expect(result.err == "workflow: workflow 'etl' has no schedule 'nightly'\n")
    }

    @Test("a wrong expression, time zone or policy is a usage error naming the problem")
    func invalid() async throws {
        let home = try TempHome()
        var result = await home.run(["schedule", "add", "etl", "x", "0 25 * * *"])
        #expect(result.code == 2)
        #expect(result.err.contains("cron: invalid cron expression \"0 25 * * *\": field 'hour': 25 is out of range 0–23"))
        result = await home.run(["schedule", "add", "etl", "x", "@daily", "--timezone", "Mars/Base"])
        #expect(result.code == 2)
        #expect(result.err.contains("'Mars/Base' is not a known time zone"))
        result = await home.run(["schedule", "add", "etl", "x", "@daily", "--overlap", "sometimes"])
        #expect(result.code == 2)
        result = await home.run(["schedule", "add", "missing", "x", "@daily"])
        #expect(result.code == 1)
        #expect(result.err == "workflow: workflow 'missing' does not exist\n")
    }
}

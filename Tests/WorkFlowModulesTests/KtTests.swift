import Testing
import WorkFlowEngine
import WorkFlowModules

@Suite("common.Kt")
struct KtTests {
    @Test("prt1 and prt2 echo msg with status the integer 0", arguments: ["prt1", "prt2"])
    func echoes(method: String) async throws {
        let output = try await KtModule().call(method, params: ["msg": "hello"], context: .standalone())
        #expect(output == .success(["status": 0, "msg": "ret from hello"]))
        // Derived equality tells the integer 0 from the boolean false; say so explicitly too.
        #expect(output.result["status"] == .int(0))
        #expect(output.result["status"] != .bool(false))
    }

    @Test("msg is formatted as Python's str() would")
    func pythonFormatting() async throws {
        let cases: [(JSONValue, String)] = [
            (42, "ret from 42"),
            (1.5, "ret from 1.5"),
            (true, "ret from True"),
            (nil, "ret from None"),
            (["a", 1], "ret from ['a', 1]"),
            (["k": "v"], "ret from {'k': 'v'}"),
        ]
        for (msg, expected) in cases {
            let output = try await KtModule().call("prt2", params: ["msg": msg], context: .standalone())
            #expect(output.result == ["status": 0, "msg": .string(expected)])
        }
    }

    @Test("the message is logged at info")
    func logs() async throws {
        let context = StepContext.standalone()
        _ = try await KtModule().call("prt1", params: ["msg": "to the log"], context: context)
        let lines = context.logger.lines
        #expect(lines.map(\.message) == ["to the log"])
        #expect(lines.map(\.level) == [.info])
    }

    @Test("a missing msg throws a ParameterError naming msg")
    func missingMessage() async throws {
        let error = await #expect(throws: ParameterError.self) {
            try await KtModule().call("prt1", params: [:], context: .standalone())
        }
        #expect(error == ParameterError(path: "msg", message: "is required"))
    }

    @Test("an unknown method throws UnknownMethodError listing prt1 and prt2")
    func unknownMethod() async throws {
        let error = await #expect(throws: UnknownMethodError.self) {
            try await KtModule().call("prt3", params: ["msg": "x"], context: .standalone())
        }
        #expect(error?.description == "module common.Kt has no method 'prt3' (methods: prt1, prt2)")
    }

    @Test("the descriptor documents both methods and their required msg")
    func descriptor() {
        let descriptor = KtModule().descriptor
        #expect(descriptor.name == "common.Kt")
        #expect(descriptor.methods.map(\.name) == ["prt1", "prt2"])
        for method in descriptor.methods {
            #expect(method.parameter(named: "msg")?.required == true)
            #expect(method.result == #"{"status": 0, "msg": "ret from <msg>"}"#)
        }
    }
}

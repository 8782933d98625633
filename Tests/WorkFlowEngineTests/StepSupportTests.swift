import Logging
import Testing
import WorkFlowEngine

@Suite("Secret masking")
struct SecretMaskerTests {
    @Test(
        "parameter names that say secret are recognised, whatever their case",
        arguments: [
            ("password", true), ("DB_PASSWORD", true), ("passwd", true), ("pwd", true), ("client_secret", true),
            ("api_token", true), ("api_key", true), ("apiKey", true), ("private_key", true), ("credentials", true),
            ("user", false), ("host", false), ("key", false),
        ])
    func sensitiveNames(name: String, sensitive: Bool) {
        #expect(SecretMasker.isSensitive(name: name) == sensitive)
    }

    @Test("values under secret names are hidden; objects under them are searched member by member")
    func masksByName() {
        let masker = SecretMasker()
        let value: JSONValue = [
            "user": "bob", "password": "pw", "token": 1234, "secret": nil,
            "credentials": ["user": "svc", "password": "x"], "list": [["api_key": "k"]],
        ]
        #expect(
            masker.mask(value) == [
                "user": "bob", "password": "******", "token": "******", "secret": nil,
                "credentials": ["user": "svc", "password": "******"], "list": [["api_key": "******"]],
            ])
    }

    @Test("known secret values are hidden wherever they appear, the longest first")
    func masksValues() {
        let masker = SecretMasker(secrets: ["abc", "abcdef", "xy"])
        #expect(masker.secrets == ["abcdef", "abc"])
        #expect(masker.mask("key=abcdef; short=abc; tiny=xy") == "key=******; short=******; tiny=xy")
        #expect(masker.mask(["note": ["abc!", 3]] as JSONValue) == ["note": ["******!", 3]])
        #expect(SecretMasker().mask("abc") == "abc")
    }

    @Test("RunSecrets collects secrets for every later mask")
    func runSecrets() {
        let secrets = RunSecrets()
        #expect(secrets.masker.mask("hunter22") == "hunter22")
        secrets.add(["hunter22"])
        #expect(secrets.masker.mask("pw hunter22") == "pw ******")
    }
}

@Suite("Step logger")
struct StepLoggerTests {
    @Test("lines keep their level, the clock's time and masked text")
    func lines() {
        let clock = ManualClock()
        let secrets = RunSecrets(SecretMasker(secrets: ["s3cr3t"]))
        let logger = StepLogger(forwardingTo: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock, secrets: secrets)
        logger.debug("one")
        clock.advance(by: .seconds(1))
        logger.warning("two s3cr3t")
        #expect(logger.lines == [
            StepLogLine(time: clock.now().addingTimeInterval(-1), level: .debug, message: "one"),
            StepLogLine(time: clock.now(), level: .warning, message: "two ******"),
        ])
    }

    @Test("past the line limit, lines are counted and one closing line says how many were dropped")
    func lineLimit() {
        let clock = ManualClock()
        let logger = StepLogger(forwardingTo: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock, lineLimit: 2)
        for i in 1...5 { logger.info("line \(i)") }
        #expect(logger.lines.map(\.message) == ["line 1", "line 2", "3 more log line(s) dropped: a step keeps at most 2"])
        #expect(logger.lines.last?.level == .warning)
    }
}

@Suite("Run session")
struct RunSessionTests {
    /// A resource that notes its name in a shared list when closed.
    final class NamedResource: RunResource {
        let name: String
        let log: ProbeObservations

        init(_ name: String, log: ProbeObservations) {
            self.name = name
            self.log = log
        }

        func close() async { log.called(name) }
    }

    @Test("resources are stored by key, replaced and removed; closeAll closes the newest first and forgets them")
    func resources() async {
        let closed = ProbeObservations()
        let session = RunSession()
        session.setResource(NamedResource("ssh", log: closed), for: "ssh")
        session.setResource(NamedResource("db", log: closed), for: "db")
        let replaced = session.setResource(NamedResource("ssh2", log: closed), for: "ssh")
        #expect((replaced as? NamedResource)?.name == "ssh")
        #expect(session.keys == ["ssh", "db"])
        #expect((session.resource("ssh") as? NamedResource)?.name == "ssh2")
        session.setResource(NamedResource("tmp", log: closed), for: "tmp")
        #expect((session.removeResource("tmp") as? NamedResource)?.name == "tmp")
        #expect(session.removeResource("tmp") == nil)
        await session.closeAll()
        #expect(closed.calls == ["db", "ssh2"])
        #expect(session.keys == [])
        await session.closeAll()
        #expect(closed.calls == ["db", "ssh2"])
    }
}

@Suite("Parameter reader")
struct ParameterReaderTests {
    @Test("integers accept numeric text and whole or fractional numbers, as Python's int() does")
    func integers() throws {
        let reader = ParameterReader(["a": 30, "b": "42", "c": 2.9, "d": -2.9, "e": nil])
        #expect(try reader.int("a") == 30)
        #expect(try reader.int("b") == 42)
        #expect(try reader.int("c") == 2)
        #expect(try reader.int("d") == -2)
        #expect(try reader.int("e", default: 7) == 7)
        #expect(try reader.optionalInt("missing") == nil)
    }

    @Test(
        "a value that is not an integer is a ParameterError naming the parameter",
        arguments: [
            (JSONValue("ten"), #"params.n: expected an integer, got string "ten""#),
            (1e300, "params.n: expected an integer, got number 1e+300"),
            (-1e19, "params.n: expected an integer, got number -1e+19"),
            (true, "params.n: expected an integer, got boolean true"),
            ([1], "params.n: expected an integer, got an array of 1 item"),
        ] as [(JSONValue, String)])
    func badIntegers(value: JSONValue, message: String) {
        #expect(throws: ParameterError.self) { try ParameterReader(["n": value]).int("n") }
        do {
            _ = try ParameterReader(["n": value]).int("n")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("required, typed and defaulted reads")
    func typedReads() throws {
        let reader = ParameterReader(["s": "x", "f": "yes", "d": "2.5", "l": "one", "o": ["k": 1], "nul": nil])
        #expect(try reader.string("s") == "x")
        #expect(try reader.string("nul", default: "dflt") == "dflt")
        #expect(try reader.bool("f", default: false))
        #expect(try reader.double("d", default: 0) == 2.5)
        #expect(try reader.optionalStringList("l") == ["one"])
        #expect(try reader.object("o") == ["k": 1])
        #expect(throws: ParameterError(path: "missing", message: "is required")) { try reader.required("missing") }
        #expect(throws: ParameterError(path: "o", message: "expected a string, got an object")) { try reader.string("o") }
        #expect(throws: ParameterError(path: "s", message: #"expected a boolean, got string "x""#)) { try reader.bool("s", default: true) }
        #expect(throws: ParameterError(path: "bad[1]", message: "expected a string, got number 2")) {
            try ParameterReader(["bad": ["a", 2]]).optionalStringList("bad")
        }
    }
}

@Suite("Module registry")
struct ModuleRegistryTests {
    @Test("modules are listed in registration order; registering a name again replaces the module")
    func registration() {
        var registry = ModuleRegistry([ProbeModule(), OtherModule()])
        #expect(registry.names == ["test.Probe", "test.Other"])
        registry.register(ProbeModule())
        #expect(registry.names == ["test.Probe", "test.Other"])
        #expect(registry.descriptors.map(\.name) == ["test.Probe", "test.Other"])
        #expect(registry.module(named: "test.Nope") == nil)
        #expect(registry.module(named: "test.Other")?.descriptor.method(named: "noop")?.result == #"{"status": true}"#)
    }

    @Test("the registry invoker calls a module and explains unknown modules and methods")
    func invoker() async throws {
        let invoker = RegistryInvoker(registry: ModuleRegistry([ProbeModule(), OtherModule()]))
        let context = StepContext.standalone()
        let output = try await invoker.invoke(module: "test.Probe", method: "echo", params: ["a": 1], context: context)
        #expect(output == .success(["status": true, "a": 1]))
        do {
            _ = try await invoker.invoke(module: "test.Nope", method: "x", params: [:], context: context)
            Issue.record("expected an unknown module error")
        } catch {
            #expect(String(describing: error) == "unknown module 'test.Nope' (modules: test.Probe, test.Other)")
        }
        do {
            _ = try await invoker.invoke(module: "test.Other", method: "x", params: [:], context: context)
            Issue.record("expected an unknown method error")
        } catch {
            #expect(String(describing: error) == "module test.Other has no method 'x' (methods: noop)")
        }
    }
}

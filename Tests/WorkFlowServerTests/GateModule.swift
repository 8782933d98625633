import WorkFlowEngine

/// `test.Gate.wait`: holds its step until the test opens the gate, and says when a step arrives.
struct GateModule: Module {
    let arrivals: AsyncStream<Void>.Continuation
    let openings: AsyncStream<Void>

    /// The module, a stream that yields when a step reaches the gate, and the gate's opener.
    static func make() -> (module: GateModule, arrivals: AsyncStream<Void>, open: AsyncStream<Void>.Continuation) {
        let (arrivals, arrived) = AsyncStream<Void>.makeStream()
        let (openings, open) = AsyncStream<Void>.makeStream()
        return (GateModule(arrivals: arrived, openings: openings), arrivals, open)
    }

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "test.Gate", doc: "Holds a step until the test opens it.",
            methods: [MethodDescriptor("wait", doc: "Waits for the gate to open.", parameters: [], result: #"{"status": true}"#)])
    }

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        context.logger.info("at the gate")
        arrivals.yield()
        for await _ in openings { break }
        return .success(["status": true, "opened": true])
    }
}

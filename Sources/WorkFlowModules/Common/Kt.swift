import WorkFlowEngine

/// `common.Kt`: the seed's demo module. Both methods echo `msg` back.
///
/// The result's `status` is the integer `0`, not a boolean, exactly as the seed returned it; the
/// engine only treats the boolean `false` as a failure, so these steps succeed.
public struct KtModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "prt1", "prt2":
            let msg = try ParameterReader(params).required("msg").pythonDescription
            context.logger.info(msg)
            return .success(["status": 0, "msg": .string("ret from \(msg)")])
        default:
            throw UnknownMethodError(
                module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
    }

    static let moduleDescriptor: ModuleDescriptor = {
        let parameters = [ParameterDescriptor("msg", .any, required: true, doc: "The message to log and echo back.")]
        let result = #"{"status": 0, "msg": "ret from <msg>"}"#
        return ModuleDescriptor(
            name: "common.Kt",
            doc: "Demo module: logs a message and echoes it back.",
            methods: [
                MethodDescriptor(
                    "prt1", doc: "Logs msg and returns it prefixed with \"ret from \".", parameters: parameters, result: result),
                MethodDescriptor("prt2", doc: "Same as prt1.", parameters: parameters, result: result),
            ])
    }()
}

import WorkFlowEngine

/// `common.Notify`: sends notifications. (Stand-in for the merge: the full module with `webhook` replaces it.)
public struct NotifyModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "email": return try await sendEmail(params, context: context)
        default:
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: ["email"])
        }
    }

    static let moduleDescriptor = ModuleDescriptor(
        name: "common.Notify", doc: "Sends notifications by email.", methods: [emailMethod])
}

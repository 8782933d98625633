import Foundation
import WorkFlowEngine

/// A custom module: a seed-style Python class, or an executable, served by a module child
/// of the run (``ScriptHost``). Its descriptor comes from introspection.
public struct ScriptModule: Module {
    public let descriptor: ModuleDescriptor
    /// How to start the child that serves it; modules with the same launch share one child per run.
    public let launch: ScriptLaunch

    public init(descriptor: ModuleDescriptor, launch: ScriptLaunch) {
        self.descriptor = descriptor
        self.launch = launch
    }

    /// The run-session key of the child for `launch`.
    static func sessionKey(_ launch: ScriptLaunch) -> String {
        "module-host:" + launch.display
    }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        guard descriptor.method(named: method) != nil else {
            throw UnknownMethodError(module: descriptor.name, method: method, available: descriptor.methods.map(\.name))
        }
        let host = Self.host(for: launch, in: context.session)
        var runContext: JSONObject = [:]
        for name in context.results.keys.sorted() { runContext[name] = context.results[name] }
        if !context.variables.isEmpty { runContext["var"] = .object(context.variables) }
        if let trigger = context.triggeredBy { runContext["__trigger_by__"] = .string(trigger) }
        let reply: ScriptReply
        do {
            reply = try await host.call(
                module: descriptor.name, method: method, params: params, context: runContext, step: context.stepName,
                logger: context.logger)
        } catch let error as ScriptChildError {
            if Task.isCancelled { throw CancellationError() }
            throw ScriptModuleError(message: "\(descriptor.name).\(method): \(error.description)")
        }
        switch reply {
        case .result(let value):
            if case .object(let object) = value, object["status"] == .bool(false) {
                let why = object["error"]?.stringValue ?? object["msg"]?.stringValue ?? object["message"]?.stringValue
                return .failure(value, error: why ?? "\(descriptor.name).\(method) returned status false")
            }
            return .success(value)
        case .failure(let message, let traceback):
            if let traceback, !traceback.isEmpty {
                throw ScriptModuleError(message: "\(message)\n\n\(traceback)")
            }
            throw ScriptModuleError(message: message)
        case .description:
            throw ScriptModuleError(message: "\(descriptor.name).\(method): the module answered a call with a description")
        }
    }

    /// The run's child for `launch`, started on first use.
    static func host(for launch: ScriptLaunch, in session: RunSession) -> ScriptHost {
        let resource = session.resource(sessionKey(launch)) { ScriptHost(launch: launch) }
        // The key is ours; anything else under it would be a programming error.
        return (resource as? ScriptHost) ?? ScriptHost(launch: launch)
    }
}

/// A custom module's failure: the exception and its traceback, or why the child could not answer.
public struct ScriptModuleError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

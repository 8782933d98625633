import Foundation
import Logging
import WorkFlowEngine

/// Executable modules: any program that speaks the module protocol.
public enum ExecutableModules {
    /// Starts the program, sends `{"type": "describe"}` and reads its description, giving up after
    /// `timeout`; the program is stopped afterwards.
    public static func describe(_ launch: ScriptLaunch, name: String, timeout: Duration = .seconds(5)) async throws -> ModuleDescriptor {
        let host = ScriptHost(launch: launch)
        let logger = StepLogger(forwardingTo: Logger(label: "workflow.modules", factory: { _ in SwiftLogNoOpLogHandler() }), clock: SystemClock())
        defer { Task { await host.close() } }
        let reply = try await withThrowingTaskGroup(of: ScriptReply?.self) { group in
            group.addTask { try await host.describe(logger: logger) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        switch reply {
        case .description(let value)?:
            guard let module = value.objectValue else {
                throw ModuleProblem(kind: "describe", message: "\(launch.executable) answered describe without a module object")
            }
            return ModuleInspection.descriptor(named: name, from: module)
        case .failure(let message, _)?:
            throw ModuleProblem(kind: "describe", message: "\(launch.executable) failed to describe itself: \(message)")
        case .result?:
            throw ModuleProblem(kind: "describe", message: "\(launch.executable) answered describe with a result instead of a description")
        case nil:
            throw ModuleProblem(kind: "describe", message: "\(launch.executable) did not answer describe within \(timeout)")
        }
    }
}

import Foundation
import Logging
import OrderedCollections

/// What a module method receives besides its parameters: who is calling, where to log, the
/// run's shared resources, and a way to call other modules.
public struct StepContext: Sendable {
    /// The run's id when it has one (stored runs); `nil` for in-memory runs.
    public var runID: Int64?
    /// The step's name (for a `foreach` item, the step's name; ``itemIndex`` tells the item).
    public var stepName: String
    /// The index of the item when the step runs inside `foreach`.
    public var itemIndex: Int?
    /// Log lines written here are kept in the step's record and forwarded to the run's logger.
    public var logger: StepLogger
    /// Resources that live as long as the run (connections), closed when it ends.
    public var session: RunSession
    /// Calls another module's method (used by `common.MultiProcess`).
    public var invoker: any ModuleInvoker
    /// The run's clock, for modules that wait.
    public var clock: any EngineClock
    /// Results of the steps that finished before this one started, by step name: what the seed
    /// handed its Python modules as `context` (custom modules still get it).
    public var results: [String: JSONValue]
    /// The workflow's variables after run inputs (`context['var']` in the seed).
    public var variables: JSONObject
    /// Who or what started the run (`context['__trigger_by__']` in the seed).
    public var triggeredBy: String?

    public init(
        runID: Int64? = nil, stepName: String, itemIndex: Int? = nil, logger: StepLogger,
        session: RunSession, invoker: any ModuleInvoker, clock: any EngineClock,
        results: [String: JSONValue] = [:], variables: JSONObject = [:], triggeredBy: String? = nil
    ) {
        self.runID = runID
        self.stepName = stepName
        self.itemIndex = itemIndex
        self.logger = logger
        self.session = session
        self.invoker = invoker
        self.clock = clock
        self.results = results
        self.variables = variables
        self.triggeredBy = triggeredBy
    }
}

/// Calls a module method by name, with the same context rules as a step.
public protocol ModuleInvoker: Sendable {
    func invoke(module: String, method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput
}

/// Calls modules straight from a registry.
public struct RegistryInvoker: ModuleInvoker {
    public let registry: ModuleRegistry

    public init(registry: ModuleRegistry) {
        self.registry = registry
    }

    public func invoke(module: String, method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        guard let target = registry.module(named: module) else {
            throw UnknownModuleError(name: module, available: registry.names)
        }
        guard target.descriptor.method(named: method) != nil else {
            throw UnknownMethodError(module: module, method: method, available: target.descriptor.methods.map(\.name))
        }
        return try await target.call(method, params: params, context: context)
    }
}

/// A module name that is not registered.
public struct UnknownModuleError: Error, CustomStringConvertible {
    public var name: String
    public var available: [String]

    public init(name: String, available: [String]) {
        self.name = name
        self.available = available
    }

    public var description: String {
        "unknown module '\(name)' (modules: \(available.joined(separator: ", ")))"
    }
}

extension StepContext {
    /// A context outside any run: a fresh session, a logger that keeps lines but prints nothing,
    /// and an invoker over `registry`. For tests, tools and one-off module calls.
    public static func standalone(
        stepName: String = "step", registry: ModuleRegistry = ModuleRegistry(), clock: any EngineClock = SystemClock()
    ) -> StepContext {
        let logger = Logger(label: "workflow.step", factory: { _ in SwiftLogNoOpLogHandler() })
        return StepContext(
            stepName: stepName, logger: StepLogger(forwardingTo: logger, clock: clock), session: RunSession(),
            invoker: RegistryInvoker(registry: registry), clock: clock)
    }
}

import Foundation

/// A procedure module: a named group of methods that steps call (`common.Bash.run`).
///
/// Implementations parse their own parameters (``ParameterReader``), return the seed's result
/// shapes, and honour task cancellation: a step timeout or a cancelled run cancels the task that
/// calls ``call(_:params:context:)``.
public protocol Module: Sendable {
    /// What the module offers: its name, documentation and methods.
    var descriptor: ModuleDescriptor { get }

    /// Runs `method` with resolved parameters.
    ///
    /// Throwing fails the step with the error's description. Returning a result whose `status`
    /// is the boolean `false` fails it too; ``ModuleOutput/error`` then says why.
    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput
}

/// What a module method returns: the result the step stores (and later steps reference), and,
/// for a failure result, the message that explains it.
///
/// The seed only logged the reason of a failure; keeping it beside the result lets the run record
/// say what went wrong while the result keeps the seed's exact shape.
public struct ModuleOutput: Sendable, Equatable {
    public var result: JSONValue
    public var error: String?

    public init(result: JSONValue, error: String? = nil) {
        self.result = result
        self.error = error
    }

    /// A result with no failure message.
    public static func success(_ result: JSONValue) -> ModuleOutput { ModuleOutput(result: result) }

    /// A failure result (normally `status: false`) with the message that explains it.
    public static func failure(_ result: JSONValue, error: String) -> ModuleOutput {
        ModuleOutput(result: result, error: error)
    }
}

/// The value types a parameter accepts, for documentation, editors and validation.
public enum ValueType: String, Sendable, Hashable, CaseIterable {
    case string, number, integer, boolean, array, object, any

    /// Whether `value` has this type; integers are numbers too, and `any` accepts everything.
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.any, _): true
        case (.string, .string): true
        case (.number, .int), (.number, .double): true
        case (.integer, _): value.intValue != nil
        case (.boolean, .bool): true
        case (.array, .array): true
        case (.object, .object): true
        default: false
        }
    }
}

/// One parameter of a module method.
public struct ParameterDescriptor: Sendable, Hashable {
    public var name: String
    public var types: [ValueType]
    public var required: Bool
    public var defaultValue: JSONValue?
    public var doc: String

    public init(_ name: String, _ types: [ValueType], required: Bool = false, default defaultValue: JSONValue? = nil, doc: String) {
        self.name = name
        self.types = types
        self.required = required
        self.defaultValue = defaultValue
        self.doc = doc
    }

    public init(_ name: String, _ type: ValueType, required: Bool = false, default defaultValue: JSONValue? = nil, doc: String) {
        self.init(name, [type], required: required, default: defaultValue, doc: doc)
    }

    /// `string`, `string or array`, ...
    public var typeDescription: String {
        types.map(\.rawValue).joined(separator: " or ")
    }
}

/// One method of a module.
public struct MethodDescriptor: Sendable, Hashable {
    public var name: String
    public var doc: String
    public var parameters: [ParameterDescriptor]
    /// The shape of a successful result, e.g. `{"status": true, "data": [...], "count": N}`.
    public var result: String

    public init(_ name: String, doc: String, parameters: [ParameterDescriptor], result: String) {
        self.name = name
        self.doc = doc
        self.parameters = parameters
        self.result = result
    }

    public func parameter(named name: String) -> ParameterDescriptor? {
        parameters.first { $0.name == name }
    }
}

/// A module's name (`category.Name`), documentation and methods.
public struct ModuleDescriptor: Sendable, Hashable {
    public var name: String
    public var doc: String
    public var methods: [MethodDescriptor]
    /// Whether validation holds literal parameter values to the documented types. Custom
    /// modules document types in free text that their Python code does not enforce (the seed
    /// ran `param (str)` with a number), so theirs are advice for editors only.
    public var checksParameterTypes: Bool

    public init(name: String, doc: String, methods: [MethodDescriptor], checksParameterTypes: Bool = true) {
        self.name = name
        self.doc = doc
        self.methods = methods
        self.checksParameterTypes = checksParameterTypes
    }

    public func method(named name: String) -> MethodDescriptor? {
        methods.first { $0.name == name }
    }
}

/// The modules a run can call, by name.
public struct ModuleRegistry: Sendable {
    private var modules: [String: any Module]
    /// Module names in registration order.
    public private(set) var names: [String]

    public init(_ modules: [any Module] = []) {
        self.modules = [:]
        self.names = []
        for module in modules { register(module) }
    }

    /// Adds a module, replacing one registered under the same name.
    public mutating func register(_ module: any Module) {
        let name = module.descriptor.name
        if modules[name] == nil { names.append(name) }
        modules[name] = module
    }

    public func module(named name: String) -> (any Module)? {
        modules[name]
    }

    /// Every module's descriptor, in registration order.
    public var descriptors: [ModuleDescriptor] {
        names.compactMap { modules[$0]?.descriptor }
    }
}

/// Thrown by a module when a method name is not one it has.
public struct UnknownMethodError: Error, CustomStringConvertible {
    public var module: String
    public var method: String
    public var available: [String]

    public init(module: String, method: String, available: [String]) {
        self.module = module
        self.method = method
        self.available = available
    }

    public var description: String {
        "module \(module) has no method '\(method)' (methods: \(available.joined(separator: ", ")))"
    }
}

import Foundation
import WorkFlowEngine

/// Why a module source cannot be used: a syntax error (with line and column), an exception
/// while importing it, no class named like the file, or an inspector that did not answer.
public struct ModuleProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// `syntax`, `import`, `class`, `inspect` or `timeout`.
    public var kind: String
    public var message: String
    public var line: Int?
    public var column: Int?
    /// The source line the problem is on, when known.
    public var text: String?
    public var traceback: String?

    public init(kind: String, message: String, line: Int? = nil, column: Int? = nil, text: String? = nil, traceback: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.text = text
        self.traceback = traceback
    }

    public var description: String {
        var place = ""
        if let line { place = "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": " }
        let what = kind == "syntax" ? "syntax error" : kind == "import" ? "error while importing" : "problem"
        return "\(what) at \(place)\(message)".replacingOccurrences(of: "at : ", with: ": ")
    }
}

/// What introspection says about one Python module source, kept as the JSON the inspector
/// printed (stored with the module) and read from there.
public struct ModuleInspection: Sendable, Hashable {
    /// The inspector's answer: `{"ok": true, "module": {...}}` or `{"ok": false, "kind", "error", ...}`.
    public var json: JSONValue

    public init(json: JSONValue) {
        self.json = json
    }

    public var problem: ModuleProblem? {
        guard json["ok"] != .bool(true) else { return nil }
        return ModuleProblem(
            kind: json["kind"]?.stringValue ?? "inspect", message: json["error"]?.stringValue ?? "the module could not be inspected",
            line: json["line"]?.intValue, column: json["column"]?.intValue, text: json["text"]?.stringValue,
            traceback: json["traceback"]?.stringValue)
    }

    /// The module as the seed's inspector described it: doc, and methods with their parameters.
    public var module: JSONObject? {
        guard json["ok"] == .bool(true) else { return nil }
        return json["module"]?.objectValue
    }

    /// The descriptor the editor and validation use, for the module `qualifiedName`.
    public func descriptor(named qualifiedName: String) -> ModuleDescriptor? {
        guard let module else { return nil }
        return Self.descriptor(named: qualifiedName, from: module)
    }

    /// Reads the inspector's module shape (also what executable modules answer to `describe`).
    public static func descriptor(named qualifiedName: String, from module: JSONObject) -> ModuleDescriptor {
        let methods: [MethodDescriptor] = (module["methods"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue else { return nil }
            let parameters: [ParameterDescriptor] = (entry["params"]?.arrayValue ?? []).compactMap { p in
                guard let pname = p["name"]?.stringValue else { return nil }
                let required = p["required"]?.boolValue ?? false
                return ParameterDescriptor(
                    pname, types(p["type"]?.stringValue), required: required, default: p.objectValue?["default"],
                    doc: p["desc"]?.stringValue ?? p["doc"]?.stringValue ?? "")
            }
            var result = ""
            if let returns = entry["returns"] {
                let type = returns["type"]?.stringValue ?? "", desc = returns["desc"]?.stringValue ?? ""
                result = [type, desc].filter { !$0.isEmpty }.joined(separator: ": ")
            } else if let text = entry["result"]?.stringValue {
                result = text
            }
            let doc = entry["label"]?.stringValue ?? entry["doc"]?.stringValue ?? name
            return MethodDescriptor(name, doc: doc, parameters: parameters, result: result)
        }
        let doc = module["description"]?.stringValue ?? module["doc"]?.stringValue ?? ""
        return ModuleDescriptor(name: qualifiedName, doc: doc, methods: methods, checksParameterTypes: false)
    }

    /// The seed's type words: `string`, `number`, `boolean`, `json` (object or list), `ref` (anything).
    static func types(_ word: String?) -> [ValueType] {
        switch word?.lowercased() {
        case "string", "str": [.string]
        case "number", "int", "integer", "float": [.number]
        case "boolean", "bool": [.boolean]
        case "json", "object", "dict": [.object, .array]
        case "array", "list": [.array]
        default: [.any]
        }
    }
}

/// Runs the inspector in its own `python3` process, so that a module's top-level code (or a
/// crash) cannot touch the server, under a timeout.
public struct ModuleInspector: Sendable {
    public var python: PythonRuntime
    public var timeoutSeconds: Int

    public init(python: PythonRuntime, timeoutSeconds: Int = 20) {
        self.python = python
        self.timeoutSeconds = timeoutSeconds
    }

    /// Inspects `<root>/<category>/<name>.py`; other modules of `root` are importable from it.
    public func inspect(root: URL, category: String, name: String, clock: any EngineClock = SystemClock()) async throws -> ModuleInspection {
        let launch = try python.launch(mode: ["inspect", root.path, category, name], workingDirectory: root.path)
        let command = BashCommand(
            program: .path(launch.executable), arguments: launch.arguments, display: launch.display,
            workingDirectory: launch.workingDirectory, environment: launch.environment.mapValues { Optional($0) },
            timeoutSeconds: timeoutSeconds, maxOutputBytes: 8 << 20)
        switch try await BashProcess.execute(command, clock: clock) {
        case .couldNotStart(let why):
            throw ModuleProblem(kind: "inspect", message: "cannot run the inspector: \(why)")
        case .timedOut:
            return ModuleInspection(json: [
                "ok": false, "kind": "timeout",
                "error": .string("importing the module took longer than \(timeoutSeconds) seconds (top-level code that waits?)"),
            ])
        case .exited(let code, let stdout, let stderr):
            let lines = stdout.text.split(separator: "\n")
            guard let last = lines.last, case .object(let answer)? = try? JSONParser.parse(String(last)) else {
                let said = stderr.text.trimmingCharacters(in: .whitespacesAndNewlines)
                return ModuleInspection(json: [
                    "ok": false, "kind": "inspect",
                    "error": .string("the inspector exited with code \(code) without an answer" + (said.isEmpty ? "" : ": \(said.suffix(2000))")),
                ])
            }
            return ModuleInspection(json: .object(answer))
        }
    }
}

/// Where `python3` and the module host script are.
public struct PythonRuntime: Sendable, Hashable {
    /// The interpreter: a path, or a name looked up in `PATH`.
    public var interpreter: String
    /// The module host script (`workflow_module_host.py`).
    public var hostScript: URL

    public init(interpreter: String = "python3", hostScript: URL) {
        self.interpreter = interpreter
        self.hostScript = hostScript
    }

    /// The host script shipped with WorkFlow (a resource of this module).
    public static var bundledHostScript: URL? {
        Bundle.module.url(forResource: "workflow_module_host", withExtension: "py", subdirectory: "Scripts")
    }

    /// Copies the bundled host script to `folder/host-<hash>.py` (once per content), so runs do not
    /// depend on where the build put its resources, and returns a runtime using it.
    public static func installed(in folder: URL, interpreter: String = "python3") throws -> PythonRuntime {
        guard let bundled = bundledHostScript else {
            throw ModuleProblem(kind: "inspect", message: "the module host script is missing from this build (WorkFlow_WorkFlowModules.resources)")
        }
        let data = try Data(contentsOf: bundled)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let target = folder.appendingPathComponent("host-\(String(hash, radix: 16)).py")
        if !FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let temporary = folder.appendingPathComponent(".host-\(UUID().uuidString).py")
            try data.write(to: temporary)
            // Another process may have installed it meanwhile; either copy is the same.
            if (try? FileManager.default.moveItem(at: temporary, to: target)) == nil {
                try? FileManager.default.removeItem(at: temporary)
            }
        }
        return PythonRuntime(interpreter: interpreter, hostScript: target)
    }

    /// The command that starts the host in `mode` (`serve ROOT` or `inspect ROOT CATEGORY NAME`).
    public func launch(mode: [String], workingDirectory: String) throws -> ScriptLaunch {
        let executable: String
        if interpreter.contains("/") {
            executable = interpreter
        } else if let found = BashProcess.resolve(interpreter, environment: [:]) {
            executable = found
        } else {
            throw ModuleProblem(kind: "inspect", message: "'\(interpreter)' is not in PATH: custom Python modules need Python 3")
        }
        return ScriptLaunch(
            executable: executable, arguments: [hostScript.path] + mode, workingDirectory: workingDirectory,
            environment: ["PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"])
    }
}

import Foundation
import WorkFlowEngine

/// The seed's registry shapes (`/modules/api/registry/`), built from descriptors: categories
/// with label, icon and colour, their modules, and per method a label and a parameter schema
/// keyed by name with the seed's type words.
enum SeedRegistry {
    private static let categoryLooks: [String: (label: String, icon: String, color: String)] = [
        "common": ("Common", "bi-gear", "#0d6efd"),
        "mysql": ("MySQL", "bi-database", "#00758f"),
        "elasticsearchclient": ("Elasticsearch", "bi-search", "#f0bf2a"),
        "prometheus": ("Prometheus", "bi-graph-up", "#e6522c"),
    ]
    private static let moduleLooks: [String: (icon: String, color: String)] = [
        "common.Kt": ("bi-chat-dots", "#6c757d"), "common.Filter": ("bi-funnel", "#0d6efd"), "common.Http": ("bi-globe", "#198754"),
        "common.FileIO": ("bi-file-earmark", "#6f42c1"), "common.Notify": ("bi-bell", "#ffc107"), "common.Ssh": ("bi-terminal", "#20c997"),
        "common.MultiProcess": ("bi-layers", "#e83e8c"), "common.DataTransformer": ("bi-arrow-left-right", "#6c757d"),
        "mysql.MySQL": ("bi-database", "#fd7e14"), "elasticsearchclient.ElasticSearch": ("bi-search", "#00bfb3"),
        "prometheus.Prometheus": ("bi-graph-up", "#dc3545"),
    ]

    static func category(_ name: String) -> (label: String, icon: String, color: String) {
        categoryLooks[name] ?? (name.prefix(1).uppercased() + name.dropFirst(), "bi-puzzle", "#6c757d")
    }

    static func json(_ registry: ModuleRegistry, library: ModuleLibrary) -> JSONValue {
        var categories = JSONObject()
        for descriptor in registry.descriptors.sorted(by: { $0.name < $1.name }) {
            guard let dot = descriptor.name.firstIndex(of: ".") else { continue }
            let categoryName = String(descriptor.name[..<dot])
            let look = category(categoryName)
            var entry = categories[categoryName]?.objectValue
                ?? ["label": .string(look.label), "icon": .string(look.icon), "color": .string(look.color), "modules": .object([:])]
            var members = entry["modules"]?.objectValue ?? [:]
            members[String(descriptor.name[descriptor.name.index(after: dot)...])] = module(descriptor)
            entry["modules"] = .object(members)
            categories[categoryName] = .object(entry)
        }
        return .object(categories)
    }

    static func module(_ descriptor: ModuleDescriptor) -> JSONValue {
        let parts = descriptor.name.split(separator: ".", maxSplits: 1).map(String.init)
        let categoryName = parts.first ?? ""
        let look = moduleLooks[descriptor.name] ?? { let c = category(categoryName); return (c.icon, c.color) }()
        var methods = JSONObject()
        for method in descriptor.methods {
            var params = JSONObject()
            for parameter in method.parameters {
                var schema: JSONObject = [
                    "type": .string(seedType(parameter.types)), "desc": .string(parameter.doc), "required": .bool(parameter.required),
                ]
                if let value = parameter.defaultValue { schema["default"] = value }
                params[parameter.name] = .object(schema)
            }
            var entry: JSONObject = ["label": .string(method.doc.split(separator: "\n").first.map(String.init) ?? method.name), "params": .object(params)]
            if !method.result.isEmpty { entry["returns"] = ["type": "dict", "desc": .string(method.result)] }
            methods[method.name] = .object(entry)
        }
        return [
            "label": .string(parts.last ?? descriptor.name), "description": .string(descriptor.doc.split(separator: "\n").first.map(String.init) ?? ""),
            "mod": .string("mod.\(descriptor.name)"), "icon": .string(look.icon), "color": .string(look.color), "methods": .object(methods),
        ]
    }

    /// Our types in the seed's words: string, number, boolean, json, or ref for anything.
    static func seedType(_ types: [ValueType]) -> String {
        if types.contains(.object) || types.contains(.array) { return "json" }
        switch types.first {
        case .string?: return "string"
        case .number?, .integer?: return "number"
        case .boolean?: return "boolean"
        default: return "ref"
        }
    }

    /// The source a new module starts with, as the seed's "Create module" wrote it.
    static func skeleton(name: String) -> String {
        """
        \"\"\"
        \(name) Workflow Procedure Module
        \"\"\"


        class \(name)(object):
            \"\"\"\(name) procedures.\"\"\"

            def __init__(self, logger):
                self.logger = logger

            def example(self, context, cfgs):
                \"\"\"Example procedure: returns param1.

                Args:
                    param1 (str): The value to return
                    param2 (int): Optional number (default: 0)

                Returns:
                    dict: {"status": true, "data": param1}
                \"\"\"
                self.logger.info("example called with %s", cfgs)
                return {"status": True, "data": cfgs.get("param1")}

        """
    }
}

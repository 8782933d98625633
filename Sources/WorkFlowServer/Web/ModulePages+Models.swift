import Foundation
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

// The view models of the module pages. Templates see stored properties only, and a missing or
// `nil` key makes Mustache look further out, so every row carries its own Bool flags.

/// `/modules/`: every category with its modules, and the forms that add to them.
struct ModuleListPage: Page {
    static let template = "modules"
    var frame: PageFrame
    var categories: [ModuleCategoryGroup]
    /// Every category, for the New module and Upload forms.
    var choices: [ModuleCategoryChoice]
    var summary: String
    var canWrite: Bool
    var forms: ModuleListForms
    /// Executables in the modules folder that do not answer `describe`.
    var brokenExecutables: [ModuleExecutableProblem]
    var hasBrokenExecutables: Bool
}

/// What the list's forms show: which one is open, what was typed, and what was wrong with it.
struct ModuleListForms: Sendable {
    var createOpen = false
    var createError = ""
    var hasCreateError = false
    var createCategoryInvalid = false
    var createNameInvalid = false
    var moduleName = ""
    var newCategory = ""
    var uploadOpen = false
    var uploadError = ""
    var hasUploadError = false
    var uploadCategoryInvalid = false
    var uploadFileInvalid = false
    var uploadNewCategory = ""
    var replace = false
    var categoryOpen = false
    var categoryError = ""
    var hasCategoryError = false
    var categoryName = ""
    /// The category the create and upload forms had chosen.
    var selectedCategory = ""
}

struct ModuleCategoryChoice: Sendable {
    var name: String
    var selected: Bool
}

/// A category's card on the list.
struct ModuleCategoryGroup: Sendable {
    var name: String
    var label: String
    var isCore: Bool
    var modules: [ModuleRow]
    var countText: String
    var isEmpty: Bool
    /// Rename and Delete: stored categories without built-in modules, for callers who may change.
    var canRename: Bool
    var canDelete: Bool
    var renameOpen = false
    var renameValue = ""
    /// Why a rename or a delete of the category was refused.
    var actionError = ""
    var hasActionError = false
    /// The workflows that stopped a rename or a delete.
    var blockers: [WorkflowLink] = []
    var hasBlockers = false
}

/// One module on the list.
struct ModuleRow: Sendable {
    var qualifiedName: String
    var name: String
    var path: String
    var description: String
    var hasDescription: Bool
    var look: ModuleLook
    var methods: [String]
    var methodsText: String
    var isCore: Bool
    var isCustom: Bool
    var isExecutable: Bool
    var modified: String
    var modifiedTitle: String
    var hasModified: Bool
    var version: Int
    var problem: String
    var problemKind: String
    var hasProblem: Bool
    var canEdit: Bool
    /// What the list's filter matches, lowercased.
    var searchText: String
}

/// An icon and a colour, as the seed's inspector gave each module.
struct ModuleLook: Sendable, Hashable {
    /// The symbol's id in `/static/img/modules.svg`.
    var icon: String
    var color: String

    /// The seed's categories and modules (`lib/ModuleInspector.py`); anything else is a puzzle piece.
    static func of(category: String, name: String) -> ModuleLook {
        switch (category, name) {
        case ("common", "Kt"): ModuleLook(icon: "chat", color: "#6c757d")
        case ("common", "Filter"): ModuleLook(icon: "funnel", color: "#0d6efd")
        case ("common", "Http"): ModuleLook(icon: "globe", color: "#198754")
        case ("common", "FileIO"): ModuleLook(icon: "file", color: "#6f42c1")
        case ("common", "Notify"): ModuleLook(icon: "bell", color: "#e0a800")
        case ("common", "Ssh"), ("common", "Bash"): ModuleLook(icon: "terminal", color: "#20c997")
        case ("common", "MultiProcess"): ModuleLook(icon: "layers", color: "#e83e8c")
        case ("common", "DataTransformer"): ModuleLook(icon: "arrows", color: "#6c757d")
        case ("mysql", "MySQL"): ModuleLook(icon: "database", color: "#fd7e14")
        case ("elasticsearchclient", "ElasticSearch"): ModuleLook(icon: "search", color: "#00bfb3")
        case ("prometheus", "Prometheus"): ModuleLook(icon: "graph", color: "#dc3545")
        default:
            switch category {
            case "common": ModuleLook(icon: "gear", color: "#0d6efd")
            case "mysql": ModuleLook(icon: "database", color: "#00758f")
            case "elasticsearchclient": ModuleLook(icon: "search", color: "#f0bf2a")
            case "prometheus": ModuleLook(icon: "graph", color: "#e6522c")
            default: ModuleLook(icon: "puzzle", color: "#6c757d")
            }
        }
    }

    /// The seed's category labels; others capitalised.
    static func label(category: String) -> String {
        switch category {
        case "common": "Common"
        case "mysql": "MySQL"
        case "mongodb": "MongoDB"
        case "kafkaclient": "Kafka"
        case "elasticsearchclient": "Elasticsearch"
        case "prometheus": "Prometheus"
        default: category.prefix(1).uppercased() + category.dropFirst()
        }
    }
}

struct WorkflowLink: Sendable {
    var name: String
    var path: String

    init(_ name: String) {
        self.name = name
        path = WorkflowRow.pathSegment(name)
    }
}

struct ModuleExecutableProblem: Sendable {
    var path: String
    var message: String
}

/// A module's introspection as the module page and the editor's sidebar show it: the doc, what
/// keeps the module from being used, and the methods with their parameters. One template
/// (`module-inspection`) draws it in both places, and the editor gets it anew after a save.
struct ModuleInspectionPanel: Page {
    static let template = "module-inspection"
    var doc: String
    var hasDoc: Bool
    var problem: ModuleProblemView
    var hasProblem: Bool
    var methods: [ModuleMethodView]
    var hasMethods: Bool
    var methodsText: String
    /// Method lines link to the source (the editor and the module page).
    var linksToSource: Bool

    /// From the inspector's stored answer (custom modules).
    static func make(inspection: JSONValue?, problem: ModuleProblem?, linksToSource: Bool) -> ModuleInspectionPanel {
        let module = inspection.flatMap { ModuleInspection(json: $0).module }
        let methods: [ModuleMethodView] = (module?["methods"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue else { return nil }
            let params: [ModuleParamView] = (entry["params"]?.arrayValue ?? []).compactMap { p in
                guard let pname = p["name"]?.stringValue else { return nil }
                let typeText = p["type_text"]?.stringValue ?? p["type"]?.stringValue ?? ""
                return ModuleParamView(
                    name: pname, type: typeText, required: p["required"]?.boolValue ?? false, defaultValue: p.objectValue?["default"],
                    description: p["desc"]?.stringValue ?? p["doc"]?.stringValue ?? "")
            }
            var returns = ""
            if let value = entry["returns"] {
                returns = [value["type"]?.stringValue ?? "", value["desc"]?.stringValue ?? ""].filter { !$0.isEmpty }.joined(separator: ": ")
            }
            return ModuleMethodView(
                name: name, label: entry["label"]?.stringValue ?? name, doc: entry["doc"]?.stringValue ?? "", params: params, returns: returns,
                line: entry["line"]?.intValue)
        }
        let doc = module?["doc"]?.stringValue ?? module?["description"]?.stringValue ?? ""
        return ModuleInspectionPanel(doc: doc, problem: problem, methods: methods, linksToSource: linksToSource)
    }

    /// From a descriptor (built-in modules and executables).
    static func make(descriptor: ModuleDescriptor) -> ModuleInspectionPanel {
        let methods = descriptor.methods.map { method in
            ModuleMethodView(
                name: method.name, label: method.doc, doc: "",
                params: method.parameters.map {
                    ModuleParamView(name: $0.name, type: $0.typeDescription, required: $0.required, defaultValue: $0.defaultValue, description: $0.doc)
                }, returns: method.result, line: nil)
        }
        return ModuleInspectionPanel(doc: descriptor.doc, problem: nil, methods: methods, linksToSource: false)
    }

    init(doc: String, problem: ModuleProblem?, methods: [ModuleMethodView], linksToSource: Bool) {
        self.doc = doc
        hasDoc = !doc.isEmpty
        self.problem = ModuleProblemView(problem)
        hasProblem = problem != nil
        self.methods = methods
        hasMethods = !methods.isEmpty
        methodsText = methods.count == 1 ? "1 method" : "\(methods.count) methods"
        self.linksToSource = linksToSource
        for index in self.methods.indices { self.methods[index].linksToSource = linksToSource }
    }
}

struct ModuleMethodView: Sendable {
    var name: String
    var label: String
    /// The rest of the docstring after its first line (the `Args:` block included), when there is more.
    var details: String
    var hasDetails: Bool
    var params: [ModuleParamView]
    var hasParams: Bool
    var returns: String
    var hasReturns: Bool
    var line: Int
    var hasLine: Bool
    var linksToSource = false

    init(name: String, label: String, doc: String, params: [ModuleParamView], returns: String, line: Int?) {
        self.name = name
        self.label = label
        let rest = doc.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? ""
        details = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        hasDetails = !details.isEmpty
        self.params = params
        hasParams = !params.isEmpty
        self.returns = returns
        hasReturns = !returns.isEmpty
        self.line = line ?? 0
        hasLine = line != nil
    }
}

struct ModuleParamView: Sendable {
    var name: String
    var type: String
    var required: Bool
    var defaultText: String
    var hasDefault: Bool
    var description: String
    var hasDescription: Bool

    init(name: String, type: String, required: Bool, defaultValue: JSONValue?, description: String) {
        self.name = name
        self.type = type
        self.required = required
        if let defaultValue {
            defaultText = JSONWriter.string(from: defaultValue)
            hasDefault = true
        } else {
            defaultText = ""
            hasDefault = false
        }
        self.description = description
        hasDescription = !description.isEmpty
    }
}

/// Why a module cannot be used, with where in the source.
struct ModuleProblemView: Sendable {
    var title: String
    var message: String
    var place: String
    var hasPlace: Bool
    var line: Int
    var column: Int
    var text: String
    var hasText: Bool
    var traceback: String
    var hasTraceback: Bool

    init(_ problem: ModuleProblem?) {
        title =
            switch problem?.kind {
            case "syntax": "Syntax error"
            case "import": "Error while importing"
            case "class": "No module class"
            case "timeout": "Import took too long"
            default: "Cannot be inspected"
            }
        message = problem?.message ?? ""
        line = problem?.line ?? 0
        column = problem?.column ?? 0
        var place = ""
        if let line = problem?.line { place = "line \(line)" + (problem?.column.map { ", column \($0)" } ?? "") }
        self.place = place
        hasPlace = !place.isEmpty
        text = problem?.text ?? ""
        hasText = !(problem?.text ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        traceback = problem?.traceback ?? ""
        hasTraceback = !traceback.isEmpty
    }

    /// One line for a list or a message: `Syntax error at line 3, column 5: invalid syntax`.
    var summary: String {
        "\(title)\(hasPlace ? " at \(place)" : ""): \(message)"
    }
}

/// `/modules/<category>/<Name>/`.
struct ModulePage: Page {
    static let template = "module"
    var frame: PageFrame
    var qualifiedName: String
    var category: String
    var name: String
    var path: String
    var look: ModuleLook
    var description: String
    var hasDescription: Bool
    var kindText: String
    var isCore: Bool
    var isCustom: Bool
    var isExecutable: Bool
    var facts: [ModuleFact]
    var source: String
    var hasSource: Bool
    var inspection: ModuleInspectionPanel
    var usedBy: [WorkflowLink]
    var usedText: String
    var isUsed: Bool
    var canEdit: Bool
}

struct ModuleFact: Sendable {
    var label: String
    var value: String
}

/// `/modules/<category>/<Name>/delete/`: the question, or why the module cannot go.
struct ModuleDeletePage: Page {
    static let template = "module-delete"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var usedBy: [WorkflowLink]
    var isUsed: Bool
    var error: String
    var hasError: Bool
}

/// `/modules/<category>/<Name>/edit/`.
struct ModuleEditorPage: Page {
    static let template = "module-editor"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var version: Int
    var source: String
    var comment: String
    var inspection: ModuleInspectionPanel
    /// A save refused without JavaScript (the form posted as a page).
    var error: String
    var hasError: Bool
    /// Where the syntax error is, for the script to put the cursor there (0: nowhere).
    var errorLine: Int
    var errorColumn: Int
}

struct ModuleVersionListPage: Page {
    static let template = "module-versions"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var rows: [VersionRow]
    var choices: [VersionChoice]
    var canWrite: Bool
}

struct ModuleVersionPage: Page {
    static let template = "module-version"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var number: Int
    var author: String
    var comment: String
    var time: String
    var current: Bool
    var source: String
    var previous: Int?
    var canWrite: Bool
}

struct ModuleVersionDiffPage: Page {
    static let template = "module-version-diff"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var from: Int
    var to: Int
    var rows: [DiffLine]
    var summary: String
}

/// The question behind Restore, for browsers without JavaScript.
struct ModuleRestorePage: Page {
    static let template = "module-restore"
    var frame: PageFrame
    var qualifiedName: String
    var path: String
    var number: Int
    var current: Int
}

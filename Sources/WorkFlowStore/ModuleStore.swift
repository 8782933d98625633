import Foundation
import WorkFlowEngine

/// A custom module's source as stored: the current text, its hash, and what introspection found.
public struct StoredModule: Sendable, Hashable {
    public var id: Int64
    /// The Python package the module lives in (`mod/<category>/`).
    public var category: String
    /// The class name, which is also the file name without `.py`.
    public var name: String
    public var source: String
    /// The SHA-256 of the UTF-8 source, lowercase hex: the key of the module's cache file.
    public var sourceHash: String
    /// What introspection reported for the current source, as JSON (see `ModuleInspection`);
    /// `nil` when nothing was recorded.
    public var inspection: JSONValue?
    /// The number of the newest version.
    public var currentVersion: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String?
    public var updatedBy: String?

    /// `category.Name`, as steps write it in `mod`.
    public var qualifiedName: String { "\(category).\(name)" }

    public init(
        id: Int64, category: String, name: String, source: String, sourceHash: String, inspection: JSONValue?,
        currentVersion: Int, createdAt: Date, updatedAt: Date, createdBy: String?, updatedBy: String?
    ) {
        self.id = id
        self.category = category
        self.name = name
        self.source = source
        self.sourceHash = sourceHash
        self.inspection = inspection
        self.currentVersion = currentVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
        self.updatedBy = updatedBy
    }
}

/// A custom module's source: `<category>/<Name>.py`.
public struct ModuleSource: Sendable, Hashable {
    public var category: String
    public var name: String
    /// The text, with `\n` line ends.
    public var source: String

    public init(category: String, name: String, source: String) {
        self.category = category
        self.name = name
        self.source = source
    }

    /// `category.Name`, as steps call it.
    public var qualifiedName: String { "\(category).\(name)" }
}

/// One saved state of a custom module's source.
public struct ModuleVersion: Sendable, Hashable {
    public var category: String
    public var name: String
    /// 1, 2, 3, ... per module, without gaps.
    public var number: Int
    public var source: String
    public var sourceHash: String
    public var author: String?
    /// Why the version exists: the author's comment, or `restored version N`, `imported from ...`.
    public var comment: String?
    public var createdAt: Date

    public init(
        category: String, name: String, number: Int, source: String, sourceHash: String, author: String?, comment: String?,
        createdAt: Date
    ) {
        self.category = category
        self.name = name
        self.number = number
        self.source = source
        self.sourceHash = sourceHash
        self.author = author
        self.comment = comment
        self.createdAt = createdAt
    }
}

/// A category of custom modules; it may be empty.
public struct ModuleCategory: Sendable, Hashable {
    public var name: String
    public var createdAt: Date
    public var createdBy: String?

    public init(name: String, createdAt: Date, createdBy: String?) {
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// The identity of one module's current source, for cheap change checks across nodes.
public struct ModuleFingerprint: Sendable, Hashable {
    public var category: String
    public var name: String
    public var sourceHash: String
    public var currentVersion: Int

    public init(category: String, name: String, sourceHash: String, currentVersion: Int) {
        self.category = category
        self.name = name
        self.sourceHash = sourceHash
        self.currentVersion = currentVersion
    }
}

/// What a save did.
public enum ModuleSaveOutcome: Sendable, Hashable {
    /// A new module (version 1).
    case created(StoredModule)
    /// A new version of an existing module.
    case updated(StoredModule)
    /// The source was the same as the current version's; nothing was written.
    case unchanged(StoredModule)

    public var module: StoredModule {
        switch self {
        case .created(let m), .updated(let m), .unchanged(let m): m
        }
    }
}

/// Custom module sources with their versions, and their categories.
///
/// Sources live in the database so that every node of a cluster runs the same code; each node
/// writes them to its cache folder, keyed by hash, before a run uses them.
public protocol ModuleStore: Sendable {
    /// Every module, by category then name.
    func modules() async throws(StoreError) -> [StoredModule]
    func module(category: String, name: String) async throws(StoreError) -> StoredModule?
    /// Category, name and hash of every module, by category then name: what a node compares
    /// with its cache to see whether anything changed.
    func moduleFingerprints() async throws(StoreError) -> [ModuleFingerprint]
    /// Creates the module (and its category) at version 1, or, when it exists, saves a new
    /// version if the source differs. `mustBeNew` refuses an existing module.
    func saveModule(
        category: String, name: String, source: String, inspection: JSONValue?, author: String?, comment: String?,
        mustBeNew: Bool
    ) async throws(StoreError) -> ModuleSaveOutcome
    /// Deletes the module and its versions.
    func deleteModule(category: String, name: String) async throws(StoreError)
    /// Versions, newest first.
    func moduleVersions(category: String, name: String) async throws(StoreError) -> [ModuleVersion]
    func moduleVersion(_ number: Int, category: String, name: String) async throws(StoreError) -> ModuleVersion
    /// Makes version `number`'s source current again, as a new version.
    func restoreModuleVersion(
        _ number: Int, category: String, name: String, inspection: JSONValue?, author: String?
    ) async throws(StoreError) -> StoredModule
    /// Every category, including empty ones, by name.
    func moduleCategories() async throws(StoreError) -> [ModuleCategory]
    func createModuleCategory(_ name: String, author: String?) async throws(StoreError) -> ModuleCategory
    /// Renames a category; its modules move with it.
    func renameModuleCategory(_ name: String, to newName: String) async throws(StoreError)
    /// Deletes an empty category.
    func deleteModuleCategory(_ name: String) async throws(StoreError)
}

/// The naming rules of custom modules: both parts are Python identifiers (ASCII), as the import
/// system needs, at most 64 characters.
public enum ModuleNames {
    public static let maxLength = 64

    /// A category: a lowercase letter, then lowercase letters, digits or underscores (the seed's rule).
    public static func checkCategory(_ name: String, field: String = "category") throws(StoreError) {
        if name.isEmpty { throw .invalidModuleName(field: field, problem: "\(label(field)) is required") }
        if name.count > maxLength { throw .invalidModuleName(field: field, problem: "\(label(field)) must be \(maxLength) characters or less") }
        let scalars = Array(name.unicodeScalars)
        guard isLower(scalars[0]), scalars.allSatisfy({ isLower($0) || isDigit($0) || $0 == "_" }) else {
            throw .invalidModuleName(
                field: field,
                problem: "\(label(field)) must start with a lowercase letter and contain only lowercase letters, digits, or underscores (e.g. \"my_category\"), got '\(name)'")
        }
    }

    /// A module: a letter, then letters, digits or underscores. The seed asked for an uppercase
    /// first letter when creating one; its loader took any identifier, and so do we for imports.
    public static func checkModule(_ name: String, field: String = "name", requireUppercase: Bool = false) throws(StoreError) {
        if name.isEmpty { throw .invalidModuleName(field: field, problem: "\(label(field)) is required") }
        if name.count > maxLength { throw .invalidModuleName(field: field, problem: "\(label(field)) must be \(maxLength) characters or less") }
        let scalars = Array(name.unicodeScalars)
        let first = scalars[0]
        let startsRight = requireUppercase ? isUpper(first) : (isUpper(first) || isLower(first) || first == "_")
        guard startsRight, scalars.allSatisfy({ isUpper($0) || isLower($0) || isDigit($0) || $0 == "_" }) else {
            throw .invalidModuleName(
                field: field,
                problem: "\(label(field)) must start with \(requireUppercase ? "an uppercase letter" : "a letter") and contain only letters, digits, or underscores (e.g. \"MyModule\"), got '\(name)'")
        }
    }

    /// `category.Name` split in two, when both parts follow the rules.
    public static func split(_ qualified: String) -> (category: String, name: String)? {
        let parts = qualified.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let category = String(parts[0]), name = String(parts[1])
        guard (try? checkCategory(category)) != nil, (try? checkModule(name)) != nil else { return nil }
        return (category, name)
    }

    private static func label(_ field: String) -> String {
        field == "category" ? "Category" : field == "name" ? "Module name" : field
    }

    private static func isLower(_ s: Unicode.Scalar) -> Bool { s.value >= 0x61 && s.value <= 0x7A }
    private static func isUpper(_ s: Unicode.Scalar) -> Bool { s.value >= 0x41 && s.value <= 0x5A }
    private static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }
}

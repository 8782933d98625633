import Crypto
import Foundation
import SQLKit
import WorkFlowEngine

extension SQLStore: ModuleStore {
    private static let moduleColumns: SQLQueryString = """
        id, category, name, source, source_hash, inspection, current_version, created_at, updated_at, created_by, updated_by
        """

    /// The lowercase hex SHA-256 of `source`'s UTF-8 bytes.
    public static func sourceHash(_ source: String) -> String {
        SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public func modules() async throws(StoreError) -> [StoredModule] {
        try await StoreError.wrapping("list the modules") {
            try await database.withConnection { session in
                try await session.all("SELECT \(Self.moduleColumns) FROM modules ORDER BY category, name").map(StoredModule.init(row:))
            }
        }
    }

    public func module(category: String, name: String) async throws(StoreError) -> StoredModule? {
        try await StoreError.wrapping("read module '\(category).\(name)'") {
            try await database.withConnection { session in
                try await Self.moduleRow(session, category: category, name: name)
            }
        }
    }

    public func moduleFingerprints() async throws(StoreError) -> [ModuleFingerprint] {
        try await StoreError.wrapping("read the module fingerprints") {
            try await database.withConnection { session in
                try await session.all("SELECT category, name, source_hash, current_version FROM modules ORDER BY category, name").map { row in
                    ModuleFingerprint(
                        category: try row.string("category"), name: try row.string("name"), sourceHash: try row.string("source_hash"),
                        currentVersion: try row.int("current_version"))
                }
            }
        }
    }

    public func saveModule(
        category: String, name: String, source: String, inspection: JSONValue?, author: String?, comment: String?,
        mustBeNew: Bool
    ) async throws(StoreError) -> ModuleSaveOutcome {
        try ModuleNames.checkCategory(category)
        try ModuleNames.checkModule(name)
        let qualified = "\(category).\(name)"
        let hash = Self.sourceHash(source)
        let inspectionText = inspection.map { JSONWriter.string(from: $0) }
        let now = nowMilliseconds()
        return try await StoreError.wrapping("save module '\(qualified)'") {
            do {
                return try await database.withSession { session in
                    if let current = try await Self.moduleRow(session, category: category, name: name) {
                        if mustBeNew { throw StoreError.moduleExists(qualified) }
                        if current.sourceHash == hash { return .unchanged(current) }
                        let number = current.currentVersion + 1
                        try await session.run(
                            """
                            UPDATE modules SET source = \(bind: source), source_hash = \(bind: hash), inspection = \(bind: inspectionText),
                                current_version = \(bind: number), updated_at = \(bind: now), updated_by = \(bind: author)
                            WHERE id = \(bind: current.id)
                            """)
                        try await Self.insertVersion(session, moduleID: current.id, number: number, source: source, hash: hash, author: author, comment: comment, at: now)
                        return .updated(try await Self.requireModule(session, category: category, name: name))
                    }
                    try await Self.ensureCategory(session, category, author: author, at: now)
                    try await session.run(
                        """
                        INSERT INTO modules (category, name, source, source_hash, inspection, current_version, created_at, updated_at, created_by, updated_by)
                        VALUES (\(bind: category), \(bind: name), \(bind: source), \(bind: hash), \(bind: inspectionText), 1, \(bind: now), \(bind: now),
                            \(bind: author), \(bind: author))
                        """)
                    let created = try await Self.requireModule(session, category: category, name: name)
                    try await Self.insertVersion(session, moduleID: created.id, number: 1, source: source, hash: hash, author: author, comment: comment, at: now)
                    return .created(created)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                // Another writer created the module between our read and our insert.
                throw StoreError.moduleExists(qualified)
            }
        }
    }

    public func deleteModule(category: String, name: String) async throws(StoreError) {
        try await StoreError.wrapping("delete module '\(category).\(name)'") {
            try await database.withSession { session in
                let module = try await Self.requireModule(session, category: category, name: name)
                try await session.run("DELETE FROM module_versions WHERE module_id = \(bind: module.id)")
                try await session.run("DELETE FROM modules WHERE id = \(bind: module.id)")
            }
        }
    }

    public func moduleVersions(category: String, name: String) async throws(StoreError) -> [ModuleVersion] {
        try await StoreError.wrapping("list the versions of module '\(category).\(name)'") {
            try await database.withConnection { session in
                let module = try await Self.requireModule(session, category: category, name: name)
                return try await session.all(
                    """
                    SELECT number, source, source_hash, author, comment, created_at FROM module_versions
                    WHERE module_id = \(bind: module.id) ORDER BY number DESC
                    """
                ).map { try ModuleVersion(row: $0, category: category, name: name) }
            }
        }
    }

    public func moduleVersion(_ number: Int, category: String, name: String) async throws(StoreError) -> ModuleVersion {
        try await StoreError.wrapping("read version \(number) of module '\(category).\(name)'") {
            try await database.withConnection { session in
                try await Self.versionRow(session, number, category: category, name: name)
            }
        }
    }

    /// A unified diff of two versions' sources.
    public func moduleDiff(category: String, name: String, from old: Int, to new: Int) async throws(StoreError) -> String {
        let before = try await moduleVersion(old, category: category, name: name)
        let after = try await moduleVersion(new, category: category, name: name)
        return LineDiff.unified(from: before.source, to: after.source, fromLabel: "v\(old)", toLabel: "v\(new)")
    }

    public func restoreModuleVersion(
        _ number: Int, category: String, name: String, inspection: JSONValue?, author: String?
    ) async throws(StoreError) -> StoredModule {
        let now = nowMilliseconds()
        let inspectionText = inspection.map { JSONWriter.string(from: $0) }
        return try await StoreError.wrapping("restore version \(number) of module '\(category).\(name)'") {
            try await database.withSession { session in
                let old = try await Self.versionRow(session, number, category: category, name: name)
                let current = try await Self.requireModule(session, category: category, name: name)
                let next = current.currentVersion + 1
                try await session.run(
                    """
                    UPDATE modules SET source = \(bind: old.source), source_hash = \(bind: old.sourceHash), inspection = \(bind: inspectionText),
                        current_version = \(bind: next), updated_at = \(bind: now), updated_by = \(bind: author)
                    WHERE id = \(bind: current.id)
                    """)
                try await Self.insertVersion(
                    session, moduleID: current.id, number: next, source: old.source, hash: old.sourceHash, author: author,
                    comment: "restored version \(number)", at: now)
                return try await Self.requireModule(session, category: category, name: name)
            }
        }
    }

    public func moduleCategories() async throws(StoreError) -> [ModuleCategory] {
        try await StoreError.wrapping("list the module categories") {
            try await database.withConnection { session in
                try await session.all("SELECT name, created_at, created_by FROM module_categories ORDER BY name").map { row in
                    ModuleCategory(name: try row.string("name"), createdAt: try row.date("created_at"), createdBy: try row.optionalString("created_by"))
                }
            }
        }
    }

    public func createModuleCategory(_ name: String, author: String?) async throws(StoreError) -> ModuleCategory {
        try ModuleNames.checkCategory(name)
        let now = nowMilliseconds()
        return try await StoreError.wrapping("create module category '\(name)'") {
            do {
                return try await database.withSession { session in
                    if try await session.first("SELECT name FROM module_categories WHERE name = \(bind: name)") != nil {
                        throw StoreError.moduleCategoryExists(name)
                    }
                    try await session.run(
                        "INSERT INTO module_categories (name, created_at, created_by) VALUES (\(bind: name), \(bind: now), \(bind: author))")
                    return ModuleCategory(name: name, createdAt: StoreTime.date(now), createdBy: author)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.moduleCategoryExists(name)
            }
        }
    }

    public func renameModuleCategory(_ name: String, to newName: String) async throws(StoreError) {
        try ModuleNames.checkCategory(newName, field: "new_name")
        try await StoreError.wrapping("rename module category '\(name)'") {
            do {
                try await database.withSession { session in
                    guard let row = try await session.first("SELECT created_at, created_by FROM module_categories WHERE name = \(bind: name)") else {
                        throw StoreError.moduleCategoryNotFound(name)
                    }
                    if newName == name { return }
                    if try await session.first("SELECT name FROM module_categories WHERE name = \(bind: newName)") != nil {
                        throw StoreError.moduleCategoryExists(newName)
                    }
                    // The new row first, so the modules' reference never dangles.
                    try await session.run(
                        """
                        INSERT INTO module_categories (name, created_at, created_by)
                        VALUES (\(bind: newName), \(bind: try row.int64("created_at")), \(bind: try row.optionalString("created_by")))
                        """)
                    try await session.run("UPDATE modules SET category = \(bind: newName) WHERE category = \(bind: name)")
                    try await session.run("DELETE FROM module_categories WHERE name = \(bind: name)")
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.moduleCategoryExists(newName)
            }
        }
    }

    public func deleteModuleCategory(_ name: String) async throws(StoreError) {
        try await StoreError.wrapping("delete module category '\(name)'") {
            try await database.withSession { session in
                guard try await session.first("SELECT name FROM module_categories WHERE name = \(bind: name)") != nil else {
                    throw StoreError.moduleCategoryNotFound(name)
                }
                let count = try await session.first("SELECT COUNT(*) AS n FROM modules WHERE category = \(bind: name)")?.int("n") ?? 0
                if count > 0 { throw StoreError.moduleCategoryNotEmpty(name: name, modules: count) }
                try await session.run("DELETE FROM module_categories WHERE name = \(bind: name)")
            }
        }
    }

    // MARK: - Rows

    private static func moduleRow(_ session: StoreSession, category: String, name: String) async throws -> StoredModule? {
        try await session.first(
            "SELECT \(moduleColumns) FROM modules WHERE category = \(bind: category) AND name = \(bind: name)"
        ).map(StoredModule.init(row:))
    }

    private static func requireModule(_ session: StoreSession, category: String, name: String) async throws -> StoredModule {
        guard let module = try await moduleRow(session, category: category, name: name) else {
            throw StoreError.moduleNotFound("\(category).\(name)")
        }
        return module
    }

    private static func versionRow(_ session: StoreSession, _ number: Int, category: String, name: String) async throws -> ModuleVersion {
        let module = try await requireModule(session, category: category, name: name)
        guard
            let row = try await session.first(
                """
                SELECT number, source, source_hash, author, comment, created_at FROM module_versions
                WHERE module_id = \(bind: module.id) AND number = \(bind: number)
                """)
        else { throw StoreError.moduleVersionNotFound(name: module.qualifiedName, number: number) }
        return try ModuleVersion(row: row, category: category, name: name)
    }

    private static func insertVersion(
        _ session: StoreSession, moduleID: Int64, number: Int, source: String, hash: String, author: String?, comment: String?, at now: Int64
    ) async throws {
        try await session.run(
            """
            INSERT INTO module_versions (module_id, number, source, source_hash, author, comment, created_at)
            VALUES (\(bind: moduleID), \(bind: number), \(bind: source), \(bind: hash), \(bind: author), \(bind: comment), \(bind: now))
            """)
    }

    private static func ensureCategory(_ session: StoreSession, _ name: String, author: String?, at now: Int64) async throws {
        if try await session.first("SELECT name FROM module_categories WHERE name = \(bind: name)") == nil {
            try await session.run(
                "INSERT INTO module_categories (name, created_at, created_by) VALUES (\(bind: name), \(bind: now), \(bind: author))")
        }
    }
}

extension StoredModule {
    init(row: any SQLRow) throws {
        let inspectionText = try row.optionalString("inspection")
        self.init(
            id: try row.int64("id"), category: try row.string("category"), name: try row.string("name"), source: try row.string("source"),
            sourceHash: try row.string("source_hash"),
            inspection: try inspectionText.map { text throws(StoreError) in try JSONColumn.value(text, table: "modules", column: "inspection") },
            currentVersion: try row.int("current_version"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            createdBy: try row.optionalString("created_by"), updatedBy: try row.optionalString("updated_by"))
    }
}

extension ModuleVersion {
    init(row: any SQLRow, category: String, name: String) throws {
        self.init(
            category: category, name: name, number: try row.int("number"), source: try row.string("source"),
            sourceHash: try row.string("source_hash"), author: try row.optionalString("author"), comment: try row.optionalString("comment"),
            createdAt: try row.date("created_at"))
    }
}

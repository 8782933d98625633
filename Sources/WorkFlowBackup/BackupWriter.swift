import Foundation
import WorkFlowEngine
import WorkFlowStore

/// A backup ZIP made by ``BackupWriter``, and what went into it.
public struct BackupOutput: Sendable {
    /// The ZIP file's bytes.
    public var data: Data
    public var manifest: BackupManifest
    /// Workflow names, in name order.
    public var workflows: [String]
    /// Versions across all histories.
    public var versionCount: Int
    public var settingCount: Int
    /// `<category>/<file>` of each module source.
    public var modules: [String]
}

/// Writes the store's workflows (live ones, with their version histories), the settings and the
/// custom module sources into a ZIP in the seed's layout, which the seed can restore too.
public struct BackupWriter: Sendable {
    let flows: any FlowStore
    let settings: any SettingsStore
    /// `$WORKFLOW_HOME/modules`; `nil` or a missing folder backs up no modules.
    let modulesFolder: URL?

    public init(flows: any FlowStore, settings: any SettingsStore, modulesFolder: URL?) {
        self.flows = flows
        self.settings = settings
        self.modulesFolder = modulesFolder
    }

    /// Reads everything and packs it; `createdBy` and `date` go into `backup.json`.
    public func write(createdBy: String, at date: Date) async throws(BackupError) -> BackupOutput {
        var files: [(path: String, data: Data)] = []
        let stored = try await liveFlows()
        var versionCount = 0
        for flow in stored {
            let entry: JSONObject = ["flow_name": .string(flow.name), "enabled": .bool(flow.enabled), "procedures": .object(flow.document)]
            files.append((BackupLayout.workflowEntry(for: flow.name), JSONWriter.data(from: .object(entry), pretty: true)))
        }
        for flow in stored {
            let versions = try await BackupError.storing { () async throws(StoreError) in try await flows.versions(of: flow.name) }
            versionCount += versions.count
            let history: JSONObject = [
                "flow_name": .string(flow.name),
                "versions": .array(versions.sorted { $0.number < $1.number }.map(Self.json)),
            ]
            files.append((BackupLayout.versionsEntry(for: flow.name), JSONWriter.data(from: .object(history), pretty: true)))
        }
        var moduleNames: [String] = []
        if let modulesFolder {
            for file in try ModuleFiles.list(in: modulesFolder) {
                let contents: Data
                do {
                    contents = try Data(contentsOf: file.url)
                } catch {
                    throw .file(path: file.url.path, message: "cannot be read: \(error.localizedDescription)")
                }
                files.append(("\(BackupLayout.modulesFolder)/\(file.relativePath)", contents))
                moduleNames.append(file.relativePath)
            }
        }
        let values = try await BackupError.storing { () async throws(StoreError) in try await settings.settings() }
        var settingsObject: JSONObject = [:]
        for key in values.keys.sorted() { settingsObject[key] = values[key] }
        files.append((BackupLayout.settingsPath, JSONWriter.data(from: .object(settingsObject), pretty: true)))

        let manifest = BackupManifest(
            createdAt: BackupTime.string(date), createdBy: createdBy, sections: [.workflows, .modules, .settings],
            extraSections: [.versions: ExtraSection.versions.formatVersion])
        // Written last, as the seed did.
        files.append((BackupLayout.manifestPath, JSONWriter.data(from: manifest.json, pretty: true)))
        let data: Data
        do {
            data = try ZIPEntries.pack(files, modified: date)
        } catch {
            throw .file(path: "(backup)", message: "cannot build the ZIP: \(error)")
        }
        return BackupOutput(
            data: data, manifest: manifest, workflows: stored.map(\.name), versionCount: versionCount,
            settingCount: settingsObject.count, modules: moduleNames)
    }

    /// Every live workflow, in name order, read page by page.
    private func liveFlows() async throws(BackupError) -> [StoredFlow] {
        let pageSize = 500
        var all: [StoredFlow] = []
        while true {
            let offset = all.count
            let page = try await BackupError.storing { () async throws(StoreError) in
                try await flows.listFlows(FlowQuery(limit: pageSize, offset: offset))
            }
            all += page
            if page.count < pageSize { return all }
        }
    }

    /// A version as `extra/versions/<name>.json` holds it.
    static func json(_ version: FlowVersion) -> JSONValue {
        [
            "number": .int(version.number),
            "created_at": .string(BackupTime.string(version.createdAt)),
            "author": version.author.map(JSONValue.string) ?? .null,
            "comment": version.comment.map(JSONValue.string) ?? .null,
            "document": .object(version.document),
        ]
    }
}

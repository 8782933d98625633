import Foundation
import WorkFlowEngine

extension BackupProblem {
    /// The data is not a ZIP archive at all.
    public static let notAZIP = BackupProblem(entry: nil, message: "not a ZIP archive")
    /// The archive has no `backup.json`, so it is not a backup.
    public static let missingManifest = BackupProblem(entry: BackupLayout.manifestPath, message: "missing: this is not a WorkFlow backup")

    /// `{"entry", "message"}`, with `line` and `column` when known; `entry` is `null` for the
    /// archive as a whole.
    public var json: JSONValue {
        var object: JSONObject = ["entry": entry.map(JSONValue.string) ?? .null, "message": .string(message)]
        if let line { object["line"] = .int(line) }
        if let column { object["column"] = .int(column) }
        return .object(object)
    }
}

extension BackupLayout {
    /// `workflow_backup_<UTC YYYYMMDD_HHMMSS>.zip`, the seed's name for a backup made at `date`.
    public static func fileName(at date: Date) -> String {
        let stamp = date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(year: .defaultDigits)\(month: .twoDigits)\(day: .twoDigits)_\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased))\(minute: .twoDigits)\(second: .twoDigits)",
                timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
        return "workflow_backup_\(stamp).zip"
    }
}

extension RestorePlan {
    /// The backup's manifest.
    public var manifest: BackupManifest { archive.manifest }

    /// What a restore did (or, on a dry run, would do), as `workflow restore --json` and
    /// `POST /api/v1/restore` answer it: every item with its change, the sections left out, and
    /// the writes that failed.
    public func report(failures: [BackupProblem], dryRun: Bool) -> JSONValue {
        func item(_ item: RestoreItem) -> JSONValue {
            [
                "kind": .string(item.kind.rawValue), "name": .string(item.name), "entry": .string(item.entry),
                "change": .string(item.change.rawValue), "detail": item.detail.map(JSONValue.string) ?? .null,
            ]
        }
        return [
            "status": .bool(failures.isEmpty),
            "dry_run": .bool(dryRun),
            "backup": [
                "created_at": .string(manifest.createdAt), "created_by": .string(manifest.createdBy),
                "format_version": manifest.formatVersion.map(JSONValue.int) ?? .null,
            ],
            "items": .array(items.map(item)),
            "ignored_sections": .array(ignoredSections.map { .string($0.rawValue) }),
            "failures": .array(failures.map(\.json)),
        ]
    }
}

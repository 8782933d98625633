import Foundation
import WorkFlowEngine

/// `backup.json`: when and by whom the backup was made and which sections it holds.
///
/// The seed wrote `{"created_at", "created_by", "sections"}` and restores only the sections
/// listed there. We add `format_version` (absent in the seed's backups), `producer`, and
/// `extra_sections`: our sections with their format versions, kept out of `sections` so that the
/// seed's restore never sees a name it does not know.
public struct BackupManifest: Sendable, Hashable {
    /// As written: the seed wrote `<UTC ISO>Z` (API) or ISO with an offset (web UI).
    public var createdAt: String
    public var createdBy: String
    /// Seed sections, in the order listed.
    public var sections: [SeedSection]
    /// `nil` for a backup the seed made.
    public var formatVersion: Int?
    public var producer: String?
    /// Our sections and the format version each was written in.
    public var extraSections: [ExtraSection: Int]

    public init(
        createdAt: String, createdBy: String, sections: [SeedSection], formatVersion: Int? = BackupLayout.formatVersion,
        producer: String? = BackupManifest.producerName, extraSections: [ExtraSection: Int] = [:]
    ) {
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.sections = sections
        self.formatVersion = formatVersion
        self.producer = producer
        self.extraSections = extraSections
    }

    public static let producerName = "WorkFlow (Swift)"

    /// Whether the seed made this backup (no `format_version`).
    public var isSeedBackup: Bool { formatVersion == nil }

    /// The manifest as written, seed keys first.
    public var json: JSONValue {
        var object: JSONObject = [
            "created_at": .string(createdAt),
            "created_by": .string(createdBy),
            "sections": .array(sections.map { .string($0.rawValue) }),
        ]
        if let formatVersion { object["format_version"] = .int(formatVersion) }
        if let producer { object["producer"] = .string(producer) }
        if !extraSections.isEmpty {
            var extra: JSONObject = [:]
            for section in ExtraSection.allCases {
                if let version = extraSections[section] { extra[section.rawValue] = .int(version) }
            }
            object["extra_sections"] = .object(extra)
        }
        return .object(object)
    }

    /// Reads `backup.json`; every problem is returned, each naming the key.
    static func read(_ value: JSONValue) -> (manifest: BackupManifest?, problems: [String]) {
        guard case .object(let object) = value else {
            return (nil, ["expected a JSON object, got \(ParameterReader.describe(value))"])
        }
        var problems: [String] = []
        var sections: [SeedSection] = []
        switch object["sections"] {
        case .array(let names)?:
            for (index, name) in names.enumerated() {
                guard let text = name.stringValue else {
                    problems.append("sections[\(index)]: expected a section name, got \(ParameterReader.describe(name))")
                    continue
                }
                guard let section = SeedSection(rawValue: text) else {
                    let known = SeedSection.allCases.map(\.rawValue).joined(separator: ", ")
                    problems.append("sections[\(index)]: unknown section '\(text)' (known: \(known))")
                    continue
                }
                if !sections.contains(section) { sections.append(section) }
            }
        case nil:
            problems.append("sections: missing; a backup lists the sections it holds")
        case let other?:
            problems.append("sections: expected a list of section names, got \(ParameterReader.describe(other))")
        }
        var formatVersion: Int?
        if let value = object["format_version"] {
            if let version = value.intValue, version >= 1 {
                formatVersion = version
                if version > BackupLayout.formatVersion {
                    problems.append(
                        "format_version: \(version) was written by a newer WorkFlow; this one reads up to \(BackupLayout.formatVersion)")
                }
            } else {
                problems.append("format_version: expected a positive whole number, got \(ParameterReader.describe(value))")
            }
        }
        var extraSections: [ExtraSection: Int] = [:]
        switch object["extra_sections"] {
        case nil:
            break
        case .object(let extras)?:
            for (name, value) in extras {
                guard let section = ExtraSection(rawValue: name) else {
                    let known = ExtraSection.allCases.map(\.rawValue).joined(separator: ", ")
                    problems.append("extra_sections.\(name): unknown section (this WorkFlow knows: \(known))")
                    continue
                }
                guard let version = value.intValue, version >= 1 else {
                    problems.append("extra_sections.\(name): expected a format version, got \(ParameterReader.describe(value))")
                    continue
                }
                if version > section.formatVersion {
                    problems.append(
                        "extra_sections.\(name): format \(version) was written by a newer WorkFlow; this one reads up to \(section.formatVersion)")
                }
                extraSections[section] = version
            }
        case let other?:
            problems.append("extra_sections: expected an object of section names and versions, got \(ParameterReader.describe(other))")
        }
        let manifest = BackupManifest(
            createdAt: object["created_at"]?.stringValue ?? "", createdBy: object["created_by"]?.stringValue ?? "",
            sections: sections, formatVersion: formatVersion, producer: object["producer"]?.stringValue,
            extraSections: extraSections)
        return (manifest, problems)
    }
}

/// The times backups write: ISO 8601 in UTC with milliseconds, `2026-11-28T10:00:00.123Z`.
enum BackupTime {
    static func string(_ date: Date) -> String {
        // Whole milliseconds first: formatting the fraction of a Double directly can turn .123 into .122.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())
        return whole.dropLast() + "." + String(milliseconds - seconds * 1000).leftPadded(to: 3) + "Z"
    }

    /// Reads our format, the same without fractions, and an offset instead of `Z`.
    static func date(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

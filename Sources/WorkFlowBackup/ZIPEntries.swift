import Foundation
import ZIPFoundation

/// One entry of a backup ZIP, unpacked into memory.
struct UnpackedEntry: Sendable {
    var path: String
    var isDirectory: Bool
    var data: Data
}

/// Unpacks a ZIP held in memory, within ``BackupLimits``. ZIPFoundation's types stay in this file.
enum ZIPEntries {
    /// What unpacking found: the entries that are safe to look at, problems with single entries,
    /// and a problem that stops everything (not a ZIP, too large).
    struct Unpacked {
        var entries: [UnpackedEntry] = []
        /// Every entry path in archive order, unsafe ones included.
        var order: [String] = []
        var problems: [BackupProblem] = []
        var fatal: BackupProblem?
    }

    /// Thrown from inside the extract callback to stop unpacking an entry that goes over the limit.
    private struct LimitReached: Error {}

    static func unpack(_ data: Data, limits: BackupLimits) -> Unpacked {
        var result = Unpacked()
        guard data.count <= limits.maxArchiveBytes else {
            result.fatal = BackupProblem(
                entry: nil, message: "the archive is \(data.count.byteCountText); the limit is \(limits.maxArchiveBytes.byteCountText)")
            return result
        }
        guard !data.isEmpty, let archive = try? Archive(data: data, accessMode: .read, pathEncoding: nil) else {
            result.fatal = .notAZIP
            return result
        }
        var seen = Set<String>()
        var unpackedBytes = 0
        var count = 0
        let tooLarge = BackupProblem(
            entry: nil, message: "the archive unpacks to more than \(limits.maxUnpackedBytes.byteCountText), the limit")
        for entry in archive {
            count += 1
            guard count <= limits.maxEntries else {
                result.fatal = BackupProblem(entry: nil, message: "the archive holds more than \(limits.maxEntries) entries, the limit")
                return result
            }
            let path = entry.path
            result.order.append(path)
            if let problem = EntryPath.problem(path) {
                result.problems.append(BackupProblem(entry: path, message: problem))
                continue
            }
            let key = path.hasSuffix("/") ? String(path.dropLast()) : path
            guard seen.insert(key).inserted else {
                result.problems.append(BackupProblem(entry: path, message: "the archive holds this path more than once"))
                continue
            }
            switch entry.type {
            case .symlink:
                result.problems.append(BackupProblem(entry: path, message: "symbolic links are not allowed in a backup"))
                continue
            case .directory:
                result.entries.append(UnpackedEntry(path: path, isDirectory: true, data: Data()))
                continue
            case .file:
                break
            }
            // The declared size is checked first; the bytes actually produced are counted too,
            // because a crafted entry can declare less than it inflates to.
            let declared = Int(clamping: entry.uncompressedSize)
            guard declared <= limits.maxUnpackedBytes - unpackedBytes else {
                result.fatal = tooLarge
                return result
            }
            var contents = Data()
            do {
                _ = try archive.extract(entry) { chunk in
                    guard chunk.count <= limits.maxUnpackedBytes - unpackedBytes - contents.count else { throw LimitReached() }
                    contents.append(chunk)
                }
            } catch is LimitReached {
                result.fatal = tooLarge
                return result
            } catch {
                result.problems.append(BackupProblem(entry: path, message: "damaged entry: \(describe(error))"))
                continue
            }
            unpackedBytes += contents.count
            result.entries.append(UnpackedEntry(path: path, isDirectory: false, data: contents))
        }
        return result
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case Archive.ArchiveError.invalidCRC32: "its checksum does not match its contents"
        case Archive.ArchiveError.invalidCompressionMethod: "unsupported compression method"
        default: String(describing: error)
        }
    }

    /// A ZIP of `files` (path and contents, in order), deflated, dated `modified`.
    static func pack(_ files: [(path: String, data: Data)], modified: Date) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for file in files {
            try archive.addEntry(
                with: file.path, type: .file, uncompressedSize: Int64(file.data.count), modificationDate: modified,
                compressionMethod: .deflate
            ) { position, size in
                let start = file.data.startIndex + Int(position)
                return file.data.subdata(in: start..<start + size)
            }
        }
        guard let data = archive.data else { throw Archive.ArchiveError.unwritableArchive }
        return data
    }
}

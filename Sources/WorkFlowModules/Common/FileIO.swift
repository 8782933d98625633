import Foundation
import WorkFlowEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `common.FileIO`: reads and writes CSV, JSON, YAML, text and XLSX files with the seed's result shapes.
///
/// Writes are atomic (a temporary file in the same folder, then a rename), so a failed write
/// leaves any existing file as it was.
public struct FileIOModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "read": return try await readFile(params, context: context)
        case "write": return try await writeFile(params, context: context)
        default:
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: ["read", "write"])
        }
    }

    // MARK: read

    private func readFile(_ params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let path = try reader.string("file_path")
        let explicitFormat = try reader.optionalString("format")
        let encodingName = try reader.string("encoding", default: "utf-8")
        try Self.checkSheet(reader)
        let logger = context.logger
        logger.debug("fileio.file_path: \(path), format: \(explicitFormat ?? "auto"), encoding: \(encodingName)")

        do {
            let format = try FileFormat.detect(path: path, explicit: explicitFormat)
            logger.debug("fileio.detected_format: \(format.rawValue)")
            let encoding = try Self.encoding(named: encodingName)
            let bytes = try LocalFiles.readAll(path)
            try Task.checkCancellation()

            func decodedText() throws(FileIOFailure) -> String {
                do {
                    return Self.universalNewlines(try encoding.decode(bytes))
                } catch {
                    throw FileIOFailure("cannot read '\(path)': \(error)")
                }
            }

            let data: JSONValue
            switch format {
            case .csv:
                data = .array(CSVCodec.decodeDictionaries(try decodedText()) { logger.warning("\(path): \($0)") })
            case .json:
                let text = try decodedText()
                do {
                    data = Self.wrappingObject(try JSONParser.parse(text))
                } catch {
                    throw FileIOFailure("invalid JSON in '\(path)': \(error)")
                }
            case .yaml:
                let text = try decodedText()
                do {
                    data = Self.wrappingObject(try YAMLCodec.decode(text))
                } catch {
                    throw FileIOFailure("invalid YAML in '\(path)': \(error.message)")
                }
            case .txt:
                let text = try decodedText()
                logger.info("Successfully read \(text.count) chars from \(path)")
                return .success(["status": true, "data": .string(text)])
            case .xlsx:
                let (records, sheet) = try await XLSXCodec.read(bytes, sheet: reader.value("sheet"))
                logger.info("Successfully read \(records.arrayValue?.count ?? 0) rows from sheet '\(sheet)' of \(path)")
                return .success(["status": true, "data": records])
            }
            logger.info("Successfully read \(data.arrayValue?.count ?? 1) rows from \(path)")
            return .success(["status": true, "data": data])
        } catch let failure as FileIOFailure {
            logger.error("Error reading file \(path): \(failure.message)")
            return .failure(["status": false, "data": []], error: failure.message)
        }
    }

    /// The seed returned a top-level JSON object or YAML mapping as a one-row list.
    private static func wrappingObject(_ value: JSONValue) -> JSONValue {
        if case .object = value { return .array([value]) }
        return value
    }

    // MARK: write

    private func writeFile(_ params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let path = try reader.string("file_path")
        let data = try reader.required("data")
        let explicitFormat = try reader.optionalString("format")
        let encodingName = try reader.string("encoding", default: "utf-8")
        try Self.checkSheet(reader)
        // The seed logged `len(data)` before its try block, so data without a length raised.
        switch data {
        case .string, .array, .object: break
        default: throw reader.mismatch("data", expected: "a string, an array or an object", got: data)
        }
        let logger = context.logger
        logger.debug("fileio.file_path: \(path), format: \(explicitFormat ?? "auto"), encoding: \(encodingName)")

        do {
            let format = try FileFormat.detect(path: path, explicit: explicitFormat)
            logger.debug("fileio.detected_format: \(format.rawValue)")
            let encoding = try Self.encoding(named: encodingName)

            func encoded(_ text: String) throws(FileIOFailure) -> [UInt8] {
                do {
                    return try encoding.encode(text)
                } catch {
                    throw FileIOFailure("cannot write '\(path)': \(error)")
                }
            }

            let bytes: [UInt8]
            switch format {
            case .csv: bytes = try encoded(try CSVCodec.encodeDictionaries(data))
            case .json: bytes = try encoded(JSONWriter.prettyString(from: data))
            case .yaml: bytes = try encoded(try YAMLCodec.encode(data))
            case .txt:
                if case .array(let items) = data {
                    bytes = try encoded(items.map(\.pythonDescription).joined(separator: "\n"))
                } else {
                    bytes = try encoded(data.pythonDescription)
                }
            case .xlsx:
                let sheet = try XLSXCodec.sheetName(reader.value("sheet"))
                bytes = try await XLSXCodec.write(data, sheet: sheet)
                logger.debug("fileio.sheet: \(sheet)")
            }
            try Task.checkCancellation()
            try LocalFiles.writeAtomically(bytes, to: path)

            if format == .txt {
                logger.info("Successfully wrote text content to \(path)")
            } else {
                let count = data.arrayValue?.count ?? data.objectValue?.count ?? 1
                logger.info("Successfully wrote \(count) rows to \(path)")
            }
            return .success(["status": true])
        } catch let failure as FileIOFailure {
            logger.error("Error writing file \(path): \(failure.message)")
            return .failure(["status": false], error: failure.message)
        }
    }

    // MARK: shared

    private static func encoding(named name: String) throws(FileIOFailure) -> TextEncoding {
        do {
            return try TextEncoding(pythonName: name)
        } catch {
            throw FileIOFailure(error.description)
        }
    }

    /// `sheet` is a name or an index; only XLSX uses it, and checks it further.
    private static func checkSheet(_ reader: ParameterReader) throws(ParameterError) {
        guard let sheet = reader.value("sheet") else { return }
        guard ValueType.string.accepts(sheet) || ValueType.integer.accepts(sheet) else {
            throw reader.mismatch("sheet", expected: "a sheet name or index", got: sheet)
        }
    }

    /// `\r\n` and lone `\r` become `\n`, as Python's text-mode reading (universal newlines) did.
    static func universalNewlines(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "\r")) else { return text }
        var out = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                afterCR = true
            } else {
                if !(scalar == "\n" && afterCR) { out.append(scalar) }
                afterCR = false
            }
        }
        return String(out)
    }
}

/// A failure the module reports as the seed's `status: false` result; the message names the
/// file, field or value at fault.
struct FileIOFailure: Error, Equatable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// The file formats `common.FileIO` knows.
enum FileFormat: String, CaseIterable {
    case csv, json, yaml, txt, xlsx

    private static let byExtension: [(String, FileFormat)] = [
        (".csv", .csv), (".json", .json), (".yaml", .yaml), (".yml", .yaml), (".txt", .txt), (".log", .txt),
        (".md", .txt), (".conf", .txt), (".ini", .txt), (".cfg", .txt), (".xlsx", .xlsx),
    ]

    /// An explicit, non-empty `format` wins; otherwise the lower-cased extension decides.
    static func detect(path: String, explicit: String?) throws(FileIOFailure) -> FileFormat {
        if let explicit, !explicit.isEmpty {
            guard let format = FileFormat(rawValue: explicit) else {
                throw FileIOFailure("unsupported format '\(explicit)' (use csv, json, yaml, txt or xlsx)")
            }
            return format
        }
        let ext = pathExtension(path).lowercased()
        if let format = byExtension.first(where: { $0.0 == ext })?.1 { return format }
        let supported = byExtension.map(\.0).joined(separator: ", ")
        let shown = ext.isEmpty ? "none" : ext
        throw FileIOFailure(
            "Unsupported file extension: \(shown) (supported: \(supported); or set format to csv, json, yaml, txt or xlsx)")
    }

    /// The extension with its dot, as Python's `os.path.splitext` finds it: leading dots of
    /// the file name do not start one (`.bashrc` has none).
    static func pathExtension(_ path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let stem = name.drop { $0 == "." }
        guard let dot = stem.lastIndex(of: ".") else { return "" }
        return String(stem[dot...])
    }
}

/// Whole-file reads and atomic writes through POSIX calls, so that each failure has its errno.
enum LocalFiles {
    static func readAll(_ path: String) throws(FileIOFailure) -> [UInt8] {
        guard !path.isEmpty else { throw FileIOFailure("file '' does not exist") }
        var info = stat()
        guard stat(path, &info) == 0 else { throw readFailure(path, errno) }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw FileIOFailure("'\(path)' is a directory") }

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw readFailure(path, errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw readFailure(path, errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    private static func readFailure(_ path: String, _ code: Int32) -> FileIOFailure {
        switch code {
        case ENOENT, ENOTDIR: FileIOFailure("file '\(path)' does not exist")
        case EACCES, EPERM: FileIOFailure("permission denied reading '\(path)'")
        case EISDIR: FileIOFailure("'\(path)' is a directory")
        default: FileIOFailure("cannot read '\(path)': \(String(cString: strerror(code)))")
        }
    }

    /// Writes through a temporary file in the target's folder and renames it over the target,
    /// so readers never see half a file and a failure leaves the old content. The folder must
    /// exist. An existing file keeps its permission bits (and, where allowed, its owner); a new
    /// one gets 0644. A symbolic link is followed, as `open(path, "w")` would.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileIOFailure) {
        guard !path.isEmpty else { throw FileIOFailure("file_path is empty") }
        var target = path
        var linkInfo = stat()
        if lstat(path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        let (folder, name) = split(target)

        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0 else {
            switch errno {
            case ENOENT, ENOTDIR: throw FileIOFailure("folder '\(folder)' does not exist; create it first")
            case EACCES, EPERM: throw FileIOFailure("permission denied reaching folder '\(folder)'")
            case let code: throw FileIOFailure("cannot write '\(path)': \(String(cString: strerror(code)))")
            }
        }
        guard folderInfo.st_mode & S_IFMT == S_IFDIR else { throw FileIOFailure("'\(folder)' is not a folder") }

        var mode: mode_t = 0o644
        var owner: (uid: uid_t, gid: gid_t)?
        var existing = stat()
        if stat(target, &existing) == 0 {
            guard existing.st_mode & S_IFMT != S_IFDIR else { throw FileIOFailure("'\(path)' is a directory") }
            mode = existing.st_mode & 0o7777
            owner = (existing.st_uid, existing.st_gid)
        }

        let tempPath = (folder == "/" ? "/" : folder + "/") + ".\(name).\(UUID().uuidString).tmp"
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            switch errno {
            case EACCES, EPERM, EROFS: throw FileIOFailure("permission denied writing in folder '\(folder)'")
            case let code: throw FileIOFailure("cannot write '\(path)': \(String(cString: strerror(code)))")
            }
        }
        var renamed = false
        defer { if !renamed { unlink(tempPath) } }

        var failure = writeAll(bytes, to: fd)
        if failure == nil, fchmod(fd, mode) != 0 { failure = errno }
        if let owner, failure == nil, owner.uid != geteuid() || owner.gid != getegid() {
            _ = fchown(fd, owner.uid, owner.gid)  // best effort: only privileged writers may give files away
        }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(tempPath, target) != 0 { failure = errno }
        if let failure {
            let reason = failure == ENOSPC ? "the disk is full" : String(cString: strerror(failure))
            throw FileIOFailure("cannot write '\(path)': \(reason)")
        }
        renamed = true
    }

    /// Writes every byte; returns the errno of a failure.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32? {
        bytes.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let count = write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return nil
        }
    }

    /// The folder and the file name of `path`; a bare name lives in `.`.
    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = path[..<slash]
        return (folder.isEmpty ? "/" : String(folder), String(path[path.index(after: slash)...]))
    }
}

extension FileIOModule {
    static let moduleDescriptor = ModuleDescriptor(
        name: "common.FileIO",
        doc: """
            Reads and writes CSV, JSON, YAML, text and XLSX files. The format comes from `format` or the \
            file extension (.csv, .json, .yaml/.yml, .txt/.log/.md/.conf/.ini/.cfg, .xlsx).
            """,
        methods: [
            MethodDescriptor(
                "read",
                doc: """
                    Reads a file. CSV gives a list of objects keyed by the header row (every value a string, \
                    missing fields null); JSON and YAML give the parsed value, with a top-level object wrapped \
                    in a one-element list; TXT gives the whole text. Line breaks are read as \\n. XLSX gives \
                    a list of objects keyed by the sheet's first non-blank row: numbers stay numbers (whole ones \
                    integers), dates and times become ISO text, empty cells and error values null, blank rows are skipped.
                    """,
                parameters: [
                    ParameterDescriptor("file_path", .string, required: true, doc: "Path of the file to read."),
                    ParameterDescriptor(
                        "format", .string,
                        doc: "csv, json, yaml, txt or xlsx; when absent or empty, chosen by the file extension."),
                    ParameterDescriptor(
                        "encoding", .string, default: "utf-8",
                        doc: "Text encoding by Python codec name (utf-8, gbk, gb18030, latin-1, shift_jis, utf-16...); a UTF-8 BOM is skipped. Not used for XLSX."),
                    ParameterDescriptor(
                        "sheet", [.string, .integer],
                        doc: "XLSX only: the sheet to read, by name or 0-based index; the first sheet when absent."),
                ],
                result: #"{"status": true, "data": [...] | "text"}; on failure {"status": false, "data": []}"#),
            MethodDescriptor(
                "write",
                doc: """
                    Writes a file atomically, replacing it; the folder must exist. CSV needs a list of objects \
                    (the header is the keys of the first; missing keys are written empty, unknown keys fail); \
                    JSON is indented by 2 with non-ASCII kept; YAML is block style; TXT writes a list one item \
                    per line (no final line break) and anything else as its text. XLSX needs a list of objects: \
                    the header row is every key in first-seen order; numbers, booleans and text keep their types, \
                    null is an empty cell, arrays and objects are written as JSON text.
                    """,
                parameters: [
                    ParameterDescriptor("file_path", .string, required: true, doc: "Path of the file to write."),
                    ParameterDescriptor(
                        "data", [.array, .object, .string], required: true,
                        doc: "What to write: a list of objects for CSV and XLSX; any value for JSON and YAML; a list or text for TXT."),
                    ParameterDescriptor(
                        "format", .string,
                        doc: "csv, json, yaml, txt or xlsx; when absent or empty, chosen by the file extension."),
                    ParameterDescriptor(
                        "encoding", .string, default: "utf-8",
                        doc: "Text encoding by Python codec name (utf-8, utf-8-sig, gbk, latin-1, ...); unencodable characters fail. Not used for XLSX."),
                    ParameterDescriptor(
                        "sheet", .string, default: "Sheet1",
                        doc: "XLSX only: the name of the one sheet written (1 to 31 characters, none of [ ] : * ? / \\)."),
                ],
                result: #"{"status": true}; on failure {"status": false}"#),
        ])
}

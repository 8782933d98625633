import CLibSSH2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Host key checking against an OpenSSH known_hosts file, with libssh2's knownhost API.
/// Called on the connection's queue.
enum SshKnownHosts {
    /// The key the server presented.
    struct ServerKey {
        var bytes: [UInt8]
        /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, ...
        var typeName: String
        /// libssh2's known-host key-type bits for this key.
        var knownHostKeyBits: Int32
        /// `SHA256:` and unpadded base64, as `ssh-keygen -l` prints it.
        var fingerprint: String
    }

    static func serverKey(of session: OpaquePointer) throws(SshError) -> ServerKey {
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &length, &type), length > 0 else {
            throw SshError(kind: .hostKey, message: "the server sent no host key")
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: key, count: length))
        guard let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) else {
            throw SshError(kind: .hostKey, message: "libssh2 cannot hash the host key")
        }
        let digest = Data(UnsafeRawBufferPointer(start: hash, count: 32))
        let base64 = digest.base64EncodedString().replacingOccurrences(of: "=", with: "")
        // The key-type field of a known-hosts entry: LIBSSH2_KNOWNHOST_KEY_* (a number << 18).
        let (name, bits): (String, Int32) =
            switch type {
            case LIBSSH2_HOSTKEY_TYPE_RSA: ("ssh-rsa", 2 << 18)
            case LIBSSH2_HOSTKEY_TYPE_DSS: ("ssh-dss", 3 << 18)
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: ("ecdsa-sha2-nistp256", 4 << 18)
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: ("ecdsa-sha2-nistp384", 5 << 18)
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: ("ecdsa-sha2-nistp521", 6 << 18)
            case LIBSSH2_HOSTKEY_TYPE_ED25519: ("ssh-ed25519", 7 << 18)
            default: ("unknown", 15 << 18)
            }
        return ServerKey(bytes: bytes, typeName: name, knownHostKeyBits: bits, fingerprint: "SHA256:" + base64)
    }

    /// The name a known_hosts line uses for the host: `host`, or `[host]:port` off port 22.
    static func entryName(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// Accepts, records or refuses `key` according to the policy.
    static func check(
        _ key: ServerKey, host: String, port: Int, session: OpaquePointer, options: SshConnectOptions,
        log: (SshLogLevel, String) -> Void
    ) throws(SshError) {
        let name = entryName(host: host, port: port)
        let file = options.knownHostsFile
        let offered = "\(key.typeName) \(key.fingerprint)"
        guard options.hostKeyPolicy != .off else {
            log(.warning, "host key checking is off (known_hosts: off): accepted \(offered) from \(name) without checking")
            return
        }
        guard let hosts = libssh2_knownhost_init(session) else {
            throw SshError(kind: .hostKey, message: "libssh2 cannot start a known-hosts list")
        }
        defer { libssh2_knownhost_free(hosts) }

        if FileManager.default.fileExists(atPath: file) {
            if libssh2_knownhost_readfile(hosts, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 {
                throw SshError(kind: .hostKey, message: "cannot read the known_hosts file \(file): \(libssh2LastError(session))")
            }
        }
        let typeMask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key.knownHostKeyBits
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        let verdict = key.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                libssh2_knownhost_checkp(hosts, host, Int32(port), $0.baseAddress, $0.count, typeMask, &entry)
            }
        }
        switch verdict {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            throw SshError(
                kind: .hostKey,
                message: """
                    host key for \(name) has CHANGED: the server offers \(offered), which does not match the key \
                    recorded in \(file). This may be an attack; if the change is expected, remove the old entry \
                    (ssh-keygen -R '\(name)' -f \(file)) and connect again
                    """)
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND where options.hostKeyPolicy == .strict:
            throw SshError(
                kind: .hostKey,
                message: "host \(name) is not in the known_hosts file \(file) (known_hosts: strict); it offers \(offered)")
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
            try record(key, name: name, in: hosts, file: file, options: options, session: session)
            log(.info, "added \(name) (\(offered)) to \(file)")
        default:
            throw SshError(kind: .hostKey, message: "cannot check the host key of \(name) against \(file): \(libssh2LastError(session))")
        }
    }

    /// Appends one line for the new host; the rest of the file is left exactly as it was.
    private static func record(
        _ key: ServerKey, name: String, in hosts: OpaquePointer, file: String, options: SshConnectOptions, session: OpaquePointer
    ) throws(SshError) {
        var stored: UnsafeMutablePointer<libssh2_knownhost>?
        let typeMask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key.knownHostKeyBits
        let added = key.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                libssh2_knownhost_addc(hosts, name, nil, $0.baseAddress, $0.count, nil, 0, typeMask, &stored)
            }
        }
        guard added == 0, let stored else {
            throw SshError(kind: .hostKey, message: "cannot record the host key of \(name): \(libssh2LastError(session))")
        }
        var line = [CChar](repeating: 0, count: 16_384)
        var length = 0
        guard libssh2_knownhost_writeline(hosts, stored, &line, line.count, &length, LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0 else {
            throw SshError(kind: .hostKey, message: "cannot format the known_hosts line for \(name): \(libssh2LastError(session))")
        }
        let text = String(decoding: line.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try append(text, to: file, mayCreateFolder: options.mayCreateKnownHostsFolder)
    }

    private static func append(_ line: String, to file: String, mayCreateFolder: Bool) throws(SshError) {
        let folder = (file as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            guard mayCreateFolder else {
                throw SshError(kind: .hostKey, message: "cannot record the host key: the folder \(folder) of known_hosts_file does not exist")
            }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SshError(kind: .hostKey, message: "cannot create \(folder) for the known_hosts file: \(error.localizedDescription)")
            }
        }
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SshError(kind: .hostKey, message: "cannot write the known_hosts file \(file): \(String(cString: strerror(errno)))")
        }
        defer { closeDescriptor(fd) }
        // Start on a line of our own when the file does not end with a newline.
        var last: UInt8 = 0
        let size = lseek(fd, 0, SEEK_END)
        let needsNewline = size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != UInt8(ascii: "\n")
        let bytes = Array(((needsNewline ? "\n" : "") + line + (line.hasSuffix("\n") ? "" : "\n")).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw SshError(kind: .hostKey, message: "cannot write the known_hosts file \(file): \(String(cString: strerror(errno)))")
        }
    }
}

/// What WorkFlow reads from a private key file before libssh2 loads it: whether it is there,
/// its key type and whether it is encrypted, for precise error messages.
struct SshPrivateKeyFile: Equatable {
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ... or nil when the format hides it.
    var type: String?
    var isEncrypted: Bool

    static func read(_ path: String) throws(SshError) -> SshPrivateKeyFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = access(path, F_OK) == 0 ? "it is not readable by the WorkFlow server" : "no such file"
            throw SshError(kind: .localFile, message: "key_file: cannot read \(path): \(reason)")
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> SshPrivateKeyFile {
        let openSSHHeader = "-----BEGIN OPENSSH PRIVATE KEY-----"
        if let start = text.range(of: openSSHHeader), let end = text.range(of: "-----END OPENSSH PRIVATE KEY-----") {
            let body = text[start.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard let blob = Data(base64Encoded: String(body)) else { return SshPrivateKeyFile(type: nil, isEncrypted: false) }
            return parseOpenSSH([UInt8](blob))
        }
        let encrypted = text.contains("ENCRYPTED")
        if text.contains("BEGIN RSA PRIVATE KEY") { return SshPrivateKeyFile(type: "ssh-rsa", isEncrypted: encrypted) }
        if text.contains("BEGIN EC PRIVATE KEY") { return SshPrivateKeyFile(type: "ecdsa", isEncrypted: encrypted) }
        return SshPrivateKeyFile(type: nil, isEncrypted: encrypted)
    }

    /// `openssh-key-v1\0`, cipher, kdf, kdf options, key count, then the first public key,
    /// whose first string is the key type.
    private static func parseOpenSSH(_ blob: [UInt8]) -> SshPrivateKeyFile {
        let magic = Array("openssh-key-v1\0".utf8)
        guard blob.starts(with: magic) else { return SshPrivateKeyFile(type: nil, isEncrypted: false) }
        var offset = magic.count
        func string() -> [UInt8]? {
            guard offset + 4 <= blob.count else { return nil }
            let length = blob[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length >= 0, offset + length <= blob.count else { return nil }
            defer { offset += length }
            return Array(blob[offset..<offset + length])
        }
        let cipher = string().map { String(decoding: $0, as: UTF8.self) }
        _ = string()  // kdf name
        _ = string()  // kdf options
        offset += 4  // number of keys
        let publicKey = string()
        var type: String?
        if let publicKey, publicKey.count >= 4 {
            let length = publicKey[0..<4].reduce(0) { $0 << 8 | Int($1) }
            if 4 + length <= publicKey.count { type = String(decoding: publicKey[4..<4 + length], as: UTF8.self) }
        }
        return SshPrivateKeyFile(type: type, isEncrypted: cipher.map { $0 != "none" } ?? false)
    }
}

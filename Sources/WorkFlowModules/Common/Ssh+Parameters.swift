import Foundation
import WorkFlowEngine

// MARK: - Parameters

extension SshModule {
    static let defaultPort = 22
    static let defaultTimeoutSeconds = 30
    static let defaultKnownHostsFile = "~/.ssh/known_hosts"
    static let defaultMaxOutputBytes = 16 * 1024 * 1024

    /// `timeout` and `max_output` of `run` and `run_script`.
    struct CommandLimits: Equatable {
        var timeout: Int
        var maxOutput: Int
    }

    static func connectOptions(from params: JSONObject) throws(ParameterError) -> SshConnectOptions {
        let reader = ParameterReader(params)
        let host = try text(reader, "host")
        let username = try text(reader, "username")
        let port = try reader.int("port", default: defaultPort)
        guard (1...65_535).contains(port) else {
            throw ParameterError(path: "port", message: "expected a port number from 1 to 65535, got number \(port)")
        }
        let timeout = try reader.timeoutSeconds(default: Double(defaultTimeoutSeconds))
        let policyText = try reader.string("known_hosts", default: SshHostKeyPolicy.acceptNew.rawValue)
        guard let policy = SshHostKeyPolicy(rawValue: policyText) else {
            throw ParameterError(
                path: "known_hosts",
                message: "expected one of \(SshHostKeyPolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got string \"\(policyText)\"")
        }
        let knownHostsParameter = try reader.optionalString("known_hosts_file").flatMap { $0.isEmpty ? nil : $0 }
        try noNUL(knownHostsParameter, "known_hosts_file")

        let credential: SshCredential
        if let keyFile = try reader.optionalString("key_file"), !keyFile.isEmpty {
            try noNUL(keyFile, "key_file")
            let passphrase = try reader.optionalString("passphrase").flatMap { $0.isEmpty ? nil : $0 }
            try noNUL(passphrase, "passphrase")
            credential = .keyFile(path: expandingHome(keyFile), passphrase: passphrase)
        } else if let password = try reader.optionalString("password") {
            try noNUL(password, "password")
            credential = .password(password)
        } else {
            throw ParameterError(path: "password", message: "is required when key_file is not given (give password or key_file)")
        }
        return SshConnectOptions(
            host: host, port: port, username: username, credential: credential, timeoutSeconds: timeout, hostKeyPolicy: policy,
            knownHostsFile: expandingHome(knownHostsParameter ?? defaultKnownHostsFile),
            mayCreateKnownHostsFolder: knownHostsParameter == nil)
    }

    static func commandLimits(_ reader: ParameterReader) throws(ParameterError) -> CommandLimits {
        // Whole seconds, as the seed's int(); a fraction is rounded up.
        let timeout = Int(try reader.timeoutSeconds(default: Double(defaultTimeoutSeconds)).rounded(.up))
        let maxOutput = try reader.int("max_output", default: defaultMaxOutputBytes)
        guard maxOutput >= 0 else {
            throw ParameterError(path: "max_output", message: "expected a number of bytes (0 or more), got number \(maxOutput)")
        }
        return CommandLimits(timeout: timeout, maxOutput: maxOutput)
    }

    /// `args` as the text after the interpreter: a string as written (the seed's form), or a
    /// list of strings, each quoted for the remote shell.
    static func scriptArguments(_ reader: ParameterReader) throws(ParameterError) -> String {
        switch reader.value("args") {
        case nil: return ""
        case .string(let text): return text.trimmingCharacters(in: .whitespaces)
        case .array(let items):
            var quoted: [String] = []
            for (index, item) in items.enumerated() {
                switch item {
                case .string(let s): quoted.append(shellQuoted(s))
                case .int, .double: quoted.append(shellQuoted(JSONWriter.string(from: item)))
                default:
                    throw ParameterError(path: "args[\(index)]", message: "expected a string or a number, got \(ParameterReader.describe(item))")
                }
            }
            return quoted.joined(separator: " ")
        case let other?:
            throw reader.mismatch("args", expected: "a string or an array of strings", got: other)
        }
    }

    /// `text` in single quotes for a POSIX shell; a quote inside becomes `'\''`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// A required, non-empty string without NUL characters.
    private static func text(_ reader: ParameterReader, _ name: String) throws(ParameterError) -> String {
        let value = try reader.string(name)
        guard !value.isEmpty else { throw ParameterError(path: name, message: "must not be empty") }
        try noNUL(value, name)
        return value
    }

    private static func noNUL(_ value: String?, _ name: String) throws(ParameterError) {
        if let value, value.contains("\0") { throw ParameterError(path: name, message: "must not contain a NUL character") }
    }

    /// `~/x` as a path in the WorkFlow server's home folder.
    static func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return NSHomeDirectory() + path.dropFirst()
    }
}

// MARK: - Descriptor

extension SshModule {
    static let moduleDescriptor = ModuleDescriptor(
        name: "common.Ssh",
        doc: """
            Runs commands and scripts on a remote host over SSH and moves files over SFTP. One connection per \
            run; it is closed when the run ends, even without disconnect.
            """,
        methods: [
            MethodDescriptor(
                "connect",
                doc: """
                    Opens the run's SSH connection (replacing and closing an earlier one), checks the server's \
                    host key against known_hosts, and logs in with a password or a private key. A failure \
                    returns status false with the reason in error.
                    """,
                parameters: [
                    ParameterDescriptor("host", .string, required: true, doc: "Host name or IP address of the SSH server."),
                    ParameterDescriptor("port", .integer, default: .int(defaultPort), doc: "TCP port of the SSH server."),
                    ParameterDescriptor("username", .string, required: true, doc: "The account to log in as."),
                    ParameterDescriptor("password", .string, doc: "Password for password authentication (used when key_file is not given)."),
                    ParameterDescriptor(
                        "key_file", .string,
                        doc: """
                            Path of a private key file on the WorkFlow host (OpenSSH or PEM format; Ed25519, ECDSA or \
                            RSA). Takes precedence over password.
                            """),
                    ParameterDescriptor("passphrase", .string, doc: "Passphrase of an encrypted key_file."),
                    ParameterDescriptor(
                        "timeout", .number, default: .int(defaultTimeoutSeconds),
                        doc: "Seconds for connecting and logging in; also how long an upload or download may stall."),
                    ParameterDescriptor(
                        "known_hosts", .string, default: .string(SshHostKeyPolicy.acceptNew.rawValue),
                        doc: """
                            Host key checking: "accept-new" records unknown hosts and refuses changed keys; "strict" \
                            accepts only recorded hosts; "off" accepts any key (logged as a warning).
                            """),
                    ParameterDescriptor(
                        "known_hosts_file", .string, default: .string(defaultKnownHostsFile),
                        doc: "The OpenSSH known_hosts file to check and to add to (~ is the WorkFlow server's home)."),
                ],
                result: #"{"status": true, "host": "...", "port": 22, "username": "...", "host_key_fingerprint": "SHA256:..."}"#),
            MethodDescriptor(
                "disconnect", doc: "Closes the run's SSH connection, if there is one.", parameters: [],
                result: #"{"status": true}"#),
            MethodDescriptor(
                "run",
                doc: """
                    Runs a command on the remote host (through the remote user's shell) with stdin closed, and \
                    collects stdout and stderr as UTF-8 (invalid bytes replaced). A non-zero exit fails the step. On \
                    timeout the channel is closed and the result has exit_code -1, the output so far, and stderr \
                    ending in "timed out after N s".
                    """,
                parameters: commandParameters(first: [
                    ParameterDescriptor("cmd", .string, required: true, doc: "The command line, run by the remote user's shell.")
                ]),
                result: #"{"status": true, "exit_code": 0, "stdout": "...", "stderr": "..."}"#),
            MethodDescriptor(
                "run_script",
                doc: """
                    Streams a local script file to "<interpreter> <args>" on the remote host through stdin (nothing is \
                    uploaded) and returns the same result as run.
                    """,
                parameters: commandParameters(first: [
                    ParameterDescriptor("script_path", .string, required: true, doc: "Path of the script on the WorkFlow host."),
                    ParameterDescriptor("interpreter", .string, default: "bash", doc: "The remote program that reads the script from stdin."),
                    ParameterDescriptor(
                        "args", [.string, .array], default: "",
                        doc: """
                            Arguments after the interpreter: a string is passed to the remote shell as written; a list \
                            of strings is quoted item by item (e.g. ["-s", "--", "a b"]).
                            """),
                ]),
                result: #"{"status": true, "exit_code": 0, "stdout": "...", "stderr": "..."}"#),
            MethodDescriptor(
                "upload",
                doc: "Copies a local file to the remote host over SFTP, replacing a file there. Creates no folders.",
                parameters: [
                    ParameterDescriptor("local_path", .string, required: true, doc: "The file on the WorkFlow host."),
                    ParameterDescriptor("remote_path", .string, required: true, doc: "Where to write it on the remote host (a file path)."),
                    ParameterDescriptor(
                        "preserve_mode", .boolean, default: .bool(true),
                        doc: "Whether the remote file gets the local file's permission bits (else the server's default)."),
                ],
                result: #"{"status": true, "bytes": 1234, "local_path": "...", "remote_path": "..."}"#),
            MethodDescriptor(
                "download",
                doc: """
                    Copies a remote file to the WorkFlow host over SFTP. The data goes to a temporary file that \
                    replaces local_path only when complete. Creates no folders.
                    """,
                parameters: [
                    ParameterDescriptor("remote_path", .string, required: true, doc: "The file on the remote host."),
                    ParameterDescriptor("local_path", .string, required: true, doc: "Where to write it on the WorkFlow host (a file path)."),
                ],
                result: #"{"status": true, "bytes": 1234, "local_path": "...", "remote_path": "..."}"#),
        ])

    private static func commandParameters(first: [ParameterDescriptor]) -> [ParameterDescriptor] {
        first + [
            ParameterDescriptor(
                "timeout", .integer, default: .int(defaultTimeoutSeconds),
                doc: "Seconds before the command is given up (exit_code -1); a numeric string is accepted."),
            ParameterDescriptor(
                "max_output", .integer, default: .int(defaultMaxOutputBytes),
                doc: "Bytes of stdout and of stderr kept (each); the text then ends with a note of how much was left out."),
        ]
    }
}

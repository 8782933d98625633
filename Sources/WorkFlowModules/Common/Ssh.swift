import Foundation
import WorkFlowEngine

/// `common.Ssh`: one SSH connection per run (libssh2), to run commands and scripts on a remote
/// host and to move files over SFTP. The connection lives in the run's ``RunSession`` and is
/// closed when the run ends, whether or not the workflow calls `disconnect`.
public struct SshModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    /// Where the connection is kept in the run's session.
    static let sessionKey = "common.Ssh"
    static let notConnected = "not connected: call common.Ssh.connect first"

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "connect": return try await connect(params: params, context: context)
        case "disconnect": return await disconnect(context: context)
        case "run": return try await run(params: params, context: context)
        case "run_script": return try await runScript(params: params, context: context)
        case "upload": return try await transfer(.upload, params: params, context: context)
        case "download": return try await transfer(.download, params: params, context: context)
        default:
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
    }

    // MARK: - connect / disconnect

    func connect(params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let options = try Self.connectOptions(from: params)
        // A new connect replaces the old connection, and a failed one leaves none (as the seed).
        if let previous = context.session.removeResource(Self.sessionKey) {
            context.logger.info("closing the previous SSH connection")
            await previous.close()
        }
        context.logger.info("connecting to \(options.username)@\(options.host):\(options.port)")
        let logger = context.logger
        do throws(SshError) {
            let connection = try await SshConnection.openConnection(options) { level, message in
                switch level {
                case .info: logger.info(message)
                case .warning: logger.warning(message)
                }
            }
            if let replaced = context.session.setResource(connection, for: Self.sessionKey) {
                await replaced.close()
            }
            context.logger.info("connected to \(options.username)@\(options.host):\(options.port) (host key \(connection.hostKeyFingerprint))")
            return .success([
                "status": true, "host": .string(options.host), "port": .int(options.port), "username": .string(options.username),
                "host_key_fingerprint": .string(connection.hostKeyFingerprint),
            ])
        } catch {
            if error.kind == .cancelled { throw CancellationError() }
            context.logger.error(error.message)
            return .failure(["status": false, "error": .string(error.message)], error: error.message)
        }
    }

    func disconnect(context: StepContext) async -> ModuleOutput {
        if let connection = context.session.removeResource(Self.sessionKey) {
            await connection.close()
            context.logger.info("disconnected")
        }
        return .success(["status": true])
    }

    /// The run's open connection, if any.
    private func connection(in context: StepContext) -> SshConnection? {
        guard let connection = context.session.resource(Self.sessionKey) as? SshConnection, connection.isOpen else { return nil }
        return connection
    }

    // MARK: - run / run_script

    func run(params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let command = try reader.string("cmd")
        let limits = try Self.commandLimits(reader)
        guard let connection = connection(in: context) else {
            return .failure(Self.commandResult(exitCode: -1, stdout: "", stderr: ""), error: Self.notConnected)
        }
        context.logger.debug("running on \(connection.host): \(String(command.prefix(200)))")
        return try await execute(command, stdin: [], limits: limits, on: connection, context: context)
    }

    func runScript(params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let scriptPath = try reader.string("script_path")
        let interpreter = try reader.string("interpreter", default: "bash")
        guard !interpreter.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ParameterError(path: "interpreter", message: "must not be empty")
        }
        let arguments = try Self.scriptArguments(reader)
        let limits = try Self.commandLimits(reader)
        guard let connection = connection(in: context) else {
            return .failure(Self.commandResult(exitCode: -1, stdout: "", stderr: ""), error: Self.notConnected)
        }
        guard let script = FileManager.default.contents(atPath: scriptPath) else {
            let message = "Script file not found: \(scriptPath)"
            context.logger.error(message)
            return .failure(Self.commandResult(exitCode: -1, stdout: "", stderr: message), error: message)
        }
        let command = arguments.isEmpty ? interpreter : "\(interpreter) \(arguments)"
        context.logger.debug("running \(scriptPath) (\(script.count) bytes) on \(connection.host) through: \(String(command.prefix(200)))")
        return try await execute(command, stdin: [UInt8](script), limits: limits, on: connection, context: context)
    }

    private func execute(
        _ command: String, stdin: [UInt8], limits: CommandLimits, on connection: SshConnection, context: StepContext
    ) async throws -> ModuleOutput {
        let outcome: SshCommandOutcome
        do throws(SshError) {
            outcome = try await connection.execute(command, stdin: stdin, timeout: .seconds(limits.timeout), maxOutputBytes: limits.maxOutput)
        } catch {
            if error.kind == .cancelled { throw CancellationError() }
            context.logger.error(error.message)
            return .failure(Self.commandResult(exitCode: -1, stdout: "", stderr: error.message), error: error.message)
        }
        for (name, output) in [("stdout", outcome.stdout), ("stderr", outcome.stderr)] where output.droppedByteCount > 0 {
            context.logger.warning(
                "\(name) truncated: kept the first \(limits.maxOutput) bytes, dropped \(output.droppedByteCount) more (raise max_output to keep more)")
        }
        if outcome.timedOut {
            let note = "timed out after \(limits.timeout) s"
            let stderr = outcome.stderr.text
            let message = "command \(note); the channel was closed (the remote process may still be running)"
            context.logger.error(message)
            return .failure(
                Self.commandResult(exitCode: -1, stdout: outcome.stdout.text, stderr: stderr + (stderr.isEmpty || stderr.hasSuffix("\n") ? "" : "\n") + note),
                error: message)
        }
        let result = Self.commandResult(exitCode: outcome.exitCode, stdout: outcome.stdout.text, stderr: outcome.stderr.text)
        guard outcome.exitCode != 0 else { return .success(result) }
        let excerpt = String(outcome.stderr.text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        let ending = outcome.exitSignal.map { "was killed by signal \($0)" } ?? "exited with code \(outcome.exitCode)"
        let message = "remote command \(ending)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
        context.logger.error(message)
        return .failure(result, error: message)
    }

    /// The seed's command result: `{"status", "exit_code", "stdout", "stderr"}`, as common.Bash's.
    static func commandResult(exitCode: Int, stdout: String, stderr: String) -> JSONValue {
        BashModule.result(exitCode: exitCode, stdout: stdout, stderr: stderr)
    }

    // MARK: - upload / download

    enum Direction {
        case upload, download
    }

    func transfer(_ direction: Direction, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let localPath = try reader.string("local_path")
        let remotePath = try reader.string("remote_path")
        var preserveMode = false
        if direction == .upload { preserveMode = try reader.bool("preserve_mode", default: true) }
        for (name, path) in [("local_path", localPath), ("remote_path", remotePath)] where path.isEmpty || path.contains("\0") {
            throw ParameterError(path: name, message: path.isEmpty ? "must not be empty" : "must not contain a NUL character")
        }
        guard let connection = connection(in: context) else {
            return .failure(["status": false, "error": .string(Self.notConnected)], error: Self.notConnected)
        }
        do throws(SshError) {
            let bytes: Int64
            switch direction {
            case .upload:
                context.logger.info("uploading \(localPath) to \(connection.host):\(remotePath)")
                bytes = try await connection.upload(localPath: localPath, remotePath: remotePath, preserveMode: preserveMode)
            case .download:
                context.logger.info("downloading \(connection.host):\(remotePath) to \(localPath)")
                bytes = try await connection.download(remotePath: remotePath, localPath: localPath)
            }
            context.logger.info("\(bytes) bytes transferred")
            return .success(["status": true, "bytes": .int(Int(bytes)), "local_path": .string(localPath), "remote_path": .string(remotePath)])
        } catch {
            if error.kind == .cancelled { throw CancellationError() }
            context.logger.error(error.message)
            return .failure(["status": false, "error": .string(error.message)], error: error.message)
        }
    }
}

extension SshConnection: RunResource {}

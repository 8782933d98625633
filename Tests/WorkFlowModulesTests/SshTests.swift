import Foundation
import Synchronization
import Testing
import WorkFlowEngine

@testable import WorkFlowModules

#if canImport(Glibc)
import Glibc
#endif

@Suite("common.Ssh", .needsSshd)
struct SshTests {
    let module = SshModule()

    private func call(_ method: String, _ params: JSONObject, _ context: StepContext) async throws -> ModuleOutput {
        try await module.call(method, params: params, context: context)
    }

    private func connect(_ params: [String: String], _ context: StepContext) async throws -> ModuleOutput {
        try await call("connect", JSONObject(uniqueKeysWithValues: params.map { ($0.key, JSONValue.string($0.value)) }), context)
    }

    /// Runs `body` with a fresh server and a context connected to it by key; closes the connection after.
    private func withConnection(_ body: (SshTestServer, StepContext) async throws -> Void) async throws {
        try await withSshServer { server in
            let context = StepContext.standalone()
            let login = try await connect(server.keyLogin("id_ed25519"), context)
            try #require(login.error == nil, "\(login.error ?? "")\n\(server.server.log())")
            do {
                try await body(server, context)
            } catch {
                await context.session.closeAll()
                throw error
            }
            await context.session.closeAll()
        }
    }

    private func commandResult(_ exitCode: Int, _ stdout: String, _ stderr: String) -> JSONValue {
        ["status": .bool(exitCode == 0), "exit_code": .int(exitCode), "stdout": .string(stdout), "stderr": .string(stderr)]
    }

    // MARK: Logging in

    @Test("a password login as a local account connects and reports the host's SHA256 fingerprint", .needsPasswordAccount)
    func passwordLogin() async throws {
        let password = try #require(SshTestPrograms.password)
        try await withSshServer(keys: [], passwordAuthentication: true) { server in
            let context = StepContext.standalone()
            let output = try await connect(
                ["host": "127.0.0.1", "port": String(server.port), "username": SshTestPrograms.passwordUser, "password": password,
                 "known_hosts_file": server.knownHostsFile], context)
            #expect(output == .success([
                "status": true, "host": "127.0.0.1", "port": .int(server.port), "username": .string(SshTestPrograms.passwordUser),
                "host_key_fingerprint": .string(server.hostKeyFingerprint),
            ]))
            let whoami = try await call("run", ["cmd": "id -un"], context)
            #expect(whoami == .success(commandResult(0, SshTestPrograms.passwordUser + "\n", "")))
            await context.session.closeAll()
        }
    }

    @Test("a wrong password fails with status false and an authentication error", .needsPasswordAccount)
    func wrongPassword() async throws {
        try await withSshServer(keys: [], passwordAuthentication: true) { server in
            let context = StepContext.standalone()
            let output = try await connect(
                ["host": "127.0.0.1", "port": String(server.port), "username": SshTestPrograms.passwordUser,
                 "password": "not-the-password", "known_hosts_file": server.knownHostsFile], context)
            let error = try #require(output.error)
            #expect(output.result == ["status": false, "error": .string(error)])
            #expect(error.hasPrefix("authentication failed for user 'workflow-ssh-test' on 127.0.0.1:\(server.port) (password)"))
            #expect(context.session.keys.isEmpty)
        }
    }

    @Test(
        "Ed25519 and ECDSA keys in OpenSSH format log in, with and without a passphrase",
        arguments: [("ed25519", ""), ("ecdsa", ""), ("ed25519", "correct horse"), ("ecdsa", "correct horse")])
    func keyLogin(type: String, passphrase: String) async throws {
        try await withSshServer(keys: [SshKeySpec(name: "id", type: type, passphrase: passphrase)]) { server in
            let context = StepContext.standalone()
            let output = try await connect(server.keyLogin("id", passphrase: passphrase.isEmpty ? nil : passphrase), context)
            #expect(output.result.objectValue?["status"] == true, "\(output.error ?? "")\n\(server.server.log())")
            let echo = try await call("run", ["cmd": "echo ok"], context)
            #expect(echo == .success(commandResult(0, "ok\n", "")))
            await context.session.closeAll()
        }
    }

    @Test("an RSA key logs in where the server allows ssh-rsa signatures (libssh2 1.10 loads it)")
    func rsaKeyWithSHA1Allowed() async throws {
        let keys = [SshKeySpec(name: "id_rsa", type: "rsa"), SshKeySpec(name: "id_rsa_pass", type: "rsa", passphrase: "pw")]
        try await withSshServer(keys: keys, options: ["PubkeyAcceptedAlgorithms=+ssh-rsa"]) { server in
            for (name, passphrase) in [("id_rsa", nil), ("id_rsa_pass", "pw")] as [(String, String?)] {
                let context = StepContext.standalone()
                let output = try await connect(server.keyLogin(name, passphrase: passphrase), context)
                #expect(output.result.objectValue?["status"] == true, "\(name): \(output.error ?? "")")
                await context.session.closeAll()
            }
        }
    }

    @Test("an RSA key against a default OpenSSH fails with an error that explains libssh2 1.10's SHA-1 signatures")
    func rsaKeyRefusedByDefault() async throws {
        try await withSshServer(keys: [SshKeySpec(name: "id_rsa", type: "rsa")]) { server in
            let output = try await connect(server.keyLogin("id_rsa"), .standalone())
            let error = try #require(output.error)
            #expect(error.contains("authentication failed for user '\(SshTestPrograms.currentUser)'"))
            #expect(error.contains("ssh-rsa (SHA-1)"))
            #expect(error.contains("use an Ed25519 or ECDSA key"))
        }
    }

    @Test("a key the server does not know fails authentication and names the key file")
    func unauthorizedKey() async throws {
        let keys = [SshKeySpec(name: "id_stranger", type: "ed25519", authorized: false)]
        try await withSshServer(keys: keys) { server in
            let output = try await connect(server.keyLogin("id_stranger"), .standalone())
            let error = try #require(output.error)
            #expect(error.hasPrefix("authentication failed for user '\(SshTestPrograms.currentUser)' on 127.0.0.1:\(server.port) with key \(server.key("id_stranger"))"))
        }
    }

    @Test("a wrong passphrase, a missing passphrase and a missing key file are errors naming the file")
    func keyFileProblems() async throws {
        try await withSshServer(keys: [SshKeySpec(name: "id_locked", type: "ed25519", passphrase: "right")]) { server in
            let wrong = try await connect(server.keyLogin("id_locked", passphrase: "wrong"), .standalone())
            #expect(wrong.error?.hasPrefix("cannot load the private key \(server.key("id_locked")) (wrong passphrase or unsupported key format)") == true)
            let missing = try await connect(server.keyLogin("id_locked"), .standalone())
            #expect(missing.error?.hasPrefix("cannot load the private key \(server.key("id_locked")) (the key is encrypted: give its passphrase)") == true)
            let absent = try await connect(server.keyLogin("no_such_key"), .standalone())
            #expect(absent.error == "key_file: cannot read \(server.key("no_such_key")): no such file")
            #expect(absent.result == ["status": false, "error": .string(absent.error ?? "")])
        }
    }

    @Test("a port nobody listens on is refused at once")
    func refusedQuickly() async throws {
        let port = try freeLocalPort()
        let started = ContinuousClock.now
        let output = try await connect(
            ["host": "127.0.0.1", "port": String(port), "username": "nobody", "password": "x"], .standalone())
        #expect(output.error == "cannot connect to 127.0.0.1:\(port): Connection refused")
        #expect(output.result == ["status": false, "error": .string("cannot connect to 127.0.0.1:\(port): Connection refused")])
        // Far below the 30 s connect timeout; loose, because a loaded 2-core machine is slow to schedule.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a host name that does not resolve is an error naming it")
    func unresolvableHost() async throws {
        let output = try await connect(["host": "no-such-host.invalid", "username": "nobody", "password": "x"], .standalone())
        #expect(output.error?.hasPrefix("cannot resolve host 'no-such-host.invalid': ") == true)
    }

    // MARK: Host keys

    @Test("accept-new records an unknown host in known_hosts, and strict then accepts it")
    func acceptNewRecordsTheHost() async throws {
        try await withSshServer { server in
            try "# kept\n".write(toFile: server.knownHostsFile, atomically: true, encoding: .utf8)
            let first = try await connect(server.keyLogin("id_ed25519"), .standalone())
            #expect(first.error == nil)
            let hostKey = try String(contentsOfFile: server.folder.appendingPathComponent("host_ed25519.pub").path, encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let written = try String(contentsOfFile: server.knownHostsFile, encoding: .utf8)
            #expect(written == "# kept\n[127.0.0.1]:\(server.port) \(hostKey)\n")

            var strict = server.keyLogin("id_ed25519")
            strict["known_hosts"] = "strict"
            let second = try await connect(strict, .standalone())
            #expect(second.error == nil)
            #expect(try String(contentsOfFile: server.knownHostsFile, encoding: .utf8) == written)
        }
    }

    @Test("strict refuses a host that is not in known_hosts, and writes nothing")
    func strictRefusesUnknownHosts() async throws {
        try await withSshServer { server in
            var params = server.keyLogin("id_ed25519")
            params["known_hosts"] = "strict"
            let output = try await connect(params, .standalone())
            #expect(
                output.error
                    == "host [127.0.0.1]:\(server.port) is not in the known_hosts file \(server.knownHostsFile) (known_hosts: strict); it offers ssh-ed25519 \(server.hostKeyFingerprint)")
            #expect(!FileManager.default.fileExists(atPath: server.knownHostsFile))
        }
    }

    @Test("a changed host key is refused with the host and the new fingerprint, and off accepts it")
    func changedHostKeyIsRefused() async throws {
        try await withSshServer(keys: [SshKeySpec(name: "id_ed25519", type: "ed25519"), SshKeySpec(name: "other", type: "ed25519")]) {
            server in
            let otherKey = try String(contentsOfFile: server.key("other") + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
                .joined(separator: " ")
            try "[127.0.0.1]:\(server.port) \(otherKey)\n".write(toFile: server.knownHostsFile, atomically: true, encoding: .utf8)
            let refused = try await connect(server.keyLogin("id_ed25519"), .standalone())
            let error = try #require(refused.error)
            #expect(error.hasPrefix("host key for [127.0.0.1]:\(server.port) has CHANGED: the server offers ssh-ed25519 \(server.hostKeyFingerprint)"))

            var off = server.keyLogin("id_ed25519")
            off["known_hosts"] = "off"
            let context = StepContext.standalone()
            let accepted = try await connect(off, context)
            #expect(accepted.error == nil)
            #expect(context.logger.lines.contains { $0.message.contains("host key checking is off") })
            await context.session.closeAll()
        }
    }

    // MARK: Commands

    @Test("run returns stdout, stderr and the exit code; a non-zero exit fails and quotes stderr")
    func runCollectsBothStreams() async throws {
        try await withConnection { server, context in
            let ok = try await call("run", ["cmd": "echo out; echo err >&2"], context)
            #expect(ok == .success(commandResult(0, "out\n", "err\n")))
            let failed = try await call("run", ["cmd": "echo partial; echo ' disk full ' >&2; exit 3"], context)
            #expect(failed == .failure(commandResult(3, "partial\n", " disk full \n"), error: "remote command exited with code 3: disk full"))
            let bytes = try await call("run", ["cmd": #"printf 'a\377b caf\303\251'; cat"#], context)
            #expect(bytes == .success(commandResult(0, "a\u{FFFD}b café", "")))
        }
    }

    @Test("output beyond max_output is dropped and the text says how much")
    func outputIsCapped() async throws {
        try await withConnection { server, context in
            let output = try await call("run", ["cmd": "head -c 100000 /dev/zero | tr '\\0' x", "max_output": 10], context)
            #expect(output == .success(commandResult(0, "xxxxxxxxxx\n[output truncated: 99990 more bytes]", "")))
        }
    }

    @Test("a command past its timeout returns status false, exit_code -1, its output so far, and the connection stays usable")
    func runTimesOut() async throws {
        try await withConnection { server, context in
            let started = ContinuousClock.now
            let output = try await call("run", ["cmd": "echo started; echo warming >&2; sleep 20", "timeout": 3], context)
            #expect(ContinuousClock.now - started < .seconds(15))
            // The output so far is kept; on a starved machine the echo may not have arrived within the 3 s.
            #expect(output.result["status"] == false)
            #expect(output.result["exit_code"] == -1)
            #expect(["started\n", ""].contains(output.result["stdout"]?.stringValue))
            #expect(["warming\ntimed out after 3 s", "timed out after 3 s"].contains(output.result["stderr"]?.stringValue))
            #expect(output.error == "command timed out after 3 s; the channel was closed (the remote process may still be running)")
            let again = try await call("run", ["cmd": "echo again"], context)
            #expect(again == .success(commandResult(0, "again\n", "")))
        }
    }

    @Test("cancelling the task of a running command returns at once, and the connection stays usable")
    func cancellationStopsARunningCommand() async throws {
        try await withConnection { server, context in
            let marker = server.folder.appendingPathComponent("running").path
            let module = self.module
            let task = Task { try await module.call("run", params: ["cmd": .string("touch \(marker); sleep 30")], context: context) }
            // Readiness probe: the remote command has started once its marker file exists.
            let startedBy = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: marker) {
                try #require(ContinuousClock.now < startedBy, "the remote command never started")
                try await Task.sleep(for: .milliseconds(20))
            }
            let cancelled = ContinuousClock.now
            task.cancel()
            let outcome = await task.result
            // Loose for a loaded machine; without the cancel it would wait for the whole sleep 30.
            #expect(ContinuousClock.now - cancelled < .seconds(8))
            #expect(throws: CancellationError.self) { try outcome.get() }
            let again = try await call("run", ["cmd": "echo again"], context)
            #expect(again == .success(commandResult(0, "again\n", "")))
        }
    }

    @Test("run_script streams the local script to the interpreter with list args quoted and string args as written")
    func runScriptWithArguments() async throws {
        try await withConnection { server, context in
            let script = server.folder.appendingPathComponent("show.sh").path
            try "echo \"count=$#\"\nfor a in \"$@\"; do echo \"[$a]\"; done\necho oops >&2\n".write(toFile: script, atomically: true, encoding: .utf8)
            let listed = try await call(
                "run_script", ["script_path": .string(script), "args": ["-s", "--", "a b", "it's", 7]], context)
            #expect(listed == .success(commandResult(0, "count=3\n[a b]\n[it's]\n[7]\n", "oops\n")))
            let written = try await call("run_script", ["script_path": .string(script), "interpreter": "sh", "args": "-s x y"], context)
            #expect(written == .success(commandResult(0, "count=2\n[x]\n[y]\n", "oops\n")))
        }
    }

    @Test("run_script with a missing local file returns the seed's failure")
    func runScriptMissingFile() async throws {
        try await withConnection { server, context in
            let output = try await call("run_script", ["script_path": "/no/such/script.sh"], context)
            #expect(output == .failure(commandResult(-1, "", "Script file not found: /no/such/script.sh"), error: "Script file not found: /no/such/script.sh"))
        }
    }

    // MARK: Files

    @Test("upload and download round-trip a file over SFTP, report the sizes and keep the mode")
    func uploadDownloadRoundTrip() async throws {
        try await withConnection { server, context in
            let local = server.folder.appendingPathComponent("local.bin").path
            let bytes = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: local))
            try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: local)
            let remote = server.folder.appendingPathComponent("remote.bin").path
            let up = try await call("upload", ["local_path": .string(local), "remote_path": .string(remote)], context)
            #expect(up == .success(["status": true, "bytes": 150_000, "local_path": .string(local), "remote_path": .string(remote)]))
            let mode = try FileManager.default.attributesOfItem(atPath: remote)[.posixPermissions] as? Int
            #expect(mode == 0o750)

            let back = server.folder.appendingPathComponent("back.bin").path
            let down = try await call("download", ["remote_path": .string(remote), "local_path": .string(back)], context)
            #expect(down == .success(["status": true, "bytes": 150_000, "local_path": .string(back), "remote_path": .string(remote)]))
            #expect(FileManager.default.contents(atPath: back) == Data(bytes))
        }
    }

    @Test("a missing destination folder is an error naming it, and a failed download leaves no file behind")
    func missingFoldersAreErrors() async throws {
        try await withConnection { server, context in
            let local = server.folder.appendingPathComponent("local.txt").path
            try "hello".write(toFile: local, atomically: true, encoding: .utf8)
            let missingRemote = server.folder.appendingPathComponent("nowhere/remote.txt").path
            let up = try await call("upload", ["local_path": .string(local), "remote_path": .string(missingRemote)], context)
            let upError = "the remote folder \(server.folder.appendingPathComponent("nowhere").path) does not exist (upload creates no folders)"
            #expect(up == .failure(["status": false, "error": .string(upError)], error: upError))

            let missingLocal = server.folder.appendingPathComponent("absent/copy.txt").path
            let down = try await call("download", ["remote_path": .string(local), "local_path": .string(missingLocal)], context)
            #expect(down.error == "the local folder \(server.folder.appendingPathComponent("absent").path) does not exist (download creates no folders)")

            let target = server.folder.appendingPathComponent("copy.txt").path
            let noFile = try await call("download", ["remote_path": "/no/such/file", "local_path": .string(target)], context)
            #expect(noFile.error == "the remote file /no/such/file does not exist")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.folder.path).filter { $0.contains("copy.txt") }
            #expect(leftovers.isEmpty)
        }
    }

    // MARK: The run's session

    @Test("without connect, or after disconnect, every method fails with 'not connected'")
    func notConnected() async throws {
        let context = StepContext.standalone()
        let run = try await call("run", ["cmd": "true"], context)
        #expect(run == .failure(commandResult(-1, "", ""), error: "not connected: call common.Ssh.connect first"))
        let script = try await call("run_script", ["script_path": "/x.sh"], context)
        #expect(script.error == "not connected: call common.Ssh.connect first")
        let up = try await call("upload", ["local_path": "/a", "remote_path": "/b"], context)
        #expect(up == .failure(["status": false, "error": "not connected: call common.Ssh.connect first"], error: "not connected: call common.Ssh.connect first"))
        let disconnect = try await call("disconnect", [:], context)
        #expect(disconnect == .success(["status": true]))
    }

    @Test("a new connect replaces and closes the previous connection; disconnect closes it")
    func connectReplaces() async throws {
        try await withSshServer { server in
            let context = StepContext.standalone()
            _ = try await connect(server.keyLogin("id_ed25519"), context)
            let first = try #require(context.session.resource(SshModule.sessionKey) as? SshConnection)
            _ = try await connect(server.keyLogin("id_ed25519"), context)
            let second = try #require(context.session.resource(SshModule.sessionKey) as? SshConnection)
            #expect(!first.isOpen && second.isOpen)
            _ = try await call("disconnect", [:], context)
            #expect(!second.isOpen && context.session.keys.isEmpty)
            let after = try await call("run", ["cmd": "true"], context)
            #expect(after.error == "not connected: call common.Ssh.connect first")
        }
    }

    @Test("a workflow that logs in with @sys.ssh_key and forgets disconnect has its connection closed when the run ends")
    func runEndClosesTheConnection() async throws {
        try await withSshServer { server in
            let spy = SessionSpy()
            let keys = InMemorySystemVariables(["ssh_key": SystemVariable(value: .string(server.key("id_ed25519")))])
            let executor = Executor(registry: ModuleRegistry([SshModule(), spy]), systemVariables: keys)
            let workflow = try Workflow(
                json: """
                    {"procedures": [
                      {"name": "login", "mod": "common.Ssh", "method": "connect", "params": {
                        "host": "127.0.0.1", "port": \(server.port), "username": "\(SshTestPrograms.currentUser)",
                        "key_file": "@sys.ssh_key", "known_hosts_file": "\(server.knownHostsFile)"}},
                      {"name": "hello", "mod": "common.Ssh", "method": "run", "params": {"cmd": "echo hello"}},
                      {"name": "peek", "mod": "test.SessionSpy", "method": "grab"}
                    ]}
                    """)
            let result = try await executor.run(workflow)
            #expect(result.status == .success, "\(result.steps.map { "\($0.name): \($0.error ?? "ok")" })")
            #expect(result.steps.first { $0.name == "hello" }?.result == commandResult(0, "hello\n", ""))
            let connection = try #require(spy.grabbed as? SshConnection)
            #expect(!connection.isOpen)
            // The server saw the goodbye that closing sends (polling its log: it writes the line a moment later).
            let deadline = ContinuousClock.now + .seconds(10)
            while !server.server.log().contains("Received disconnect from 127.0.0.1") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.server.log().contains("Received disconnect from 127.0.0.1"))
        }
    }

    // MARK: Parameters

    @Test("bad parameters are errors that name the field")
    func parameterErrors() async throws {
        let context = StepContext.standalone()
        let cases: [(String, JSONObject, String)] = [
            ("connect", ["username": "u", "password": "p"], "params.host: is required"),
            ("connect", ["host": "", "username": "u", "password": "p"], "params.host: must not be empty"),
            ("connect", ["host": "h", "password": "p"], "params.username: is required"),
            ("connect", ["host": "h", "username": "u"], "params.password: is required when key_file is not given (give password or key_file)"),
            ("connect", ["host": "h", "username": "u", "password": "p", "port": 70000], "params.port: expected a port number from 1 to 65535, got number 70000"),
            ("connect", ["host": "h", "username": "u", "password": "p", "timeout": 0], "params.timeout: expected a positive number of seconds up to 604800 (a week), got number 0"),
            ("connect", ["host": "h", "username": "u", "password": "p", "known_hosts": "maybe"],
             #"params.known_hosts: expected one of "accept-new", "strict", "off", got string "maybe""#),
            ("run", [:], "params.cmd: is required"),
            ("run", ["cmd": "x", "timeout": "soon"], #"params.timeout: expected a number, got string "soon""#),
            ("run_script", ["script_path": "/x", "args": ["a", true]], "params.args[1]: expected a string or a number, got boolean true"),
            ("run_script", ["script_path": "/x", "args": 3], "params.args: expected a string or an array of strings, got number 3"),
            ("upload", ["local_path": "/a"], "params.remote_path: is required"),
            ("download", ["remote_path": "/a", "local_path": ""], "params.local_path: must not be empty"),
        ]
        for (method, params, message) in cases {
            await #expect(throws: ParameterError.self, "\(method) \(params)") {
                do {
                    _ = try await call(method, params, context)
                } catch let error as ParameterError {
                    #expect(error.description == message)
                    throw error
                }
            }
        }
    }

    @Test("list args are single-quoted for the remote shell")
    func shellQuoting() {
        #expect(SshModule.shellQuoted("it's") == #"'it'\''s'"#)
        #expect(SshModule.shellQuoted("") == "''")
    }

    @Test("the key file reader finds the key type and encryption of OpenSSH and PEM keys")
    func privateKeyFileKinds() {
        #expect(SshPrivateKeyFile.parse("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n") == SshPrivateKeyFile(type: "ssh-rsa", isEncrypted: true))
        #expect(SshPrivateKeyFile.parse("not a key") == SshPrivateKeyFile(type: nil, isEncrypted: false))
    }
}

/// `test.SessionSpy.grab`: keeps the run's SSH connection for the test to look at after the run.
final class SessionSpy: Module {
    private let box = Mutex<(any RunResource)?>(nil)

    var grabbed: (any RunResource)? { box.withLock { $0 } }

    let descriptor = ModuleDescriptor(
        name: "test.SessionSpy", doc: "Test spy.", methods: [MethodDescriptor("grab", doc: "grab", parameters: [], result: "")])

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let resource = context.session.resource(SshModule.sessionKey)
        box.withLock { $0 = resource }
        return .success(["status": true])
    }
}

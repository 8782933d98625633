import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// A throwaway OpenSSH sshd for common.Ssh's tests: its own folder with a fresh host key, user
// keys made by ssh-keygen, and an authorized_keys file; listening on a free port of 127.0.0.1.

/// What the SSH tests need installed, and the local account of the password tests.
enum SshTestPrograms {
    static let sshd = "/usr/sbin/sshd"
    static let sshKeygen = "/usr/bin/ssh-keygen"

    static var isInstalled: Bool {
        IntegrationServers.executable(sshd) != nil && IntegrationServers.executable(sshKeygen) != nil
    }

    /// The account and password file `ensure_ssh_test_user` in scripts/lib.sh prepares (as root).
    static let passwordUser = "workflow-ssh-test"
    static let passwordFile = "/var/lib/workflow-ssh-test/password"

    static var isRoot: Bool { getuid() == 0 }

    /// The test account's password, when we are root and the account is set up.
    static var password: String? {
        guard isRoot, getpwnam(passwordUser) != nil,
            let text = try? String(contentsOfFile: passwordFile, encoding: .utf8)
        else { return nil }
        let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return password.isEmpty ? nil : password
    }

    /// The user running the tests: key logins go to this account (a non-root sshd can only log
    /// in the user running it).
    static var currentUser: String {
        guard let entry = getpwuid(getuid()) else { return "root" }
        return String(cString: entry.pointee.pw_name)
    }
}

extension Trait where Self == ConditionTrait {
    /// OpenSSH's sshd and ssh-keygen are installed.
    static var needsSshd: Self {
        .needsServer("OpenSSH's sshd and ssh-keygen") { SshTestPrograms.isInstalled }
    }

    /// Password logins need root (sshd checks the system's password database) and the
    /// `workflow-ssh-test` account: skipped as another user, required with
    /// WORKFLOW_TEST_REQUIRE_SERVERS=1 as root.
    static var needsPasswordAccount: Self {
        .enabled("needs root and the workflow-ssh-test account (scripts/lib.sh ensure_ssh_test_user)") {
            guard SshTestPrograms.isRoot else { return false }
            if SshTestPrograms.password != nil { return true }
            if IntegrationServers.isRequired {
                throw ServerMissing(what: "the workflow-ssh-test account with its password in \(SshTestPrograms.passwordFile)")
            }
            return false
        }
    }
}

/// One test's SSH files and server.
struct SshTestServer {
    let folder: URL
    let server: LocalServer
    /// `SHA256:...` of the server's host key, as ssh-keygen prints it.
    let hostKeyFingerprint: String

    var port: Int { server.port }
    /// A known_hosts file of this test only (not there until a connect writes it).
    var knownHostsFile: String { folder.appendingPathComponent("known_hosts").path }

    /// The path of a key made by ``SshKeys``.
    func key(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// `connect` parameters for a key login as the current user, with this test's known_hosts.
    func keyLogin(_ name: String, passphrase: String? = nil) -> [String: String] {
        var params = [
            "host": "127.0.0.1", "port": String(port), "username": SshTestPrograms.currentUser, "key_file": key(name),
            "known_hosts_file": knownHostsFile,
        ]
        if let passphrase { params["passphrase"] = passphrase }
        return params
    }
}

/// A user key for the test server: its file name, type, passphrase, and whether it is authorized.
struct SshKeySpec: Sendable {
    var name: String
    var type: String
    var passphrase = ""
    var authorized = true
}

/// Runs `body` with a fresh sshd and stops it (and removes its folder) on every way out.
func withSshServer<T>(
    keys: [SshKeySpec] = [SshKeySpec(name: "id_ed25519", type: "ed25519")], passwordAuthentication: Bool = false,
    options: [String] = [], _ body: (SshTestServer) async throws -> T
) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-ssh-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    let hostKey = folder.appendingPathComponent("host_ed25519").path
    try await runTool(SshTestPrograms.sshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f", hostKey])
    var authorized = ""
    for spec in keys {
        let path = folder.appendingPathComponent(spec.name).path
        var arguments = ["-q", "-t", spec.type, "-N", spec.passphrase, "-C", spec.name, "-f", path]
        if spec.type == "rsa" { arguments += ["-b", "2048"] }
        try await runTool(SshTestPrograms.sshKeygen, arguments)
        if spec.authorized { authorized += try String(contentsOfFile: path + ".pub", encoding: .utf8) }
    }
    let authorizedKeys = folder.appendingPathComponent("authorized_keys").path
    try authorized.write(toFile: authorizedKeys, atomically: true, encoding: .utf8)
    let fingerprintLine = try await runTool(SshTestPrograms.sshKeygen, ["-l", "-E", "sha256", "-f", hostKey + ".pub"])
    let fingerprint = fingerprintLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""

    // sshd's privilege separation folder; only root can (and must) have it.
    if SshTestPrograms.isRoot { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
    let port = try freeLocalPort()
    var arguments = [
        "-D", "-e", "-f", "/dev/null", "-p", String(port), "-h", hostKey,
        "-o", "ListenAddress=127.0.0.1", "-o", "PidFile=none", "-o", "AuthorizedKeysFile=\(authorizedKeys)",
        "-o", "StrictModes=no", "-o", "UsePAM=no", "-o", "PermitRootLogin=prohibit-password",
        "-o", "PasswordAuthentication=\(passwordAuthentication ? "yes" : "no")", "-o", "KbdInteractiveAuthentication=no",
        "-o", "Subsystem=sftp internal-sftp", "-o", "LogLevel=VERBOSE",
    ]
    for option in options { arguments += ["-o", option] }
    return try await withLocalServer({
        try await LocalServer.start("sshd", executable: SshTestPrograms.sshd, arguments: arguments, port: port)
    }) { server in
        try await body(SshTestServer(folder: folder, server: server, hostKeyFingerprint: fingerprint))
    }
}

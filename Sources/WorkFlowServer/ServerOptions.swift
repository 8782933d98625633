import Foundation
import WorkFlowStore

/// How `workflow serve` runs: where it listens, how it treats runs, and its credentials policy.
public struct ServerOptions: Sendable, Equatable {
    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// The web UI's address; the API answers here too.
    public var web: Listener
    /// The seed's API port; `nil` (or the web port) serves everything on one port.
    public var api: Listener?
    /// Runs that may execute at the same time in this process.
    public var workers: Int
    /// A PEM certificate chain and private key: both set serves HTTPS on every port.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// `$WORKFLOW_HOME`: the initial admin password file and the custom modules (`modules/`).
    public var home: String
    /// How long `POST /flow/<name>/run` (the seed's synchronous run) waits before answering.
    public var synchronousRunTimeout: Duration
    /// How long running runs get to finish when the server stops before they are cancelled.
    public var shutdownGrace: Duration
    /// bcrypt's work factor for passwords.
    public var passwordCost: UInt8
    /// The configuration's values for the system settings, which stored settings override.
    public var settingsDefaults: EffectiveSettings
    /// How long a step's change may wait to be written with later ones; `nil` writes each at
    /// once (see ``StoreRunRecorder``).
    public var stepWriteDelay: Duration? = .milliseconds(100)

    public init(
        web: Listener = Listener(host: "127.0.0.1", port: 5002), api: Listener? = Listener(host: "127.0.0.1", port: 5001),
        workers: Int = 8, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, home: String = "var",
        synchronousRunTimeout: Duration = .seconds(300), shutdownGrace: Duration = .seconds(30), passwordCost: UInt8 = 12,
        settingsDefaults: EffectiveSettings = EffectiveSettings(timeZone: .gmt, logRetentionDays: 30)
    ) {
        self.web = web
        self.api = api
        self.workers = workers
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.home = home
        self.synchronousRunTimeout = synchronousRunTimeout
        self.shutdownGrace = shutdownGrace
        self.passwordCost = passwordCost
        self.settingsDefaults = settingsDefaults
    }

    /// Whether HTTPS is on (cookies are then marked `Secure`).
    public var usesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
}

extension ServerOptions {
    /// `$WORKFLOW_HOME/modules`: custom module sources, which backups carry.
    public var modulesFolder: URL {
        URL(fileURLWithPath: home).appendingPathComponent("modules")
    }
}

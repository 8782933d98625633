import ArgumentParser
import Foundation
import WorkFlowServer
import WorkFlowStore

/// `workflow serve`: the REST API (and later the web UI) as a long-running service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Start the server: the REST API on the web and API ports.",
        discussion: """
            Listens on web.host:web.port (default 127.0.0.1:5002) and, for the seed's scripts, on \
            api.host:api.port (default 127.0.0.1:5001). Every route except /healthz, the \
            sign-in and webhook calls (/hooks/<token>) needs an API key or a session. A \
            master key file that others may read stops the start (chmod 600 \
            $WORKFLOW_HOME/master.key). On first start, the user 'admin' is created \
            with the password in WORKFLOW_ADMIN_PASSWORD, or a generated one that is printed once \
            and written to $WORKFLOW_HOME/initial-admin-password. SIGTERM or Ctrl-C stops the \
            server: running runs get a grace period, then are cancelled and recorded as such.

            Examples:
              workflow serve
              workflow serve --host 0.0.0.0 --port 8080 --api-port 8081
              workflow serve --tls-cert certs/server.pem --tls-key certs/server.key
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The address to listen on (default: web.host).", valueName: "HOST"))
    var host: String?

    @Option(help: ArgumentHelp("The web port, which also answers the API (default: web.port).", valueName: "PORT"))
    var port: Int?

    @Option(help: ArgumentHelp("The seed's API port (default: api.port); 0 turns it off.", valueName: "PORT"))
    var apiPort: Int?

    @Option(help: ArgumentHelp("Runs that may execute at the same time.", valueName: "N"))
    var workers = 8

    @Option(help: ArgumentHelp("Seconds running runs get to finish when the server stops, before they are cancelled.", valueName: "SECONDS"))
    var grace = 30

    @Option(help: ArgumentHelp("A PEM certificate chain: serve HTTPS (with --tls-key).", valueName: "FILE"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The certificate's PEM private key.", valueName: "FILE"))
    var tlsKey: String?

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        for (name, value) in [("--port", port), ("--api-port", apiPort)] {
            if let value, !(0...65_535).contains(value) { throw ValidationError("\(name): \(value) is not a port (0–65535)") }
        }
        if workers < 1 { throw ValidationError("--workers: at least 1") }
        if grace < 0 { throw ValidationError("--grace: 0 or more seconds") }
    }

    func run() async throws {
        try await Self.serve(options: self, global: global)
    }

    /// Also the seed's `-s`.
    static func serve(options: ServeCommand?, global: GlobalOptions) async throws {
        try await CommandContext.with(global) { context in
            let config = context.configuration
            let host = options?.host
            let web = ServerOptions.Listener(host: host ?? config.web.host, port: options?.port ?? config.web.port)
            let apiPort = options?.apiPort ?? config.api.port
            let api = apiPort == 0 ? nil : ServerOptions.Listener(host: host ?? config.api.host, port: apiPort)
            let serverOptions = ServerOptions(
                web: web, api: api, workers: options?.workers ?? 8, tlsCertificatePath: options?.tlsCert ?? config.tlsCertificatePath,
                tlsKeyPath: options?.tlsKey ?? config.tlsKeyPath,
                home: config.home, shutdownGrace: .seconds(options?.grace ?? 30), passwordCost: context.passwordCost,
                settingsDefaults: EffectiveSettings(
                    timeZone: TimeZone(identifier: config.timezone) ?? .gmt, logRetentionDays: config.log.retentionDays))
            let logger = context.logger("workflow.server")
            let server = WorkFlowServer(
                store: context.store, modules: context.modules, options: serverOptions, logger: logger, node: RunNode.current)
            let bootstrap = AdminBootstrap(store: context.store, hasher: PasswordHasher(cost: serverOptions.passwordCost), home: config.home)
            switch try await bootstrap.run(givenPassword: ProcessInfo.processInfo.environment["WORKFLOW_ADMIN_PASSWORD"]) {
            case .existingUsers: break
            case .createdWithGivenPassword:
                context.console.out("Created the user 'admin' with the password from WORKFLOW_ADMIN_PASSWORD.\n")
            case .createdWithGeneratedPassword(let password, let file):
                context.console.out(
                    "Created the user 'admin' with the password:\n\n    \(password)\n\n(also in \(file); change it with: workflow user passwd admin)\n")
            }
            let scheme = serverOptions.usesTLS ? "https" : "http"
            var addresses = ["\(scheme)://\(web.host):\(web.port)"]
            if let api, api != web { addresses.append("\(scheme)://\(api.host):\(api.port)") }
            let console = context.console
            let listening = "WorkFlow is listening on \(addresses.joined(separator: " and ")) (database: \(context.store.database.location))\n"
            // Said once the ports accept connections, so that whoever waits for it can connect.
            let group = try server.serviceGroup {
                console.out(listening)
            }
            logger.info("server starting", metadata: ["addresses": "\(addresses)"])
            try await group.run()
            context.console.out("WorkFlow stopped.\n")
        }
    }
}

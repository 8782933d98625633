import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import WorkFlowEngine
import WorkFlowStore

/// The server: one router answering the seed's API, API v1 and health checks on the web port
/// (and on the seed's API port), with the long-running parts as services of one group.
///
/// ``build(store:modules:options:logger:now:)`` is the only place the parts are put together.
public struct WorkFlowServer: Sendable {
    public let store: SQLStore
    /// Built-in and custom modules.
    public let modules: ModuleLibrary
    public let options: ServerOptions
    public let runs: RunService
    public let hub: RunEventHub
    /// Starts the runs of cron schedules; a service of the group.
    public let scheduler: SchedulerService
    public let metrics: ServerMetrics
    let logger: Logger
    let authenticator: Authenticator
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let auditor: Auditor
    /// Seals and opens stored secrets under `$WORKFLOW_HOME/master.key`, loaded on first use.
    let secrets: SecretBoxLoader
    let signIn: SessionSignIn
    /// The web UI's templates, loaded at start.
    let pages: PageRenderer
    let clock: any EngineClock
    let now: @Sendable () -> Date

    public init(
        store: SQLStore, modules: ModuleLibrary, options: ServerOptions, logger: Logger, node: String,
        clock: any EngineClock = SystemClock(), now: @escaping @Sendable () -> Date = { Date() },
        metrics: ServerMetrics = ServerMetrics()
    ) {
        self.store = store
        self.modules = modules
        self.options = options
        self.logger = logger
        self.now = now
        self.clock = clock
        hub = RunEventHub()
        self.metrics = metrics
        runs = RunService(
            store: store, modules: modules, hub: hub, metrics: metrics, clock: clock, logger: logger, node: node,
            tuning: RunService.Tuning(workers: options.workers, stepWriteDelay: options.stepWriteDelay))
        authenticator = Authenticator(store: store, now: now)
        hasher = PasswordHasher(cost: options.passwordCost)
        throttle = LoginThrottle(now: now)
        auditor = Auditor(store: store, logger: logger, now: now)
        scheduler = SchedulerService(store: store, runs: runs, auditor: auditor, clock: clock, logger: logger)
        secrets = SecretBoxLoader(file: MasterKeyFile(home: options.home))
        signIn = SessionSignIn(
            store: store, hasher: hasher, throttle: throttle, auditor: auditor, secureCookies: options.usesTLS, now: now)
        pages = Self.loadPages()
    }

    /// The page templates ship with the binary; one that does not parse is a build mistake
    /// that the template test catches, so it stops the process here.
    private static func loadPages() -> PageRenderer {
        do {
            return try PageRenderer.bundled()
        } catch {
            fatalError("the web UI's templates cannot be loaded from \(WebResources.templates.path): \(error)")
        }
    }

    /// Every route, behind the error shapes and (except health, sign-in and webhook calls)
    /// authentication; and the web UI's pages, which send a browser without a session to sign in.
    public func router() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: HTTPMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(pages: pages))
        let routes = RouteTable(router: router, protected: router.group().add(middleware: AuthMiddleware(authenticator: authenticator)))
        addRoutes(to: routes)
        WebUI(
            web: WebEnvironment(store: store, defaults: options.settingsDefaults, now: now, secureCookies: options.usesTLS), pages: pages,
            runs: runs, modules: modules, signIn: signIn, authenticator: authenticator, hasher: hasher, auditor: auditor, logger: logger
        ).addRoutes(to: router)
        let document = OpenAPIDocument.build(routes.routes + [Self.openAPIRoute], version: Self.version)
        routes.add(.get, Self.openAPIRoute.path, Self.openAPIRoute.summary) { _, _ in JSONResponse(document) }
        return router
    }

    /// The route that serves the OpenAPI document (listed in the document too).
    static let openAPIRoute = RouteInfo(method: .get, path: "/api/openapi.json", summary: "This API's OpenAPI 3.1 document", authenticated: true)
    /// The version in the OpenAPI document.
    public static let version = "0.4.0-dev"

    /// Every route the server answers, as the OpenAPI document lists them.
    public func routes() -> [RouteInfo] {
        let routes = RouteTable(router: Router(context: AppRequestContext.self), protected: Router(context: AppRequestContext.self).group())
        addRoutes(to: routes)
        return routes.routes + [Self.openAPIRoute]
    }

    private func addRoutes(to routes: RouteTable) {
        routes.addPublic(.get, "/healthz", "200 when the database answers, 503 when it does not") { _, _ in try await health() }
        AuthController(signIn: signIn).addRoutes(to: routes)
        SeedRoutes(store: store, modules: modules, runs: runs, auditor: auditor, runTimeout: options.synchronousRunTimeout)
            .addRoutes(to: routes)
        FlowsController(store: store, modules: modules, auditor: auditor).addRoutes(to: routes)
        RunsController(store: store, runs: runs, auditor: auditor).addRoutes(to: routes)
        SchedulesController(store: store, scheduler: scheduler, defaults: options.settingsDefaults, auditor: auditor, now: now).addRoutes(to: routes)
        ModulesController(modules: modules, auditor: auditor).addRoutes(to: routes)
        APIKeysController(store: store, auditor: auditor, authenticator: authenticator).addRoutes(to: routes)
        SettingsController(store: store, defaults: options.settingsDefaults, auditor: auditor).addRoutes(to: routes)
        LogsController(store: store).addRoutes(to: routes)
        WebhooksController(store: store, runs: runs, secrets: secrets, auditor: auditor, logger: logger, now: now).addRoutes(to: routes)
        RunEventsController(store: store, hub: hub, clock: clock, logger: logger).addRoutes(to: routes)
        StepTestController(modules: modules, auditor: auditor, clock: clock, logger: logger).addRoutes(to: routes)
        MetricsController(metrics: metrics, queue: store, logger: logger).addRoutes(to: routes)
        BackupController(
            store: store, modules: modules, auditor: auditor, scheduler: scheduler, now: now)
            .addRoutes(to: routes)
    }

    /// `GET /healthz`: 200 when the store answers, 503 when it does not.
    func health() async throws -> JSONResponse {
        do {
            _ = try await store.userCount()
            return JSONResponse(["status": "ok", "database": .string(store.dialect.rawValue)])
        } catch {
            logger.error("health check failed", metadata: ["error": "\(error)"])
            return JSONResponse(["status": "unavailable", "error": .string(error.description)], status: .serviceUnavailable)
        }
    }

    /// The HTTP applications (web port, and the API port when it differs) and the services
    /// around them, in one group that stops on SIGTERM or SIGINT. Throws when the master key
    /// file exists but is unusable (too open, wrong size, unreadable). `onListening` is called
    /// once every port accepts connections.
    public func serviceGroup(onListening: @escaping @Sendable () async -> Void = {}) throws -> ServiceGroup {
        do throws(SecretBoxError) {
            try secrets.checkAtStart()
        } catch {
            throw ServerStartError(message: error.description)
        }
        let responder = router().buildResponder()
        let server = try httpServer()
        let separateAPI = options.api.flatMap { $0 == options.web ? nil : $0 }
        let listening = ListenerCountdown(count: separateAPI == nil ? 1 : 2, then: onListening)
        var services: [any Service] = [
            Application(
                responder: responder, server: server,
                configuration: .init(address: .hostname(options.web.host, port: options.web.port), serverName: "WorkFlow"),
                onServerRunning: { _ in await listening.arrived() }, logger: logger)
        ]
        if let api = separateAPI {
            services.append(
                Application(
                    responder: responder, server: server,
                    configuration: .init(address: .hostname(api.host, port: api.port), serverName: "WorkFlow"),
                    onServerRunning: { _ in await listening.arrived() }, logger: logger))
        }
        services.append(
            JanitorService(store: store, defaults: options.settingsDefaults, interval: .seconds(3600), clock: clock, logger: logger))
        // Stopped in reverse order: the scheduler first, so it starts nothing while runs drain;
        // then runs drain while the HTTP servers still answer.
        services.append(RunWorkerService(runs: runs, grace: options.shutdownGrace))
        services.append(scheduler)
        // A service that ends on its own (the workers after draining, say) lets the others stop
        // gracefully too, rather than cancelling them mid-request.
        let configured = services.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
        }
        return ServiceGroup(
            configuration: .init(services: configured, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }

    private func httpServer() throws -> HTTPServerBuilder {
        guard let certificate = options.tlsCertificatePath, let key = options.tlsKeyPath else { return .http1() }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            return try .tls(.http1(), tlsConfiguration: tls)
        } catch {
            throw ServerStartError(message: "cannot use the TLS certificate \(certificate) and key \(key): \(error)")
        }
    }
}

/// The run queue's workers, heartbeat and reaper. When the group stops, runs drain: no new
/// claims, running runs get the grace period, then are cancelled and recorded as such.
struct RunWorkerService: Service {
    let runs: RunService
    let grace: Duration

    func run() async throws {
        let workers = Task { await runs.runWorkers() }
        // Returns on graceful shutdown, throws on cancellation; either way the runs drain.
        try? await gracefulShutdown()
        await runs.shutdown(grace: grace)
        workers.cancel()
        await workers.value
    }
}

public struct ServerStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Calls its action once `count` listeners have said they are running.
private actor ListenerCountdown {
    private var left: Int
    private let action: @Sendable () async -> Void

    init(count: Int, then action: @escaping @Sendable () async -> Void) {
        left = count
        self.action = action
    }

    func arrived() async {
        left -= 1
        if left == 0 { await action() }
    }
}

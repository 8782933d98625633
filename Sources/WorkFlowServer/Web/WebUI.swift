import Foundation
import Hummingbird
import Logging
import WorkFlowEngine

/// The web UI: its pages, its own stylesheet and scripts under `/static/`, and Debian's
/// browser libraries under `/vendor/`.
struct WebUI {
    let web: WebEnvironment
    let pages: PageRenderer
    let runs: RunService
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    let signIn: SessionSignIn
    let authenticator: Authenticator
    let hasher: PasswordHasher
    let auditor: Auditor
    let logger: Logger

    func addRoutes(to router: Router<AppRequestContext>) {
        // Files answer only what no route answered; they need no credentials (the sign-in page
        // uses them) and hold nothing secret. `no-cache` makes browsers revalidate with the ETag.
        router.add(middleware: FileMiddleware(WebResources.publicFolder.path, urlBasePath: "/static", cacheControl: Self.revalidate, logger: logger))
        router.add(middleware: FileMiddleware(WebResources.debianJavaScript, urlBasePath: "/vendor", cacheControl: Self.revalidate, logger: logger))
        let routes = PageRoutes(router: router, authenticator: authenticator, pages: pages, secureCookies: web.secureCookies)
        AccountPages(store: web.store, signIn: signIn, authenticator: authenticator, hasher: hasher, auditor: auditor, pages: pages, web: web)
            .addRoutes(to: routes)
        DashboardPages(web: web, pages: pages).addRoutes(to: routes)
        WorkflowListPages(web: web, pages: pages, runs: runs, auditor: auditor).addRoutes(to: routes)
        RunPages(web: web, pages: pages, runs: runs, auditor: auditor).addRoutes(to: routes)
        EditorPages(web: web, pages: pages, modules: modules).addRoutes(to: routes)
        VersionPages(web: web, pages: pages, auditor: auditor).addRoutes(to: routes)
        ModulePages(web: web, pages: pages, library: modules, auditor: auditor, logger: logger).addRoutes(to: routes)
        for soon in ComingSoonPage.pages {
            routes.get(soon.path) { page in
                pages.response(ComingSoonPage(frame: page.frame(soon.title), title: soon.title, about: soon.about))
            }
        }
    }

    private static let revalidate = CacheControl([(MediaType(type: .any), [.noCache])])
}

/// A page whose feature arrives with a later part of the project; it says what it will hold.
struct ComingSoonPage: Page {
    static let template = "soon"
    var frame: PageFrame
    var title: String
    var about: String

    static let pages: [(path: String, title: String, about: String)] = [
        ("/syslog/", "Syslog", "The system log with filters and export. Until then: workflow logs on the command line, or GET /api/v1/logs."),
        ("/system/", "System", "Time zone, backups, security and services. Until then: workflow settings, workflow backup and workflow restore."),
        ("/system/apis/", "OpenAPI", "API keys and the API reference. Until then: workflow apikey, and the OpenAPI document at /api/openapi.json."),
        ("/system/devtool/", "Devtool", "A REST and SQL workbench for trying calls from the browser."),
        ("/audit/", "Auditlog", "Who changed what, with filters and export. Until then: GET /api/v1/audit."),
    ]
}

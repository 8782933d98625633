import Foundation
import Hummingbird

/// What the layout around every page shows: the title, the signed-in user's menu, the sidebar
/// and the messages left by the previous action.
struct PageFrame: Sendable {
    var title: String
    /// `nil` on pages shown before signing in.
    var user: UserMenu?
    /// The session's CSRF token: forms send it as `csrf_token`, scripts as `X-CSRF-Token`.
    var csrfToken: String
    var nav: [NavSection]
    var flashes: [Flash]
    var version: String = WorkFlowServer.version

    /// Templates see stored properties only (they read view models through reflection).
    struct UserMenu: Sendable {
        var username: String
        var displayName: String
        var isAdmin: Bool
        /// The first letter, for the avatar.
        var initial: String

        init(username: String, displayName: String, isAdmin: Bool) {
            self.username = username
            self.displayName = displayName
            self.isAdmin = isAdmin
            initial = displayName.first.map { String($0).uppercased() } ?? "?"
        }
    }

    /// The frame of a page at `path` for `identity`, with `flashes` from the request.
    static func make(title: String, path: String, identity: Identity?, flashes: [Flash]) -> PageFrame {
        let user = identity.map {
            UserMenu(username: $0.user.username, displayName: $0.user.displayName ?? $0.user.username, isAdmin: $0.user.isAdmin)
        }
        var csrf = ""
        if case .session(_, let token)? = identity?.method { csrf = token }
        return PageFrame(title: title, user: user, csrfToken: csrf, nav: identity == nil ? [] : NavSection.sidebar(at: path), flashes: flashes)
    }
}

/// A group of the sidebar's links.
struct NavSection: Sendable {
    /// Empty for the first section. (Not optional: a missing value would make the template look
    /// further out, and find an error page's `heading`.)
    var heading: String
    /// Stored, as templates see stored properties only.
    var hasHeading: Bool
    var items: [NavItem]

    init(heading: String, items: [NavItem]) {
        self.heading = heading
        hasHeading = !heading.isEmpty
        self.items = items
    }

    /// The sidebar as the seed laid it out, with the link for `path` marked current.
    static func sidebar(at path: String) -> [NavSection] {
        let sections = [
            NavSection(heading: "", items: [NavItem(label: "Dashboard", href: "/", icon: "dashboard")]),
            NavSection(
                heading: "Automation",
                items: [
                    NavItem(label: "Modules", href: "/modules/", icon: "modules"),
                    NavItem(label: "Workflows", href: "/workflows/", icon: "workflows"),
                    NavItem(label: "Runlog", href: "/workflows/runs/", icon: "runs"),
                    NavItem(label: "Syslog", href: "/syslog/", icon: "syslog"),
                ]),
            NavSection(
                heading: "Admin",
                items: [
                    NavItem(label: "System", href: "/system/", icon: "system"),
                    NavItem(label: "OpenAPI", href: "/system/apis/", icon: "api"),
                    NavItem(label: "Devtool", href: "/system/devtool/", icon: "devtool"),
                    NavItem(label: "Auditlog", href: "/audit/", icon: "audit"),
                ]),
        ]
        // The longest link that starts the path is the current one (`/workflows/runs/` over `/workflows/`).
        let current = sections.flatMap(\.items).map(\.href)
            .filter { $0 == "/" ? path == "/" : path.hasPrefix($0) }
            .max { $0.count < $1.count }
        return sections.map { section in
            var section = section
            section.items = section.items.map { item in
                var item = item
                item.current = item.href == current
                return item
            }
            return section
        }
    }
}

struct NavItem: Sendable {
    var label: String
    var href: String
    /// The symbol's id in `/static/icons.svg`.
    var icon: String
    var current = false
}

/// A message shown once on the next page, after an action that redirects (post, redirect, get).
/// It travels in a short-lived cookie.
struct Flash: Sendable, Equatable {
    enum Kind: String, Sendable {
        case success, error, info
    }

    var kind: Kind
    var text: String

    static let cookie = "wf_flash"

    /// The messages the request carries (at most a few; a tampered cookie yields none).
    static func read(from request: Request) -> [Flash] {
        guard let value = request.cookies[cookie]?.value, let decoded = value.removingPercentEncoding else { return [] }
        return decoded.split(separator: "\n").prefix(5).compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])) else { return nil }
            return Flash(kind: kind, text: String(parts[1].prefix(500)))
        }
    }

    /// A cookie carrying `flashes` to the next page.
    static func cookie(_ flashes: [Flash], secure: Bool) -> Cookie {
        let text = flashes.map { "\($0.kind.rawValue):\($0.text.replacingOccurrences(of: "\n", with: " "))" }.joined(separator: "\n")
        let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return Cookie(name: cookie, value: encoded, maxAge: 60, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// Removes the cookie once its messages have been shown.
    static func clearingCookie(secure: Bool) -> Cookie {
        Cookie(name: cookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

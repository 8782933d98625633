import Foundation
import Hummingbird
import WorkFlowStore

/// Signing in and out, and the profile page (name, e-mail, password).
struct AccountPages {
    let store: SQLStore
    let signIn: SessionSignIn
    let authenticator: Authenticator
    let hasher: PasswordHasher
    let auditor: Auditor
    let pages: PageRenderer
    let web: WebEnvironment

    /// The sign-in form carries a token that must match a cookie set with it (a double-submit
    /// check), so another site cannot sign a browser in under its own account.
    static let loginCookie = "wf_login"

    func addRoutes(to routes: PageRoutes) {
        routes.publicGet("/accounts/login/") { page in try await loginForm(page) }
        routes.publicPost("/accounts/login/") { page in try await login(page) }
        routes.get("/accounts/logout/") { page in
            pages.response(SignOutPage(frame: page.frame("Sign out")))
        }
        routes.post("/accounts/logout/", permission: .read) { page, _ in
            try await signIn.signOut(try page.requireIdentity())
            var response = Response.redirect(to: "/accounts/login/", flashes: [Flash(kind: .info, text: "You have signed out.")])
            response.setCookie(signIn.clearingCookie)
            return response
        }
        routes.get("/accounts/profile/") { page in
            try await profilePage(page, identity: try page.requireIdentity(), form: nil)
        }
        routes.post("/accounts/profile/", permission: .read) { page, form in try await updateProfile(page, form: form) }
    }

    // MARK: Signing in

    private func loginForm(_ page: PageRequest) async throws -> Response {
        // Someone already signed in goes where they were going.
        if (try? await authenticator.identify(page.request)) != nil {
            return .redirect(to: Self.safeNext(page.query("next")))
        }
        return loginPage(page, username: "", error: nil, status: .ok)
    }

    private func login(_ page: PageRequest) async throws -> Response {
        let form = try await FormFields.read(page.request, context: page.context)
        let next = Self.safeNext(form["next"])
        let username = form.text("username") ?? ""
        guard let sent = form["csrf_token"], let expected = page.request.cookies[Self.loginCookie]?.value,
            SecretTokens.constantTimeEquals(sent, expected)
        else {
            return loginPage(page, username: username, next: next, error: "The sign-in form had expired. Please sign in again.", status: .badRequest)
        }
        guard !username.isEmpty else {
            return loginPage(page, username: username, next: next, error: "Enter your user name.", status: .badRequest)
        }
        guard let password = form["password"], !password.isEmpty else {
            return loginPage(page, username: username, next: next, error: "Enter your password.", status: .badRequest)
        }
        do {
            let (_, token) = try await signIn.signIn(username: username, password: password, clientIP: page.context.clientIP)
            var response = Response.redirect(to: next)
            response.setCookie(signIn.cookie(token))
            response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/accounts/login/", httpOnly: true, sameSite: .strict))
            return response
        } catch let error as APIError where error.status == .unauthorized || error.status == .tooManyRequests {
            let text = error.status == .unauthorized ? "Wrong user name or password." : Self.sentence(error.message)
            return loginPage(page, username: username, next: next, error: text, status: error.status)
        }
    }

    private func loginPage(
        _ page: PageRequest, username: String, next: String? = nil, error: String?, status: HTTPResponse.Status
    ) -> Response {
        let token = SecretTokens.random(length: 32)
        let model = LoginPage(
            frame: page.frame("Sign in"), formToken: token, username: username, next: next ?? Self.safeNext(page.query("next")),
            error: error)
        var response = pages.response(model, status: status)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/accounts/login/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// Where to go after signing in: a path of this site, never another site (`//evil`, `https:`).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else { return "/" }
        return next
    }

    // MARK: Profile

    private func profilePage(_ page: PageRequest, identity: Identity, form: ProfilePage.FormState?, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let user = try await store.user(named: identity.user.username) ?? identity.user
        let displayTime = await web.displayTime()
        let model = ProfilePage(
            frame: page.frame("Profile"), username: user.username, role: user.isAdmin ? "Administrator" : "User",
            displayName: form?.displayName ?? user.displayName ?? "", email: form?.email ?? user.email ?? "",
            createdAt: displayTime.text(user.createdAt), lastLoginAt: user.lastLoginAt.map(displayTime.text) ?? "never",
            profileError: form?.profileError, passwordError: form?.passwordError,
            minimumPasswordLength: PasswordHasher.minimumLength)
        return pages.response(model, status: status)
    }

    private func updateProfile(_ page: PageRequest, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        switch form["action"] {
        case "update_profile":
            let displayName = form.text("display_name")
            let email = form.text("email")
            if let problem = try await saveProfile(username: identity.user.username, displayName: displayName, email: email) {
                let state = ProfilePage.FormState(displayName: form["display_name"], email: form["email"], profileError: problem)
                return try await profilePage(page, identity: identity, form: state, status: .badRequest)
            }
            await auditor.record(page.context, action: "update", targetType: "user", targetName: identity.user.username, detail: ["field": "profile"])
            return .redirect(to: "/accounts/profile/", flashes: [Flash(kind: .success, text: "Profile updated.")])
        case "change_password":
            if let problem = try await passwordProblem(form, username: identity.user.username) {
                let state = ProfilePage.FormState(passwordError: problem)
                return try await profilePage(page, identity: identity, form: state, status: .badRequest)
            }
            try await store.setPasswordHash(username: identity.user.username, to: try await hasher.hash(form["new_password"] ?? ""))
            // Browsers signed in with the old password are signed out; this one stays.
            var current: String?
            if case .session(let hash, _) = identity.method { current = hash }
            try await store.deleteSessions(userID: identity.user.id, keeping: current)
            authenticator.forgetCheckedKeys()
            await auditor.record(page.context, action: "update", targetType: "user", targetName: identity.user.username, detail: ["field": "password"])
            return .redirect(to: "/accounts/profile/", flashes: [Flash(kind: .success, text: "Password changed.")])
        default:
            throw APIError.invalidField("action", "expected update_profile or change_password")
        }
    }

    /// Saves the profile; returns why it was refused, when the values were not acceptable.
    private func saveProfile(username: String, displayName: String?, email: String?) async throws(StoreError) -> String? {
        do {
            _ = try await store.setProfile(username: username, displayName: displayName, email: email)
            return nil
        } catch {
            guard case .invalidProfile = error else { throw error }
            return Self.sentence(error.description)
        }
    }

    /// Why the password change in `form` cannot be made, or `nil`.
    private func passwordProblem(_ form: FormFields, username: String) async throws -> String? {
        guard let current = form["current_password"], !current.isEmpty else { return "Enter your current password." }
        guard let (_, hash) = try await store.credentials(username: username), await hasher.verify(current, hash: hash) else {
            return "The current password is not right."
        }
        let new = form["new_password"] ?? ""
        if let problem = PasswordHasher.problem(with: new) { return Self.sentence(problem) }
        guard new == form["confirm_password"] else { return "The new password and its confirmation differ." }
        return nil
    }

    /// `text` with a capital first letter and a full stop, as messages on pages read.
    /// A message that starts with a field's name (`v1: …`, `results: …`) keeps its case.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        let firstWord = text.prefix { $0 != " " }
        let namesAField = firstWord.hasSuffix(":") || firstWord.contains { $0.isNumber || $0 == "_" || $0 == "." || $0 == "[" }
        let capitalised = namesAField ? text : first.uppercased() + text.dropFirst()
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }
}

struct LoginPage: Page {
    static let template = "login"
    var frame: PageFrame
    var formToken: String
    var username: String
    var next: String
    var error: String?
    /// A name was given: the cursor goes to the password. (Stored: templates see stored properties only.)
    var focusPassword: Bool

    init(frame: PageFrame, formToken: String, username: String, next: String, error: String?) {
        self.frame = frame
        self.formToken = formToken
        self.username = username
        self.next = next
        self.error = error
        focusPassword = !username.isEmpty
    }
}

struct SignOutPage: Page {
    static let template = "signout"
    var frame: PageFrame
}

struct ProfilePage: Page {
    static let template = "profile"
    var frame: PageFrame
    var username: String
    var role: String
    var displayName: String
    var email: String
    var createdAt: String
    var lastLoginAt: String
    var profileError: String?
    var passwordError: String?
    var minimumPasswordLength: Int

    /// What a refused form had, shown again with its error.
    struct FormState {
        var displayName: String?
        var email: String?
        var profileError: String?
        var passwordError: String?
    }
}

import Hummingbird
import NIOCore

/// What every request carries through the router: Hummingbird's own state, the caller once
/// authenticated, and the client's address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is calling; set by ``AuthMiddleware`` on every protected route.
    public var identity: Identity?
    /// The client's IP address, for the audit log and sign-in throttling.
    public let clientIP: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies up to 64 MiB: a backup ZIP is the largest thing anyone uploads.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }

    /// The caller, or 401 when the route was reached without one (a routing mistake).
    public func requireIdentity() throws(APIError) -> Identity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }

    /// The caller when they hold `permission`; otherwise 403 (or 401 without a caller).
    @discardableResult
    public func require(_ permission: Permission) throws(APIError) -> Identity {
        let identity = try requireIdentity()
        guard identity.allows(permission) else {
            throw APIError.forbidden("\(identity.actor) may not \(permission.verb)")
        }
        return identity
    }
}

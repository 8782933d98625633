import HummingbirdBcrypt
import NIOPosix

/// bcrypt for passwords, run on NIO's blocking thread pool: a hash at cost 12 takes a quarter
/// of a second of CPU, which must not stall the cooperative threads that serve requests.
public struct PasswordHasher: Sendable {
    /// bcrypt's work factor (2^cost rounds). Tests use the minimum, 4.
    public var cost: UInt8
    /// The shortest password accepted for new or changed passwords.
    public static let minimumLength = 8

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
    }

    /// Why `password` is refused, or `nil` when it is acceptable.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "the password must have at least \(minimumLength) characters" }
        if password.count > 72 { return "the password must have at most 72 characters (bcrypt's limit)" }
        return nil
    }
}

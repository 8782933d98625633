import Foundation
import Logging
import WorkFlowEngine

/// The swift-log handler behind every WorkFlow logger: turns each event into a ``LogLine``
/// and publishes it through a ``LogFanOut``.
public struct FanOutLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    private let fanOut: LogFanOut
    private let clock: any EngineClock

    public init(
        label: String, fanOut: LogFanOut, logLevel: Logger.Level = .info, clock: any EngineClock = SystemClock(),
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.fanOut = fanOut
        self.logLevel = logLevel
        self.clock = clock
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        fanOut.publish(line(for: event))
    }

    /// The line for `event`: handler metadata, then the provider's, then the call site's,
    /// later ones winning; an attached error becomes the `error` metadata value.
    func line(for event: LogEvent) -> LogLine {
        var merged: [String: String] = [:]
        for (key, value) in metadata { merged[key] = Self.flatten(value) }
        if let provided = metadataProvider?.get() {
            for (key, value) in provided { merged[key] = Self.flatten(value) }
        }
        if let explicit = event.metadata {
            for (key, value) in explicit { merged[key] = Self.flatten(value) }
        }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        return LogLine(
            time: clock.now(), level: event.level, label: label, source: event.source, function: event.function,
            message: event.message.description, metadata: merged)
    }

    /// Text for a metadata value; nested members whose keys name a secret are hidden here,
    /// since once flattened the masker can only see the top-level key.
    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return "[" + items.map(flatten).joined(separator: ", ") + "]"
        case .dictionary(let members):
            let inner = members.sorted { $0.key < $1.key }.map { key, member in
                "\(key): \(SecretMasker.isSensitive(name: key) ? SecretMasker.mask : flatten(member))"
            }
            return "[" + inner.joined(separator: ", ") + "]"
        }
    }
}

import HTTPTypes
import NIOCore
import WorkFlowEngine

/// The `text/event-stream` wire format (the HTML standard's Server-Sent Events).
enum ServerSentEvents {
    /// Headers of a stream: no caching, and no buffering by a proxy in front (nginx honours
    /// `X-Accel-Buffering`), so each event reaches the client when it is written.
    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8",
        .cacheControl: "no-cache",
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// `event: <name>` and one `data:` line. The JSON writer escapes line breaks inside strings,
    /// so the data is always a single line.
    static func frame(event: String, data: JSONValue) -> String {
        "event: \(event)\ndata: \(JSONWriter.string(from: data))\n\n"
    }

    /// A comment line, which clients ignore; it keeps idle connections (and proxies) open and
    /// reveals a client that has gone.
    static let heartbeat = ": heartbeat\n\n"

    static func buffer(_ events: [RunStreamEvent]) -> ByteBuffer {
        ByteBuffer(string: events.map { frame(event: $0.kind.rawValue, data: $0.data) }.joined())
    }
}

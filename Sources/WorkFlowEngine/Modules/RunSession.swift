import Foundation
import Synchronization

/// A resource a module keeps open across the steps of one run (an SSH or database connection).
public protocol RunResource: Sendable {
    /// Releases the resource; called once, when the run ends, whatever its outcome.
    func close() async
}

/// Per-run state that modules share across steps, replacing the seed's habit of putting live
/// connection objects in the run context. The executor closes every resource when the run ends.
public final class RunSession: Sendable {
    private let resources = Mutex<[(key: String, resource: any RunResource)]>([])

    public init() {}

    /// The resource stored under `key`, if any.
    public func resource(_ key: String) -> (any RunResource)? {
        resources.withLock { list in list.first { $0.key == key }?.resource }
    }

    /// Stores `resource` under `key` and returns the one it replaced, which the caller should close.
    @discardableResult
    public func setResource(_ resource: any RunResource, for key: String) -> (any RunResource)? {
        resources.withLock { list in
            if let i = list.firstIndex(where: { $0.key == key }) {
                let old = list[i].resource
                list[i].resource = resource
                return old
            }
            list.append((key, resource))
            return nil
        }
    }

    /// The resource under `key`, or `make()`'s, stored there first; one atomic step, so steps
    /// starting together share one resource.
    public func resource<R: RunResource>(_ key: String, orInsert make: () -> R) -> (any RunResource) {
        resources.withLock { list in
            if let existing = list.first(where: { $0.key == key }) { return existing.resource }
            let made = make()
            list.append((key, made))
            return made
        }
    }

    /// Removes and returns the resource under `key`.
    @discardableResult
    public func removeResource(_ key: String) -> (any RunResource)? {
        resources.withLock { list in
            guard let i = list.firstIndex(where: { $0.key == key }) else { return nil }
            return list.remove(at: i).resource
        }
    }

    /// Keys of the open resources, in the order they were opened.
    public var keys: [String] {
        resources.withLock { $0.map(\.key) }
    }

    /// Closes every resource, newest first, and forgets them.
    public func closeAll() async {
        let open = resources.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for entry in open.reversed() {
            await entry.resource.close()
        }
    }
}

import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    @Test("racing creators of one name: exactly one wins, the others get flowExists", arguments: Backend.all)
    func racingCreates(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let outcomes = await withTaskGroup(of: StoreError?.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await store.createFlow(name: "race", document: ["writer": .int(i)], author: nil)
                            return nil
                        } catch {
                            return error as? StoreError ?? .database(operation: "race", message: "\(error)")
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == .flowExists("race") })
            let versions = try await store.versions(of: "race")
            #expect(versions.count == 1)
        }
    }

    @Test("racing updates get gapless version numbers", arguments: Backend.all)
    func racingUpdates(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "busy", document: [:], author: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        _ = try await store.updateFlow(name: "busy", document: ["writer": .int(i)], author: "w\(i)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.versions(of: "busy").map(\.number) == Array((1...9).reversed()))
            #expect(try await store.flow(named: "busy")?.currentVersion == 9)
        }
    }
}

extension StoreContract {
    struct Abort: Error {}

    @Test("a session that throws is rolled back and the writer stays usable", arguments: Backend.all)
    func rollback(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            await #expect(throws: Abort.self) {
                try await store.database.withSession { session in
                    try await session.run(
                        #"INSERT INTO settings ("key", value, updated_at) VALUES (\#(bind: "half"), \#(bind: "1"), \#(bind: 0))"#)
                    throw Abort()
                }
            }
            let half = try await store.setting("half")
            #expect(half == nil)
            try await store.setSetting("whole", to: true)
            let whole = try await store.setting("whole")
            #expect(whole == true)
        }
    }
}

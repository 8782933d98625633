import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

/// The storage contract: every test runs on SQLite and, when `WORKFLOW_TEST_POSTGRES_URL` is set,
/// on PostgreSQL, each on a database of its own.
@Suite("store contract", .timeLimit(.minutes(2)))
struct StoreContract {
    @Test(
        "the contract also runs on PostgreSQL",
        .enabled(
            if: Backend.postgresURL != nil,
            "WORKFLOW_TEST_POSTGRES_URL is not set, so the contract ran on SQLite only; scripts/test.sh starts a PostgreSQL and sets it"
        ))
    func postgresCases() {
        #expect(Backend.all.contains(.postgres))
    }
}

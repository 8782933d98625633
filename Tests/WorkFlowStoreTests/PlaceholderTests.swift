import Testing
@testable import WorkFlowStore

@Suite("store module")
struct StoreModuleTests {
    @Test("the store target links") func links() { #expect(WorkFlowStoreInfo.name == "WorkFlowStore") }
}

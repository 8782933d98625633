import Testing
import WorkFlowLogging

@Suite("logging module")
struct LoggingModuleTests {
    @Test("the logging target links") func links() { #expect(String(describing: WorkFlowLoggingInfo.self) == "WorkFlowLoggingInfo") }
}

import WorkFlowEngine

/// Hands each run event to several recorders in turn (the progress printer and the store).
struct FanOutRecorder: RunRecorder {
    let recorders: [any RunRecorder]

    init(_ recorders: [any RunRecorder]) {
        self.recorders = recorders
    }

    func record(_ event: RunEvent) async {
        for recorder in recorders { await recorder.record(event) }
    }
}

/// Where commands write. A task-local value, so tests run commands in process with a buffer
/// console (`CommandIO.$console.withValue(buffer) { ... }`) without touching the real streams.
enum CommandIO {
    @TaskLocal static var console: any Console = StandardConsole()
}

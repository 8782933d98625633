#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WorkFlowCLI

// A write to a pipe whose reader is gone (a module child that exited) must fail with EPIPE,
// not end the process.
signal(SIGPIPE, SIG_IGN)
await WorkFlowCommand.runMain()

/// Log handling: console, rotating file and the system log table.
public enum WorkFlowLoggingInfo {}

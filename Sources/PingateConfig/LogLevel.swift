/// Minimum log level (mirrors swift-log's `Logger.Level` names).
public enum LogLevel: String, Sendable, Hashable, CaseIterable {
    /// Most verbose.
    case trace
    /// Debugging detail.
    case debug
    /// Normal operation.
    case info
    /// Notable events.
    case notice
    /// Something unexpected.
    case warning
    /// An operation failed.
    case error
    /// The process cannot continue.
    case critical
}

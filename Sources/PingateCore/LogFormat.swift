/// Format of log lines, diagnostics and the access log alike.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// One JSON object per line.
    case json
    /// Human-readable text.
    case text
}

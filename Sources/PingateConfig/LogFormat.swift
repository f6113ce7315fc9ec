/// Log line format.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// One JSON object per line.
    case json
    /// Human-readable text.
    case text
}

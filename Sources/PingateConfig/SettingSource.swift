/// Where the effective value of a setting came from.
///
/// Layers are applied in the order default ← file ← environment ← flag; the
/// last layer that mentions a key wins and becomes that key's source.
public enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    /// The built-in default from ``SettingsCatalog``.
    case defaultValue
    /// A configuration file; `line` is 1-based.
    case file(path: String, line: Int)
    /// An environment variable such as `PINGATE_CACHE_TTL`.
    case environment(variable: String)
    /// A command-line flag such as `--cache-ttl` (stored with the leading dashes).
    case flag(name: String)

    /// Location prefix used in error messages: `pingate.yaml:12`,
    /// `env PINGATE_CACHE_TTL`, `flag --cache-ttl` or `default`.
    public var location: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path, let line): return "\(path):\(line)"
        case .environment(let variable): return "env \(variable)"
        case .flag(let name): return "flag \(name)"
        }
    }

    /// Short form used as a trailing comment in
    /// ``PingateSettings/effectiveDescription()``: `default`, `file:12`,
    /// `env PINGATE_CACHE_TTL`, `flag --cache-ttl`.
    public var comment: String {
        switch self {
        case .file(_, let line): return "file:\(line)"
        default: return location
        }
    }

    /// Same as ``location``.
    public var description: String { location }
}

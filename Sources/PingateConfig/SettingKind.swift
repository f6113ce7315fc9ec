/// The value type of a setting; decides how raw text is parsed and rendered.
public enum SettingKind: Sendable, Hashable {
    /// `host:port` (`127.0.0.1:8787`, `[::1]:8787`, `localhost:0`).
    case hostPort
    /// A filesystem path; empty or `none` means unset.
    case optionalPath
    /// An octal permission mode such as `0600`.
    case fileMode
    /// A list of numeric user ids (YAML list or comma-separated text).
    case uidList
    /// An absolute `http` or `https` URL.
    case url
    /// `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`).
    case bool
    /// A list of strings (YAML list or comma-separated text).
    case stringList
    /// A list of integers (YAML list or comma-separated text).
    case intList
    /// One of `trace|debug|info|notice|warning|error|critical`.
    case logLevel
    /// One of `json|text`.
    case logFormat
    /// Seconds as a number ≥ 0 (`1.5`), or with a unit (`500ms`, `30s`, `5m`, `1h`).
    case seconds
    /// A byte count ≥ 0 with optional suffix (`KiB/MiB/GiB` binary, `k/M/G` decimal).
    case bytes
    /// An integer ≥ `minimum`.
    case integer(minimum: Int)
    /// A rate such as `10/s`, `600/m`, `3600/h`, `5` (per second), or `none`.
    case rate
    /// The `routes` list (file only).
    case routes
    /// The `rate_limit.classes` map (file only).
    case rateClasses

    /// True for settings that can only be given in the configuration file.
    public var isFileOnly: Bool {
        switch self {
        case .routes, .rateClasses: return true
        default: return false
        }
    }

    /// Placeholder for help text, e.g. `<seconds>`.
    public var valueName: String {
        switch self {
        case .hostPort: return "<host:port>"
        case .optionalPath: return "<path>"
        case .fileMode: return "<octal-mode>"
        case .uidList: return "<uid>"
        case .url: return "<url>"
        case .bool: return "<bool>"
        case .stringList: return "<value>"
        case .intList: return "<int>"
        case .logLevel: return "<level>"
        case .logFormat: return "<format>"
        case .seconds: return "<seconds>"
        case .bytes: return "<bytes>"
        case .integer: return "<int>"
        case .rate: return "<rate>"
        case .routes: return "<routes>"
        case .rateClasses: return "<classes>"
        }
    }
}

/// The shape of a setting's value: how it is given on the command line and in the file.
public enum SettingKind: Sendable, Hashable {
    /// One value; `placeholder` names it in help text (`<seconds>`).
    case scalar(placeholder: String)
    /// A switch (`--cache` / `--no-cache`); `true`/`false` in the environment and the file.
    case boolean
    /// A list: a YAML list, comma-separated text, or a repeated flag.
    case list(placeholder: String)
    /// Only in the configuration file (`routes`, `rate_limit.classes`, `profiles`).
    case fileOnly

    /// True for settings that can only be given in the configuration file.
    public var isFileOnly: Bool { self == .fileOnly }

    /// True for list settings.
    var isList: Bool {
        if case .list = self { return true }
        return false
    }

    /// Placeholder for help text, e.g. `<seconds>`; empty for switches and file-only settings.
    public var placeholder: String {
        switch self {
        case .scalar(let p), .list(let p): return p
        case .boolean, .fileOnly: return ""
        }
    }
}

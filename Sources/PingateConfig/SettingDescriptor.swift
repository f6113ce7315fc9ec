import Foundation

/// Metadata for one setting: key, type, default, help, env var and CLI flag.
public struct SettingDescriptor: Sendable, Hashable {
    /// Dotted key as written in the file (`cache.ttl`).
    public let key: String
    /// Value type.
    public let kind: SettingKind
    /// Default as raw text in the same syntax a user would write, or `nil`
    /// when the default is "unset" or derived (see ``defaultDescription``).
    public let defaultText: String?
    /// Human description of the default, for help text (`30`, `none`,
    /// `max(1, ceil(rate))`).
    public let defaultDescription: String
    /// One-line help.
    public let help: String
    /// CLI flag name without leading dashes (`cache-ttl`), `nil` for file-only settings.
    public let flag: String?
    /// Negative form of a boolean flag (`no-cache`), if any.
    public let invertedFlag: String?
    /// True when the flag may be repeated (the CLI joins the values with commas).
    public let repeatable: Bool

    /// Creates a descriptor.
    public init(
        key: String,
        kind: SettingKind,
        default defaultText: String?,
        defaultDescription: String? = nil,
        help: String,
        flag: String?,
        invertedFlag: String? = nil,
        repeatable: Bool = false
    ) {
        self.key = key
        self.kind = kind
        self.defaultText = defaultText
        self.defaultDescription = defaultDescription ?? defaultText ?? "none"
        self.help = help
        self.flag = flag
        self.invertedFlag = invertedFlag
        self.repeatable = repeatable
    }

    /// `PINGATE_` + key uppercased with `.` → `_`; `nil` for file-only settings.
    public var environmentVariable: String? {
        guard !kind.isFileOnly else { return nil }
        return "PINGATE_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// The flag with leading dashes (`--cache-ttl`), if any.
    public var flagSpelling: String? { flag.map { "--" + $0 } }
}

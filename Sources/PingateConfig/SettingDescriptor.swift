/// One setting: key, shape, default, help, environment variable and flag, and how its text becomes a field of
/// ``PingateSettings`` (and is rendered back).
public struct SettingDescriptor: Sendable {
    /// Dotted key as written in the file (`cache.ttl`).
    public let key: String
    /// Shape of the value.
    public let kind: SettingKind
    /// Default as the text a user would write, or `nil` when the default is unset or derived
    /// (see ``defaultDescription``).
    public let defaultText: String?
    /// The default for help text: `30`, `none`, `max(1, ceil(rate))`.
    public let defaultDescription: String
    /// One-line help.
    public let help: String
    /// Flag name without dashes (`cache-ttl`); `nil` for file-only settings.
    public let flag: String?
    /// Negative form of a switch (`no-cache`), if any.
    public let invertedFlag: String?
    /// True when the flag may be repeated (the values are joined with commas).
    public let repeatable: Bool
    /// True when a value may hold a secret (a password in a URL): marked secret for the configuration
    /// library's access reporting, masked when rendered.
    let isSecret: Bool
    /// Parses the winning texts (one for a scalar) into the settings; returns the problems, located by
    /// `source` (`nil` for the setting, an index for a list element).
    let apply: @Sendable (_ texts: [String], _ source: (Int?) -> SettingSource, _ settings: inout PingateSettings) -> [ConfigError]
    /// The value as YAML.
    let render: @Sendable (PingateSettings) -> Rendering

    /// How a value is written in `check-config` output.
    enum Rendering {
        /// On the key's line: `ttl: 30`.
        case inline(String)
        /// Indented lines under the key (routes, classes, profiles).
        case block([String])
    }

    /// `PINGATE_` + key uppercased with `.` → `_`; `nil` for file-only settings.
    public var environmentVariable: String? {
        kind.isFileOnly ? nil : "PINGATE_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// The flag with leading dashes (`--cache-ttl`), if any.
    public var flagSpelling: String? { flag.map { "--" + $0 } }
}

extension SettingDescriptor {
    /// A single-valued setting stored at `path`.
    static func value<V>(
        _ key: String, _ path: any WritableKeyPath<PingateSettings, V> & Sendable, _ syntax: ValueSyntax<V>,
        default defaultText: String?, derived: String? = nil, flag: String?, inverted: String? = nil,
        secret: Bool = false, _ help: String
    ) -> SettingDescriptor {
        SettingDescriptor(
            key: key, kind: syntax.placeholder == "<bool>" ? .boolean : .scalar(placeholder: syntax.placeholder),
            defaultText: defaultText, defaultDescription: derived ?? defaultText ?? "none", help: help,
            flag: flag, invertedFlag: inverted, repeatable: false, isSecret: secret,
            apply: { texts, source, settings in
                let text = texts.joined(separator: ",")
                guard let value = syntax.parse(text) else {
                    let missing = text.isEmpty
                    return [ConfigError(kind: missing ? .missingValue : .invalidValue, key: key, source: source(nil),
                                        message: missing ? "a value is required" : syntax.problem(text))]
                }
                settings[keyPath: path] = value
                return []
            },
            render: { .inline(syntax.render($0[keyPath: path])) })
    }

    /// A list setting stored at `path`; element problems are keyed `key[i]` at the element's own source.
    static func list<V>(
        _ key: String, _ path: any WritableKeyPath<PingateSettings, [V]> & Sendable, _ element: ValueSyntax<V>,
        default defaultText: String, flag: String?, repeatable: Bool = false, _ help: String
    ) -> SettingDescriptor {
        SettingDescriptor(
            key: key, kind: .list(placeholder: element.placeholder), defaultText: defaultText,
            defaultDescription: "[\(defaultText)]", help: help, flag: flag, invertedFlag: nil,
            repeatable: repeatable, isSecret: false,
            apply: { texts, source, settings in
                var values: [V] = [], problems: [ConfigError] = []
                for (index, text) in texts.enumerated() where !text.isEmpty {
                    if let value = element.parse(text) { values.append(value); continue }
                    problems.append(ConfigError(kind: .invalidValue, key: "\(key)[\(index)]", source: source(index),
                                                message: element.problem(text)))
                }
                settings[keyPath: path] = values
                return problems
            },
            render: { .inline("[" + $0[keyPath: path].map(element.render).joined(separator: ", ") + "]") })
    }

    /// A setting that only the file can give, parsed by ``FileSections``.
    static func fileOnly(_ key: String, default description: String, _ help: String,
                         render: @escaping @Sendable (PingateSettings) -> Rendering) -> SettingDescriptor {
        SettingDescriptor(key: key, kind: .fileOnly, defaultText: nil, defaultDescription: description, help: help,
                          flag: nil, invertedFlag: nil, repeatable: false, isSecret: false,
                          apply: { _, _, _ in [] }, render: render)
    }
}

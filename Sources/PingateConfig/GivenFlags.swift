import Configuration

/// The flags the user gave, normalized for the `ConfigReader`: one value per setting key (an inverted switch
/// such as `--no-cache` becomes `false`), the spelling used (for error locations) and the problems (unknown
/// flags with a suggestion, a setting given twice).
struct GivenFlags {
    private(set) var values: [AbsoluteConfigKey: ConfigValue] = [:]
    /// The flag each key was given with, e.g. `--no-cache` for `cache.enabled`.
    private(set) var spellings: [String: String] = [:]
    private(set) var problems: [ConfigError] = []

    init(_ flags: [String: String]) {
        for (name, value) in flags.sorted(by: { $0.key < $1.key }) {
            let bare = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
            guard let (d, inverted) = SettingsCatalog.descriptor(forFlag: bare) else {
                let known = SettingsCatalog.all.flatMap { [$0.flag, $0.invertedFlag].compactMap { $0 } }
                let hint = KeySuggestion.closest(to: bare, among: known).map { " (did you mean '--\($0)'?)" } ?? ""
                problems.append(ConfigError(kind: .unknownFlag, key: bare, source: .flag(name: "--" + bare),
                                            message: "unknown flag '--\(bare)'\(hint)"))
                continue
            }
            let spelling = "--" + ((inverted ? d.invertedFlag : d.flag) ?? bare)
            var text = value.trimmingWhitespace()
            if inverted {
                guard let on = ValueSyntax.bool.parse(text.isEmpty ? "true" : text) else {
                    problems.append(ConfigError(kind: .invalidValue, key: d.key, source: .flag(name: spelling),
                                                message: ValueSyntax<Bool>.bool.problem(text)))
                    continue
                }
                text = on ? "false" : "true"
            }
            if let previous = spellings[d.key] {
                problems.append(ConfigError(kind: .duplicate, key: d.key, source: .flag(name: spelling),
                                            message: "also given as flag \(previous)"))
                continue
            }
            spellings[d.key] = spelling
            let content: ConfigContent = d.kind.isList
                ? .stringArray(text.split(separator: ",").map { $0.trimmingWhitespace() }) : .string(text)
            values[AbsoluteConfigKey(ConfigKey(d.key))] = ConfigValue(content, isSecret: d.isSecret)
        }
    }

    /// The reader's view of the flags.
    var provider: InMemoryProvider { InMemoryProvider(name: "flags", values: values) }
}

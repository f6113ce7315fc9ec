/// The configuration file reduced to raw entries per dotted key, plus the
/// file-only trees (`routes`, `rate_limit.classes`) for ``RouteParser``.
///
/// Accepts both nested sections (`cache: {ttl: 30}`) and flat dotted keys
/// (`cache.ttl: 30`); anything else is an unknown-key error with a suggestion.
struct FileLayer {
    var entries: [String: RawEntry] = [:]
    var fileOnly: [String: (tree: YAMLTree, keyLine: Int)] = [:]
    var errors: [ConfigError] = []
    let path: String

    static let sectionNames: Set<String> = Set(
        SettingsCatalog.all.compactMap { d in d.key.split(separator: ".").count > 1 ? String(d.key.split(separator: ".")[0]) : nil }
    )

    static let topLevelNames: [String] = {
        var names: [String] = []
        for d in SettingsCatalog.all {
            let first = String(d.key.split(separator: ".")[0])
            if !names.contains(first) { names.append(first) }
        }
        return names
    }()

    init(tree: YAMLTree?, path: String) {
        self.path = path
        guard let tree, !tree.isNull else { return }
        guard case .mapping(let entries, _) = tree else {
            errors.append(ConfigError(kind: .wrongShape, key: nil, source: .file(path: path, line: tree.line),
                                      message: "the file must be a mapping of settings, got \(tree.shapeName)"))
            return
        }
        for entry in entries {
            visitTopLevel(entry)
        }
    }

    private mutating func visitTopLevel(_ entry: YAMLTree.Entry) {
        let key = entry.key
        if SettingsCatalog.byKey[key] != nil {
            record(key, entry.value, keyLine: entry.keyLine)
        } else if Self.sectionNames.contains(key) {
            switch entry.value {
            case .mapping(let children, _):
                for child in children {
                    let full = key + "." + child.key
                    if SettingsCatalog.byKey[full] != nil {
                        record(full, child.value, keyLine: child.keyLine)
                    } else {
                        let candidates = SettingsCatalog.all.map(\.key).filter { $0.hasPrefix(key + ".") }
                        unknown(full, line: child.keyLine,
                                suggestion: KeySuggestion.closest(to: full, among: candidates))
                    }
                }
            case .scalar(_, _, true):
                break // empty section
            default:
                errors.append(ConfigError(kind: .wrongShape, key: key, source: .file(path: path, line: entry.keyLine),
                                          message: "expected a mapping of \(key).* settings, got \(entry.value.shapeName)"))
            }
        } else {
            let candidates = key.contains(".") ? SettingsCatalog.all.map(\.key) : Self.topLevelNames
            unknown(key, line: entry.keyLine, suggestion: KeySuggestion.closest(to: key, among: candidates))
        }
    }

    private mutating func unknown(_ key: String, line: Int, suggestion: String?) {
        errors.append(ConfigError(kind: .unknownKey(suggestion: suggestion), key: key,
                                  source: .file(path: path, line: line),
                                  message: KeySuggestion.unknownKeyMessage(key, suggestion: suggestion)))
    }

    private mutating func record(_ key: String, _ value: YAMLTree, keyLine: Int) {
        let descriptor = SettingsCatalog.byKey[key]!
        if entries[key] != nil || fileOnly[key] != nil {
            errors.append(ConfigError(kind: .duplicate, key: key, source: .file(path: path, line: keyLine),
                                      message: "set more than once in this file"))
            return
        }
        if descriptor.kind.isFileOnly {
            fileOnly[key] = (value, keyLine)
            return
        }
        switch value {
        case .scalar(let text, let line, let isNull):
            entries[key] = RawEntry(value: isNull ? .null : .text(text),
                                    source: .file(path: path, line: isNull ? keyLine : line))
        case .sequence(let elements, _):
            var items: [RawEntry.Item] = []
            for (index, element) in elements.enumerated() {
                guard case .scalar(let text, let line, _) = element else {
                    errors.append(ConfigError(kind: .wrongShape, key: "\(key)[\(index)]",
                                              source: .file(path: path, line: element.line),
                                              message: "expected a single value, got \(element.shapeName)"))
                    continue
                }
                items.append(.init(text: text, source: .file(path: path, line: line)))
            }
            entries[key] = RawEntry(value: .list(items), source: .file(path: path, line: keyLine))
        case .mapping:
            errors.append(ConfigError(kind: .wrongShape, key: key, source: .file(path: path, line: keyLine),
                                      message: "expected a single value, got a mapping"))
        }
    }
}

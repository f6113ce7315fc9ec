import Configuration
import Yams

/// The YAML configuration file as one layer of the ``SettingsLoader``'s `ConfigReader`.
///
/// The library's own YAML snapshot drops line numbers and refuses lists of mappings (`routes`), so pingate reads
/// the document with Yams itself: every setting is flattened to its dotted key (nested sections, flat dotted keys
/// and the `upstream: {url: …}` form alike) and handed to the reader as an `InMemoryProvider`, while the line of
/// each value, the problems only a file can have (unknown keys with a suggestion, duplicates, wrong shapes) and
/// the file-only sections stay here.
struct ConfigFile {
    /// The name used in locations (`pingate.yaml:4`).
    let path: String
    /// Settings by key: `.string` for single values (a YAML `null` is empty text), `.stringArray` for lists.
    private(set) var values: [AbsoluteConfigKey: ConfigValue] = [:]
    /// Line of each setting's value, and of each list element.
    private var lines: [String: (value: Int, items: [Int])] = [:]
    /// File-only settings (`routes`, `rate_limit.classes`, `profiles`) with the line of their key.
    private(set) var sections: [String: (node: Node, line: Int)] = [:]
    /// Everything wrong with the file's structure; value problems are found later, by the loader.
    private(set) var problems: [ConfigError] = []

    /// Reads `text`; a YAML syntax error throws (nothing else in the file can be trusted then).
    init(text: String, path: String) throws(ConfigErrors) {
        self.path = path
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors([Self.syntaxError(error, path: path, text: text)])
        } catch {
            throw ConfigErrors([ConfigError(kind: .unreadableFile, key: nil, source: .file(path: path, line: 1),
                                            message: "invalid YAML: \(error)")])
        }
        guard let root, !Self.isNull(root) else { return }
        guard case .mapping(let mapping) = root else {
            problem(.wrongShape, nil, Self.line(root), "the file must be a mapping of settings, got \(Self.shape(root))")
            return
        }
        visit(mapping, under: "")
    }

    /// The reader's view of the file.
    var provider: InMemoryProvider { InMemoryProvider(name: path, values: values) }

    /// Where `key`'s value (or its list element `item`) was written.
    func source(of key: String, item: Int? = nil) -> SettingSource {
        let line = lines[key].map { entry in item.flatMap { entry.items.indices.contains($0) ? entry.items[$0] : nil } ?? entry.value }
        return .file(path: path, line: line ?? 1)
    }

    // MARK: - Flattening

    private mutating func visit(_ mapping: Node.Mapping, under parent: String) {
        for (keyNode, value) in mapping {
            guard case .scalar(let name) = keyNode else {
                problem(.wrongShape, nil, Self.line(keyNode), "mapping keys must be plain words")
                continue
            }
            let path = parent.isEmpty ? name.string : parent + "." + name.string
            let key = SettingsCatalog.aliases[path] ?? path
            let isSection = SettingsCatalog.sections.contains(path)
            if let descriptor = SettingsCatalog.byKey[key], !(isSection && value.mapping != nil) {
                record(descriptor, value, keyLine: Self.line(keyNode))
            } else if isSection, let children = value.mapping {
                visit(children, under: path)
            } else if isSection, !Self.isNull(value) {
                problem(.wrongShape, path, Self.line(keyNode), "expected a mapping of \(path).* settings, got \(Self.shape(value))")
            } else if !isSection {
                unknown(path, line: Self.line(keyNode))
            }
        }
    }

    private mutating func record(_ descriptor: SettingDescriptor, _ node: Node, keyLine: Int) {
        let key = descriptor.key
        guard lines[key] == nil, sections[key] == nil else {
            return problem(.duplicate, key, keyLine, "set more than once in this file")
        }
        if descriptor.kind.isFileOnly {
            sections[key] = (node, keyLine)
            return
        }
        switch node {
        case .scalar(let scalar):
            let text = Self.isNull(node) ? "" : scalar.string.trimmingWhitespace()
            let items = text.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            values[AbsoluteConfigKey(ConfigKey(key))] = .init(descriptor.kind.isList ? .stringArray(items) : .string(text), isSecret: descriptor.isSecret)
            lines[key] = (Self.isNull(node) ? keyLine : Self.line(node), [])
        case .sequence(let sequence) where descriptor.kind.isList:
            var items: [String] = [], itemLines: [Int] = []
            for (index, element) in sequence.enumerated() {
                guard case .scalar(let scalar) = element else {
                    problem(.wrongShape, "\(key)[\(index)]", Self.line(element), "expected a single value, got \(Self.shape(element))")
                    continue
                }
                items.append(scalar.string.trimmingWhitespace())
                itemLines.append(Self.line(element))
            }
            values[AbsoluteConfigKey(ConfigKey(key))] = .init(.stringArray(items), isSecret: false)
            lines[key] = (keyLine, itemLines)
        default:
            problem(.wrongShape, key, keyLine, "expected a single value, got \(Self.shape(node))")
        }
    }

    /// Unknown key, with the closest sibling as a suggestion (any known key when it has no known parent).
    private mutating func unknown(_ path: String, line: Int) {
        let parent = path.split(separator: ".").dropLast().joined(separator: ".")
        let known = SettingsCatalog.all.map(\.key) + SettingsCatalog.sections
        let siblings = known.filter { $0.split(separator: ".").dropLast().joined(separator: ".") == parent }
        let suggestion = KeySuggestion.closest(to: path, among: siblings.isEmpty ? known : siblings)
        problems.append(ConfigError(kind: .unknownKey(suggestion: suggestion), key: path, source: .file(path: self.path, line: line),
                                    message: KeySuggestion.unknownKeyMessage(path, suggestion: suggestion)))
    }

    private mutating func problem(_ kind: ConfigError.Kind, _ key: String?, _ line: Int, _ message: String) {
        problems.append(ConfigError(kind: kind, key: key, source: .file(path: path, line: line), message: message))
    }

    // MARK: - Nodes

    /// 1-based line where `node` starts.
    static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    /// A plain `~`, `null` or empty scalar (a quoted "null" is text).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// "a mapping", "a list", "a value" or "nothing", for shape errors.
    static func shape(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        default: return isNull(node) ? "nothing" : "a value"
        }
    }

    // MARK: - Syntax errors

    private static func syntaxError(_ error: YamlError, path: String, text: String) -> ConfigError {
        func at(_ line: Int, _ message: String) -> ConfigError {
            ConfigError(kind: .unreadableFile, key: nil, source: .file(path: path, line: max(1, line)), message: message)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return at(mark.line, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            guard let key = duplicates.first, let again = repeatLine(of: key, after: context.mark, in: text) else {
                return at(context.mark.line, "duplicate key \(names)")
            }
            return at(again, "duplicate key \(names) (first set on line \(context.mark.line))")
        case .reader(let problem, let offset, _, _):
            let line = 1 + (offset.map { text.utf8.prefix(max(0, $0)).filter { $0 == UInt8(ascii: "\n") }.count } ?? 0)
            return at(line, "cannot read YAML: \(problem)")
        default:
            return at(1, "invalid YAML: \(error)")
        }
    }

    /// The line of the second `key:` at the column of `first` (Yams reports where the mapping's first copy is).
    private static func repeatLine(of key: String, after first: Mark, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        for index in first.line..<lines.count {
            let rest = lines[index].dropFirst(first.column - 1)
            guard lines[index].prefix(first.column - 1).allSatisfy({ $0 == " " }), rest.first != " " else { continue }
            for spelling in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(spelling) {
                if rest.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") { return index + 1 }
            }
        }
        return nil
    }
}

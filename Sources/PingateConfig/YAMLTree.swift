import Yams

/// A YAML document reduced to what the loader needs: raw scalar text and the
/// 1-based line of every key and value. Built from Yams' `Node` (not Codable),
/// so values keep their exact spelling (`0600` stays `"0600"`).
indirect enum YAMLTree: Sendable {
    /// One key/value pair of a mapping.
    struct Entry: Sendable {
        var key: String
        var keyLine: Int
        var value: YAMLTree
    }

    /// A scalar; `isNull` for plain `~`, `null` or an empty value.
    case scalar(String, line: Int, isNull: Bool)
    /// A mapping, in document order.
    case mapping([Entry], line: Int)
    /// A sequence.
    case sequence([YAMLTree], line: Int)

    /// Line where the node starts.
    var line: Int {
        switch self {
        case .scalar(_, let line, _), .mapping(_, let line), .sequence(_, let line): return line
        }
    }

    /// "a mapping", "a list" or "a value", for shape errors.
    var shapeName: String {
        switch self {
        case .scalar(_, _, let isNull): return isNull ? "nothing" : "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// True for a null scalar.
    var isNull: Bool {
        if case .scalar(_, _, true) = self { return true }
        return false
    }

    /// Parses one YAML document; `nil` for an empty document.
    /// Syntax errors become ``ConfigError`` with `.unreadableFile` kind.
    static func parse(_ text: String, path: String) throws(ConfigErrors) -> YAMLTree? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors([convert(error, path: path, text: text)])
        } catch {
            throw ConfigErrors([ConfigError(kind: .unreadableFile, key: nil,
                                            source: .file(path: path, line: 1),
                                            message: "invalid YAML: \(error)")])
        }
        guard let node else { return nil }
        var errors: [ConfigError] = []
        let tree = convert(node, path: path, errors: &errors)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return tree
    }

    private static func convert(_ node: Node, path: String, errors: inout [ConfigError]) -> YAMLTree {
        let line = node.mark?.line ?? 1
        switch node {
        case .scalar(let scalar):
            let nullSpellings: Set<String> = ["", "~", "null", "Null", "NULL"]
            let isNull = scalar.style == .plain && nullSpellings.contains(scalar.string)
            return .scalar(scalar.string, line: line, isNull: isNull)
        case .sequence(let sequence):
            return .sequence(sequence.map { convert($0, path: path, errors: &errors) }, line: line)
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    errors.append(ConfigError(kind: .wrongShape, key: nil,
                                              source: .file(path: path, line: key.mark?.line ?? line),
                                              message: "mapping keys must be plain words"))
                    continue
                }
                entries.append(Entry(key: keyScalar.string, keyLine: key.mark?.line ?? line,
                                     value: convert(value, path: path, errors: &errors)))
            }
            return .mapping(entries, line: line)
        case .alias:
            // Yams resolves aliases while composing; keep a defensive fallback.
            errors.append(ConfigError(kind: .wrongShape, key: nil, source: .file(path: path, line: line),
                                      message: "YAML aliases are not supported"))
            return .scalar("", line: line, isNull: true)
        }
    }

    private static func convert(_ error: YamlError, path: String, text: String) -> ConfigError {
        func make(_ line: Int, _ message: String) -> ConfigError {
            ConfigError(kind: .unreadableFile, key: nil, source: .file(path: path, line: max(1, line)),
                        message: message)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return make(mark.line, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let first = context.mark
            if let key = duplicates.first, let again = repeatLine(of: key, after: first, in: text) {
                return make(again, "duplicate key \(names) (first set on line \(first.line))")
            }
            return make(first.line, "duplicate key \(names)")
        case .reader(let problem, let offset, _, _):
            var line = 1
            if let offset {
                line += text.utf8.prefix(max(0, offset)).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            }
            return make(line, "cannot read YAML: \(problem)")
        default:
            return make(1, "invalid YAML: \(error)")
        }
    }

    /// Best effort: the line of the second `key:` at the same column as `first`
    /// (Yams reports the first occurrence of a duplicated key).
    private static func repeatLine(of key: String, after first: Mark, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            guard indent == first.column - 1 else { continue }
            let rest = line.dropFirst(indent)
            for spelling in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(spelling) {
                let after = rest.dropFirst(spelling.count).drop { $0 == " " }
                if after.hasPrefix(":") { return index + 1 }
            }
        }
        return nil
    }
}

/// One configuration problem, tied to the key and the place it came from.
///
/// `description` is a single line such as
/// `pingate.yaml:12: cache.ttl: expected seconds (a number ≥ 0), got "abc"` or
/// `pingate.yaml:7: unknown key 'cahce' (did you mean 'cache'?)`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is; switch on it to react programmatically.
    public enum Kind: Sendable, Hashable {
        /// The file (or a routes/classes entry) names a key pingate does not know.
        case unknownKey(suggestion: String?)
        /// The flags dictionary names a flag that is not in ``SettingsCatalog``.
        case unknownFlag
        /// A value could not be converted or fails validation.
        case invalidValue
        /// A required value (e.g. a route's `prefix`) is missing.
        case missingValue
        /// The same key (or route name / prefix) appears twice.
        case duplicate
        /// A YAML node has the wrong shape (mapping, list or scalar expected).
        case wrongShape
        /// The file cannot be read or is not valid YAML.
        case unreadableFile
    }

    /// The kind of problem.
    public var kind: Kind
    /// Dotted key (`cache.ttl`, `routes[1].prefix`, `allowed_uids[2]`), if any.
    public var key: String?
    /// Where the offending text came from, if known.
    public var source: SettingSource?
    /// One line, without location or key prefix.
    public var message: String

    /// Creates an error.
    public init(kind: Kind, key: String?, source: SettingSource?, message: String) {
        self.kind = kind
        self.key = key
        self.source = source
        self.message = message
    }

    /// `location: key: message` (unknown keys: `location: message`).
    public var description: String {
        var parts: [String] = []
        if let source { parts.append(source.location) }
        switch kind {
        case .unknownKey, .unknownFlag, .unreadableFile:
            break
        default:
            if let key { parts.append(key) }
        }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// Line in the configuration file, when the problem is in the file.
    public var line: Int? {
        if case .file(_, let line) = source { return line }
        return nil
    }
}

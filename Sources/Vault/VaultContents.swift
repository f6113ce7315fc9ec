/// The decrypted contents of a vault: entry names mapped to secret values.
///
/// A plain value type; nothing is written until it is passed to `VaultFile.save`.
/// Names are validated by `set` and again when saving (because `entries` is writable).
public struct VaultContents: Sendable, Equatable {
    /// Names → secret values.
    public var entries: [String: SecretValue]

    /// Creates contents holding `entries` (empty by default).
    public init(entries: [String: SecretValue] = [:]) {
        self.entries = entries
    }

    /// Entry names in ascending byte order (stable output for `vault list`).
    public var names: [String] {
        entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Number of entries.
    public var count: Int { entries.count }

    /// True when the vault holds no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value named `name`, or nil.
    public subscript(name: String) -> SecretValue? {
        entries[name]
    }

    /// The value named `name`; throws `.entryNotFound` when absent.
    public func value(named name: String) throws -> SecretValue {
        guard let value = entries[name] else { throw VaultError.entryNotFound(name: name) }
        return value
    }

    /// Adds or replaces an entry; throws `.invalidEntryName` for a bad name.
    public mutating func set(_ name: String, to value: SecretValue) throws {
        try VaultEntryName.validate(name)
        entries[name] = value
    }

    /// Removes an entry and returns its value; throws `.entryNotFound` when absent.
    @discardableResult
    public mutating func remove(_ name: String) throws -> SecretValue {
        guard let value = entries.removeValue(forKey: name) else {
            throw VaultError.entryNotFound(name: name)
        }
        return value
    }
}

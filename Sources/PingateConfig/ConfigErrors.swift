/// All problems found while loading configuration; thrown by ``SettingsLoader``.
///
/// The loader reports every problem it can find in one pass (sorted: file
/// problems by line, then environment, then flags) so `pingate check-config`
/// can show them all at once.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    /// The individual problems; never empty.
    public var errors: [ConfigError]

    /// Creates the aggregate; `errors` should not be empty.
    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One problem per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

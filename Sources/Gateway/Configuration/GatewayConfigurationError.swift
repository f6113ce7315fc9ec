/// A configuration problem found before pingate starts listening.
///
/// Callers switch on `code`; `message` is one line naming the cause and never contains a secret.
public struct GatewayConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The kind of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The upstream URL could not be parsed.
        public static let invalidUpstream = Code("invalidUpstream")
        /// A plain-http upstream that is not on loopback.
        public static let insecureUpstream = Code("insecureUpstream")
        /// A credential entry named by the configuration is missing from the vault.
        public static let missingCredential = Code("missingCredential")
        /// Any other invalid setting.
        public static let invalidSetting = Code("invalidSetting")
        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// One line for the operator.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

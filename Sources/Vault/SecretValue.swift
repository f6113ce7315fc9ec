/// A secret stored in the vault (an API key, a signing secret, ...).
///
/// Prints as `<redacted>` through `description`, `debugDescription`, string
/// interpolation, `print`, `dump` and `Mirror`, so a stray log line cannot leak it.
/// The real value is only available through the deliberately named `revealed` /
/// `withRevealedBytes`. The bytes live in a buffer that is wiped when the last copy of
/// the value is released.
public struct SecretValue: Sendable, Equatable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    let storage: SecureBytes

    /// Wraps the UTF-8 bytes of `string`.
    public init(_ string: String) {
        storage = SecureBytes(utf8Of: string)
    }

    /// Wraps arbitrary bytes (values need not be UTF-8).
    public init(bytes: some Collection<UInt8>) {
        storage = SecureBytes(copyingBytesOf: bytes)
    }

    init(storage: SecureBytes) {
        self.storage = storage
    }

    /// Number of bytes in the secret. Lengths are not considered secret.
    public var byteCount: Int { storage.count }

    /// The secret as a `String` (invalid UTF-8 is replaced with U+FFFD).
    ///
    /// Named so that every read of a secret is obvious in code review. The returned
    /// `String` is an ordinary Swift string and cannot be wiped; prefer
    /// `withRevealedBytes` where the bytes can be consumed in place.
    public var revealed: String {
        storage.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the raw secret bytes; the pointer must not escape.
    public func withRevealedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }

    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }

    /// A mirror with no children, so `dump` and reflection-based loggers see nothing.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Compares in constant time (for equal lengths) so comparisons do not leak prefixes.
    public static func == (lhs: SecretValue, rhs: SecretValue) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.constantTimeEquals(rhs.storage)
    }
}

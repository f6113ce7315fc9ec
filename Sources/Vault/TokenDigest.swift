/// The SHA-256 digest of a client token: what the vault stores and what a presented token is compared by.
///
/// Equality is constant-time (`CRYPTO_memcmp` over the 32 bytes), so comparing a presented token's digest with
/// the stored ones reveals nothing about either through timing. Digests are not secrets the way tokens are (a
/// token has 256 random bits, so its digest cannot be inverted), but pingate still never shows them:
/// `description`, `dump` and `Mirror` print `<redacted>`.
public struct TokenDigest: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The 32 digest bytes.
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == SHA256Hasher.digestSize)
        self.bytes = bytes
    }

    /// The digest of a token as a client presented it (its UTF-8 bytes, prefix included).
    ///
    /// Hashing takes time that depends only on the length of `presented`.
    public init(of presented: String) {
        var hasher = SHA256Hasher()
        hasher.update(presented)
        self.init(bytes: hasher.finalize())
    }

    /// The digest of a secret token (for tokens read from a file, and for tests).
    public init(of secret: SecretValue) {
        var hasher = SHA256Hasher()
        secret.withRevealedBytes { hasher.update($0) }
        self.init(bytes: hasher.finalize())
    }

    /// Constant-time comparison of the 32 bytes.
    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        constantTimeEquals(lhs.bytes, rhs.bytes)
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }

    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }

    /// A mirror with no children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    // MARK: - Storage form

    /// 64 lowercase hex digits (only inside the encrypted vault payload).
    var hex: String { SHA256Hasher.hex(bytes) }

    /// Parses the storage form; nil unless exactly 64 hex digits.
    init?(hex: Substring) {
        guard hex.utf8.count == 2 * SHA256Hasher.digestSize else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256Hasher.digestSize)
        var high: UInt8?
        for byte in hex.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        self.init(bytes: bytes)
    }
}

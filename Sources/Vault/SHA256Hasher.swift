/// Streaming SHA-256 over OpenSSL's `EVP_MD_CTX`.
///
/// A value type with real value semantics: the OpenSSL context lives in a private
/// class and is duplicated (`EVP_MD_CTX_copy_ex`) on the first mutation of a shared
/// copy, so `var b = a; b.update(x)` never disturbs `a`. That makes it safe to hash a
/// common prefix once and fork it. Not `Sendable`: use one hasher per task.
///
/// OpenSSL failures here mean memory exhaustion or a broken install and trap.
public struct SHA256Hasher {
    /// Digest length in bytes.
    public static let digestSize = 32

    private var context: DigestContext

    /// A hasher with no input yet.
    public init() {
        context = DigestContext()
    }

    /// Feeds raw bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        makeContextUnique()
        context.update(bytes)
    }

    /// Feeds a byte sequence (contiguous storage is hashed in place).
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) != nil {
            return
        }
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of `string`.
    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Returns the 32-byte digest of everything fed so far and resets the hasher to
    /// its initial state, ready for a new message.
    public mutating func finalize() -> [UInt8] {
        makeContextUnique()
        let digest = context.finalize()
        context.reset()
        return digest
    }

    /// One-shot SHA-256 of `bytes`.
    public static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// One-shot SHA-256 of `bytes`, as 64 lowercase hex characters.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        hex(digest(bytes))
    }

    /// Lowercase hex encoding of arbitrary bytes (e.g. a digest from `finalize()`).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func makeContextUnique() {
        if !isKnownUniquelyReferenced(&context) {
            context = DigestContext(copying: context)
        }
    }
}

// Sound because the only shared state is the `DigestContext`, and every operation that
// touches it is `mutating` and first makes it uniquely referenced (copy-on-write, with
// atomic reference counts): a context is never used by two values at once.
extension SHA256Hasher: @unchecked Sendable {}

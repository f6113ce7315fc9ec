internal import COpenSSL

/// Compares two byte strings in time that depends only on their length (CRYPTO_memcmp).
///
/// For checking access tokens, MACs and the like, where an early-exit `==` would let an
/// attacker discover a secret byte by byte through response timing. Lengths are
/// compared first and are not hidden; compare fixed-size values (e.g. digests) when
/// the length itself is sensitive.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { lhs in
        b.withUnsafeBytes { rhs in
            CRYPTO_memcmp(lhs.baseAddress, rhs.baseAddress, lhs.count) == 0
        }
    }
}

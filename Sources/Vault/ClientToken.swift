internal import COpenSSL

/// A client token as the vault keeps it: its name, the SHA-256 digest of the token (never the token itself) and
/// the policy pingate enforces for it.
///
/// The policy is stored as text (`rules` in `METHODS PREFIX` form, `rate` like `10/s`): the vault only keeps
/// it, the gateway parses and enforces it. Printing a token record never shows its digest.
public struct ClientToken: Sendable, Equatable, CustomStringConvertible {
    /// Prefix of every token pingate issues (`pgt_…`), so a leaked one is recognisable by secret scanners.
    public static let prefix = "pgt_"
    /// Random bytes behind a token; the token is the prefix followed by their base64url form (43 characters).
    public static let randomByteCount = 32

    /// Token name: vault entry name rules (1–64 of `A-Z a-z 0-9 _ . -`); `token:NAME` is the client identity.
    public var name: String
    /// Credential profile of its requests; nil is the route's own credentials (the default profile).
    public var profile: String?
    /// What it may do, each `METHODS PREFIX` (e.g. `GET,HEAD /api/pinning/`); empty means everything.
    public var rules: [String]
    /// Its own rate budget (e.g. `10/s`, `600/m`); nil means none.
    public var rate: String?
    /// Burst of its rate budget; nil means the rate's default.
    public var burst: Int?
    /// When it was made, in Unix seconds.
    public var created: Int64
    /// When it stops working, in Unix seconds; nil means never.
    public var expires: Int64?
    /// SHA-256 of the token.
    public let digest: TokenDigest

    /// A record for a token whose digest is known.
    public init(
        name: String, digest: TokenDigest, profile: String? = nil, rules: [String] = [], rate: String? = nil,
        burst: Int? = nil, created: Int64, expires: Int64? = nil
    ) {
        self.name = name
        self.digest = digest
        self.profile = profile
        self.rules = rules
        self.rate = rate
        self.burst = burst
        self.created = created
        self.expires = expires
    }

    /// Makes a new token from 32 bytes of OpenSSL's `RAND_bytes`: the record to store and the token to show once.
    /// - Throws: `VaultError.crypto` when the random generator fails.
    public static func issue(
        name: String, profile: String? = nil, rules: [String] = [], rate: String? = nil, burst: Int? = nil,
        created: Int64, expires: Int64? = nil
    ) throws -> (record: ClientToken, token: SecretValue) {
        var random = try VaultFile.randomBytes(randomByteCount)
        defer { random.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let prefixBytes = Array(prefix.utf8)
        // Written straight into a wiped-on-release buffer: no ordinary array ever holds the token.
        let storage = SecureBytes(count: prefixBytes.count + Base64URL.encodedCount(random.count)) { out in
            out.copyBytes(from: prefixBytes)
            Base64URL.encode(random, into: UnsafeMutableRawBufferPointer(rebasing: out[prefixBytes.count...]))
        }
        let token = SecretValue(storage: storage)
        let record = ClientToken(
            name: name, digest: TokenDigest(of: token), profile: profile, rules: rules, rate: rate, burst: burst,
            created: created, expires: expires
        )
        return (record, token)
    }

    /// Whether the token has stopped working at `unixSeconds`.
    public func isExpired(at unixSeconds: Double) -> Bool {
        expires.map { Double($0) <= unixSeconds } ?? false
    }

    /// The name and policy; never the digest.
    public var description: String {
        var text = "ClientToken(\(name), profile: \(profile ?? "default"), rules: \(rules.isEmpty ? "*" : rules.joined(separator: "; "))"
        if let rate { text += ", rate: \(rate)" + (burst.map { " burst \($0)" } ?? "") }
        if let expires { text += ", expires: \(expires)" }
        return text + ")"
    }
}

/// base64url without padding (RFC 4648 §5), for the random part of a token.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Characters for `count` bytes.
    static func encodedCount(_ count: Int) -> Int {
        (count * 4 + 2) / 3
    }

    /// Writes the encoding of `bytes` into `out`, which holds exactly `encodedCount(bytes.count)` bytes.
    static func encode(_ bytes: [UInt8], into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count == encodedCount(bytes.count))
        var written = 0
        func append(_ byte: UInt8) {
            out[written] = byte
            written += 1
        }
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            append(alphabet[Int(group >> 18 & 63)])
            append(alphabet[Int(group >> 12 & 63)])
            if remaining > 1 { append(alphabet[Int(group >> 6 & 63)]) }
            if remaining > 2 { append(alphabet[Int(group & 63)]) }
            index += 3
        }
    }
}

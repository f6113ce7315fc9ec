/// Which key-derivation function turns the passphrase into the AES-256 key, and how hard.
///
/// Stored in the vault header so the cost can be raised later without a format change.
/// Files whose parameters fall outside `[floor, ceiling]` are refused before any key
/// derivation runs: too low would let an attacker who swapped the file weaken it, too
/// high would let a hostile file exhaust CPU or memory.
public struct KDFParameters: Sendable, Hashable, CustomStringConvertible {
    /// The algorithm together with its cost parameters.
    public enum Algorithm: Sendable, Hashable {
        /// scrypt (RFC 7914) with cost `n` (a power of two), block size `r`, parallelism `p`.
        case scrypt(n: UInt64, r: UInt32, p: UInt32)
        /// PBKDF2 with HMAC-SHA256 (RFC 8018).
        case pbkdf2SHA256(iterations: UInt32)
    }

    /// The algorithm and its parameters.
    public let algorithm: Algorithm

    /// Wraps an algorithm; call `validate()` to check it against the floor and ceiling.
    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
    }

    /// scrypt with the given cost parameters.
    public static func scrypt(n: UInt64, r: UInt32, p: UInt32) -> KDFParameters {
        KDFParameters(.scrypt(n: n, r: r, p: p))
    }

    /// PBKDF2-HMAC-SHA256 with the given iteration count.
    public static func pbkdf2(iterations: UInt32) -> KDFParameters {
        KDFParameters(.pbkdf2SHA256(iterations: iterations))
    }

    /// scrypt N=2^17, r=8, p=1 (about 128 MiB and a few hundred milliseconds).
    public static let `default` = KDFParameters.scrypt(n: 1 << 17, r: 8, p: 1)

    /// Smallest accepted scrypt N (2^17).
    public static let scryptMinimumN: UInt64 = 1 << 17
    /// Largest accepted scrypt N (2^20).
    public static let scryptMaximumN: UInt64 = 1 << 20
    /// Smallest accepted scrypt r.
    public static let scryptMinimumR: UInt32 = 8
    /// Largest accepted scrypt r.
    public static let scryptMaximumR: UInt32 = 32
    /// Smallest accepted scrypt p.
    public static let scryptMinimumP: UInt32 = 1
    /// Largest accepted scrypt p.
    public static let scryptMaximumP: UInt32 = 16
    /// Largest accepted scrypt working set, 128·N·r bytes (1 GiB).
    public static let scryptMaximumMemory: UInt64 = 1 << 30
    /// Smallest accepted PBKDF2 iteration count (OWASP 2023 guidance for SHA-256).
    public static let pbkdf2MinimumIterations: UInt32 = 600_000
    /// Largest accepted PBKDF2 iteration count.
    public static let pbkdf2MaximumIterations: UInt32 = 100_000_000

    /// Throws `.kdfParametersTooWeak`, `.kdfParametersTooHigh` or `.invalidKDFParameters`
    /// unless the parameters are within policy. Cheap: never runs the KDF.
    public func validate() throws {
        switch algorithm {
        case .scrypt(let n, let r, let p):
            if n < Self.scryptMinimumN || r < Self.scryptMinimumR || p < Self.scryptMinimumP {
                throw VaultError.kdfParametersTooWeak(self)
            }
            if n > Self.scryptMaximumN || r > Self.scryptMaximumR || p > Self.scryptMaximumP
                || scryptWorkingSetBytes > Self.scryptMaximumMemory
            {
                throw VaultError.kdfParametersTooHigh(self)
            }
            if n & (n - 1) != 0 {
                throw VaultError.invalidKDFParameters(reason: "scrypt N=\(n) is not a power of two")
            }
        case .pbkdf2SHA256(let iterations):
            if iterations < Self.pbkdf2MinimumIterations {
                throw VaultError.kdfParametersTooWeak(self)
            }
            if iterations > Self.pbkdf2MaximumIterations {
                throw VaultError.kdfParametersTooHigh(self)
            }
        }
    }

    /// Human-readable form, e.g. `scrypt(N=131072, r=8, p=1)`.
    public var description: String {
        switch algorithm {
        case .scrypt(let n, let r, let p):
            return "scrypt(N=\(n), r=\(r), p=\(p))"
        case .pbkdf2SHA256(let iterations):
            return "pbkdf2-hmac-sha256(iterations=\(iterations))"
        }
    }

    /// The dominant scrypt memory term, 128·N·r, saturating instead of overflowing.
    var scryptWorkingSetBytes: UInt64 {
        guard case .scrypt(let n, let r, _) = algorithm else { return 0 }
        let (product, overflow) = n.multipliedReportingOverflow(by: 128 * UInt64(r))
        return overflow ? .max : product
    }

    var floorDescription: String {
        switch algorithm {
        case .scrypt:
            return "scrypt N>=\(Self.scryptMinimumN), r>=\(Self.scryptMinimumR), p>=\(Self.scryptMinimumP)"
        case .pbkdf2SHA256:
            return "pbkdf2 iterations>=\(Self.pbkdf2MinimumIterations)"
        }
    }

    var ceilingDescription: String {
        switch algorithm {
        case .scrypt:
            return "scrypt N<=\(Self.scryptMaximumN), r<=\(Self.scryptMaximumR), p<=\(Self.scryptMaximumP), 128*N*r<=\(Self.scryptMaximumMemory) bytes"
        case .pbkdf2SHA256:
            return "pbkdf2 iterations<=\(Self.pbkdf2MaximumIterations)"
        }
    }
}

internal import COpenSSL

/// Derives the 256-bit AES key from a passphrase with OpenSSL 3's EVP_KDF.
enum KeyDerivation {
    /// AES-256 key size.
    static let keySize = 32

    /// Derives the key into a wiped-on-release buffer.
    ///
    /// Re-validates the parameters even though callers already did: this is the one
    /// place that spends the CPU/RAM, so it must never run on out-of-policy input.
    static func deriveKey(passphrase: Passphrase, salt: [UInt8], parameters: KDFParameters) throws -> SecureBytes {
        try parameters.validate()
        guard !passphrase.isEmpty else { throw VaultError.emptyPassphrase }
        switch parameters.algorithm {
        case .scrypt(let n, let r, let p):
            let context = try KDFContext(algorithm: "SCRYPT")
            // OpenSSL refuses scrypt when 128·r·(N+p+2) exceeds maxmem (default 32 MiB, too
            // small for N=2^17, r=8). Allow exactly what these (validated) parameters need.
            let maxmem = 128 * UInt64(r) * (n + UInt64(p) + 2)
            return try SecureBytes(count: keySize) { key in
                let rc = passphrase.storage.withUnsafeBytes { pass in
                    salt.withUnsafeBytes { salt in
                        pingate_scrypt_derive(
                            context.pointer,
                            pass.baseAddress?.assumingMemoryBound(to: UInt8.self), pass.count,
                            salt.baseAddress?.assumingMemoryBound(to: UInt8.self), salt.count,
                            n, r, p, maxmem,
                            key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count)
                    }
                }
                guard rc == 1 else { throw OpenSSLError.failure("scrypt key derivation") }
            }
        case .pbkdf2SHA256(let iterations):
            let context = try KDFContext(algorithm: "PBKDF2")
            return try SecureBytes(count: keySize) { key in
                let rc = passphrase.storage.withUnsafeBytes { pass in
                    salt.withUnsafeBytes { salt in
                        pingate_pbkdf2_sha256_derive(
                            context.pointer,
                            pass.baseAddress?.assumingMemoryBound(to: UInt8.self), pass.count,
                            salt.baseAddress?.assumingMemoryBound(to: UInt8.self), salt.count,
                            iterations,
                            key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count)
                    }
                }
                guard rc == 1 else { throw OpenSSLError.failure("PBKDF2 key derivation") }
            }
        }
    }
}

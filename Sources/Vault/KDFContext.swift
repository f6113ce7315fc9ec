internal import COpenSSL

/// Owns one `EVP_KDF_CTX` for a fetched OpenSSL 3 KDF ("SCRYPT", "PBKDF2"), freed in `deinit`.
final class KDFContext {
    let pointer: OpaquePointer

    init(algorithm: String) throws {
        guard let kdf = EVP_KDF_fetch(nil, algorithm, nil) else {
            throw OpenSSLError.failure("EVP_KDF_fetch(\(algorithm))")
        }
        // The context takes its own reference to the KDF, so ours can go right away.
        defer { EVP_KDF_free(kdf) }
        guard let pointer = EVP_KDF_CTX_new(kdf) else {
            throw OpenSSLError.failure("EVP_KDF_CTX_new(\(algorithm))")
        }
        self.pointer = pointer
    }

    deinit {
        EVP_KDF_CTX_free(pointer)
    }
}

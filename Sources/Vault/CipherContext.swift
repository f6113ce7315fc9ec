internal import COpenSSL

/// Owns one `EVP_CIPHER_CTX`, freed in `deinit` so no code path can leak it.
///
/// `EVP_CIPHER_CTX_free` also cleanses the expanded key schedule held by the context.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else {
            throw OpenSSLError.failure("EVP_CIPHER_CTX_new")
        }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }
}

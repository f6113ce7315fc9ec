internal import COpenSSL

/// Owns one `EVP_MD_CTX`, freed in `deinit`; the storage behind `SHA256Hasher`.
///
/// Digest operations on a valid context only fail on allocation failure or a broken
/// OpenSSL install, and `SHA256Hasher`'s API is non-throwing (it is used on hot paths
/// like cache keys), so failures trap with a message, as swift-crypto does.
final class DigestContext {
    let pointer: OpaquePointer

    /// A fresh context initialised for SHA-256.
    init() {
        guard let pointer = EVP_MD_CTX_new() else {
            preconditionFailure("EVP_MD_CTX_new failed: \(OpenSSLError.drainQueue())")
        }
        self.pointer = pointer
        reset()
    }

    /// A deep copy including the partial hash state (for copy-on-write).
    init(copying other: DigestContext) {
        guard let pointer = EVP_MD_CTX_new() else {
            preconditionFailure("EVP_MD_CTX_new failed: \(OpenSSLError.drainQueue())")
        }
        self.pointer = pointer
        let rc = EVP_MD_CTX_copy_ex(pointer, other.pointer)
        precondition(rc == 1, "EVP_MD_CTX_copy_ex failed: \(OpenSSLError.drainQueue())")
    }

    deinit {
        EVP_MD_CTX_free(pointer)
    }

    func reset() {
        let rc = EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
        precondition(rc == 1, "EVP_DigestInit_ex(SHA256) failed: \(OpenSSLError.drainQueue())")
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let rc = EVP_DigestUpdate(pointer, bytes.baseAddress, bytes.count)
        precondition(rc == 1, "EVP_DigestUpdate failed: \(OpenSSLError.drainQueue())")
    }

    func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let rc = EVP_DigestFinal_ex(pointer, &digest, &length)
        precondition(rc == 1, "EVP_DigestFinal_ex failed: \(OpenSSLError.drainQueue())")
        return Array(digest.prefix(Int(length)))
    }
}

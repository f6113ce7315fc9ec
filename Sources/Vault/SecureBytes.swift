internal import COpenSSL

/// Immutable heap buffer for key material and secret values that is wiped with
/// `OPENSSL_cleanse` when the last reference goes away.
///
/// Swift arrays and strings may be copied or reallocated behind our back, leaving
/// stale copies of a secret in freed memory; a class that owns one fixed allocation
/// gives us exactly one place to wipe. `@unchecked Sendable` is sound because the bytes
/// are written only inside `init` (before the instance can be shared) and are
/// read-only afterwards.
final class SecureBytes: @unchecked Sendable {
    /// Number of meaningful bytes.
    let count: Int
    private let storage: UnsafeMutableRawBufferPointer

    /// Allocates `count` bytes and lets `initializer` fill them before the instance is shared.
    init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0)
        // Always allocate at least one byte so the base address is never nil.
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            try initializer(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
        } catch {
            OPENSSL_cleanse(storage.baseAddress, storage.count)
            storage.deallocate()
            throw error
        }
        self.storage = storage
        self.count = count
    }

    /// Copies `bytes` into a new wiped-on-release buffer.
    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { destination in
            destination.copyMemory(from: bytes)
        }
    }

    /// Copies any byte collection without an intermediate `Array`.
    convenience init(copyingBytesOf bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { destination in
            destination.copyBytes(from: bytes)
        }
    }

    /// Copies the UTF-8 form of `string` straight from its storage.
    ///
    /// The `String` itself cannot be wiped (it is immutable, maybe shared storage);
    /// callers who care should build secrets from bytes instead.
    convenience init(utf8Of string: String) {
        var string = string
        string.makeContiguousUTF8()
        self.init(count: string.utf8.count) { destination in
            string.withUTF8 { destination.copyMemory(from: UnsafeRawBufferPointer($0)) }
        }
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// Read-only access to the bytes; the pointer must not escape `body`.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Constant-time equality: secrets must not leak their common prefix length via timing.
    func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return withUnsafeBytes { lhs in
            other.withUnsafeBytes { rhs in
                CRYPTO_memcmp(lhs.baseAddress, rhs.baseAddress, count) == 0
            }
        }
    }
}

/// Runs `body` with a zeroed scratch buffer that is wiped and freed afterwards, for
/// transient plaintext (encoded payloads, decrypted bytes, passphrase input).
func withWipedScratchBuffer<R>(
    count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R
) rethrows -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    defer {
        OPENSSL_cleanse(buffer.baseAddress, buffer.count)
        buffer.deallocate()
    }
    return try body(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
}

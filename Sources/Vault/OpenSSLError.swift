internal import COpenSSL

/// Turns the OpenSSL error queue into `VaultError.crypto`.
///
/// OpenSSL error strings name library/function/reason only, never key or data bytes,
/// so they are safe to surface.
enum OpenSSLError {
    /// Drains the thread's OpenSSL error queue into one string.
    static func drainQueue() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error detail" : messages.joined(separator: "; ")
    }

    /// A `VaultError.crypto` for `operation` carrying the drained queue.
    static func failure(_ operation: String) -> VaultError {
        .crypto(operation: operation, detail: drainQueue())
    }
}

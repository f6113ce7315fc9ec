import NIOCore
import Synchronization
import Vault

/// Watches one request's body go by (byte count, SHA-256, whether it ended cleanly) and collects
/// what the handler learnt about the `file` part, for the request log.
final class ExchangeTap: Sendable {
    private enum Progress {
        case untouched
        case streaming
        case finished
        case failed
    }

    private struct Tally {
        var hasher = SHA256Hasher()
        var byteCount = 0
        var progress = Progress.untouched
        var fileByteCount: Int?
        var fileSHA256: String?
    }

    /// The finished tally.
    struct Summary: Sendable {
        let byteCount: Int
        let sha256: String
        let complete: Bool
        let fileByteCount: Int?
        let fileSHA256: String?
    }

    private let tally = Mutex(Tally())

    /// Whether nobody has started reading the body yet.
    var isUntouched: Bool {
        self.tally.withLock {
            if case .untouched = $0.progress { return true }
            return false
        }
    }

    func didStart() {
        self.tally.withLock { $0.progress = .streaming }
    }

    func absorb(_ buffer: ByteBuffer) {
        self.tally.withLock { tally in
            buffer.withUnsafeReadableBytes { tally.hasher.update($0) }
            tally.byteCount += buffer.readableBytes
        }
    }

    func didFinish() {
        self.tally.withLock { $0.progress = .finished }
    }

    func didFail() {
        self.tally.withLock { $0.progress = .failed }
    }

    /// Note the `file` part's size and digest (hex).
    func noteFile(byteCount: Int, sha256: String?) {
        self.tally.withLock {
            $0.fileByteCount = byteCount
            $0.fileSHA256 = sha256
        }
    }

    /// Finish hashing; call once, after the body has been read.
    func summarize() -> Summary {
        self.tally.withLock { tally in
            var hasher = tally.hasher
            let digest = Digest.hex(hasher.finalize())
            let complete: Bool
            switch tally.progress {
            case .finished: complete = true
            case .untouched, .streaming, .failed: complete = false
            }
            return Summary(
                byteCount: tally.byteCount,
                sha256: digest,
                complete: complete,
                fileByteCount: tally.fileByteCount,
                fileSHA256: tally.fileSHA256
            )
        }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// Recognises pin-detail responses whose pin is still in progress, so they get a short TTL.
///
/// A pin moves `queued → pinning → pinned`; caching `queued` for 30 s would make clients poll a
/// stale answer. Only `GET /api/pinning/<id>` is inspected, and only `data.status`.
struct PinStatusClassifier: Sendable {
    private let detailPrefix: String
    private let nonDetailSegments: Set<String>
    private let finalStates: Set<String>

    init(detailPrefix: String, nonDetailSegments: Set<String>, finalStates: Set<String>) {
        self.detailPrefix = detailPrefix
        self.nonDetailSegments = nonDetailSegments
        self.finalStates = Set(finalStates.map { $0.lowercased() })
    }

    // MARK: - Path

    /// `/api/pinning/<id>` (optionally with one trailing `/`), but not `pins`, `unpin`, `pinByHash`.
    func isPinDetail(path: String) -> Bool {
        guard path.utf8.starts(with: self.detailPrefix.utf8) else { return false }
        var segment = path.utf8.dropFirst(self.detailPrefix.utf8.count)
        if segment.last == UInt8(ascii: "/") { segment = segment.dropLast() }
        guard !segment.isEmpty, !segment.contains(UInt8(ascii: "/")) else { return false }
        return !self.nonDetailSegments.contains(String(decoding: segment, as: UTF8.self))
    }

    // MARK: - Body

    /// Only the field we need; everything else in the envelope is ignored by the decoder.
    private struct Envelope: Decodable {
        struct Pin: Decodable {
            let status: String?
        }
        let data: Pin?
    }

    /// `true` when the body is JSON with a string `data.status` that is not a final state.
    /// Anything else (not JSON, no `data`, non-string status) → `false`, i.e. normal TTL.
    func isInProgress(body: ByteBuffer) -> Bool {
        let bytes = body.withUnsafeReadableBytes { Data($0) }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: bytes),
            let status = envelope.data?.status
        else { return false }
        return !self.finalStates.contains(status.lowercased())
    }
}

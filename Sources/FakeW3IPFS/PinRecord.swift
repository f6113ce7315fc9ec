/// One pin as the fake stores it.
struct PinRecord: Sendable {
    /// Pin id (UUID string), used in `/api/pinning/:pinId`.
    let id: String
    let fileRecordID: String
    let cid: String
    /// Creation order; ties in sorting are broken by it.
    let sequence: Int
    let isPinByHash: Bool
    let datePinned: PinTimestamp
    var dateUnpinned: PinTimestamp?
    /// Bytes of content (0 for a pin by hash: the fake never fetches it).
    var size: Int
    /// `pinned`, `queued`, `unpinned`, or whatever a test set.
    var status: String
    var metadata: PinMetadata

    /// `pinned` in the JSON: true exactly while the status is `pinned`.
    var isPinned: Bool { self.status == PinStatus.pinned }
}

/// Status strings the fake itself uses.
enum PinStatus {
    static let pinned = "pinned"
    static let queued = "queued"
    static let unpinned = "unpinned"
}

/// The JSON shape of a pin inside a `data` envelope (field names as in the upstream docs).
struct PinPayload: Encodable, Sendable {
    let pin: PinRecord
    let userID: String
    /// The docs show `size` on reads (get, list, unpin) but not on the create responses.
    let includesSize: Bool

    private enum CodingKeys: String, CodingKey {
        case id
        case fileRecordID = "file_record_id"
        case rootHash = "root_hash"
        case cid
        case size
        case userID = "user_id"
        case datePinned = "date_pinned"
        case dateUnpinned = "date_unpinned"
        case pinned
        case isPinByHash = "is_pin_by_hash"
        case subHashStatus = "sub_hash_status"
        case isDir = "is_dir"
        case metadata
        case status
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.pin.id, forKey: .id)
        try container.encode(self.pin.fileRecordID, forKey: .fileRecordID)
        try container.encode(self.pin.cid, forKey: .rootHash)
        try container.encode(self.pin.cid, forKey: .cid)
        if self.includesSize {
            try container.encode(self.pin.size, forKey: .size)
        }
        try container.encode(self.userID, forKey: .userID)
        try container.encode(self.pin.datePinned.description, forKey: .datePinned)
        try container.encode(self.pin.dateUnpinned?.description, forKey: .dateUnpinned)  // null until unpinned
        try container.encode(self.pin.isPinned, forKey: .pinned)
        try container.encode(self.pin.isPinByHash, forKey: .isPinByHash)
        try container.encode(self.pin.status, forKey: .subHashStatus)
        try container.encode(false, forKey: .isDir)
        try container.encode(self.pin.metadata, forKey: .metadata)
        try container.encode(self.pin.status, forKey: .status)
    }
}

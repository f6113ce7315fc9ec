/// `data` of the list endpoint: `{"totals": {"files", "size"}, "pins": [...]}`.
struct PinListPayload: Encodable, Sendable {
    struct Totals: Encodable, Sendable {
        let files: Int
        let size: Int
    }

    let totals: Totals
    let pins: [PinPayload]
}

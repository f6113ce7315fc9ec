/// The validated query of `GET /api/pinning/pins/`.
///
/// Defaults follow the docs (offset 0, limit 10, pinned all, sortBy created_at, sortOrder DESC).
/// Unknown parameters are ignored; a known one with a bad value is a 400. `sortOrder` is matched
/// case-insensitively; other values are exact.
struct PinListQuery: Sendable, Equatable {
    enum PinnedFilter: String, Sendable {
        case all, `true`, `false`
    }

    enum SortField: String, Sendable {
        case createdAt = "created_at"
        case size
        case name
    }

    /// Largest `limit` accepted.
    static let maximumLimit = 1000

    var offset = 0
    var limit = 10
    var pinned = PinnedFilter.all
    var sortBy = SortField.createdAt
    var ascending = false

    init() {}

    /// Validate raw (already percent-decoded) query parameters.
    /// - Parameter value: Looks up the first value of a parameter.
    /// - Throws: ``PinningAPIError`` (400) naming the bad parameter.
    init(value: (String) -> String?) throws(PinningAPIError) {
        if let text = value("offset") {
            guard let offset = Int(text), offset >= 0 else {
                throw .badRequest("offset must be a non-negative integer")
            }
            self.offset = offset
        }
        if let text = value("limit") {
            guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
                throw .badRequest("limit must be an integer from 1 to \(Self.maximumLimit)")
            }
            self.limit = limit
        }
        if let text = value("pinned") {
            guard let pinned = PinnedFilter(rawValue: text) else {
                throw .badRequest("pinned must be one of all, true, false")
            }
            self.pinned = pinned
        }
        if let text = value("sortBy") {
            guard let sortBy = SortField(rawValue: text) else {
                throw .badRequest("sortBy must be one of created_at, size, name")
            }
            self.sortBy = sortBy
        }
        if let text = value("sortOrder") {
            switch text.uppercased() {
            case "ASC": self.ascending = true
            case "DESC": self.ascending = false
            default: throw .badRequest("sortOrder must be ASC or DESC")
            }
        }
    }

    /// Whether `pin` passes the `pinned` filter.
    func admits(_ pin: PinRecord) -> Bool {
        switch self.pinned {
        case .all: true
        case .true: pin.isPinned
        case .false: !pin.isPinned
        }
    }

    /// Strict order of two pins for this query (creation order breaks ties, so it is total).
    func precedes(_ lhs: PinRecord, _ rhs: PinRecord) -> Bool {
        self.ascending ? self.keyLess(lhs, rhs) : self.keyLess(rhs, lhs)
    }

    private func keyLess(_ lhs: PinRecord, _ rhs: PinRecord) -> Bool {
        switch self.sortBy {
        case .createdAt:
            (lhs.datePinned, lhs.sequence) < (rhs.datePinned, rhs.sequence)
        case .size:
            (lhs.size, lhs.sequence) < (rhs.size, rhs.sequence)
        case .name:
            (lhs.metadata.name ?? "", lhs.sequence) < (rhs.metadata.name ?? "", rhs.sequence)
        }
    }
}

import HTTPTypes

/// The secondary cache key of one variant: the request header names a response's `Vary` lists
/// and the values the storing request had for them (RFC 9111 §4.1).
struct VarySelector: Sendable, Equatable {
    /// Sorted by canonical name so two responses listing the same names compare equal.
    let names: [HTTPField.Name]
    /// Combined request value per name (`nil` = header absent), parallel to `names`.
    let values: [String?]

    static let none = VarySelector(names: [], values: [])

    /// Outcome of reading a response's `Vary` lines.
    enum Parsed {
        case names([HTTPField.Name])
        /// `Vary: *` or an unparsable member: never matches a later request, so don't store.
        case unmatchable
    }

    static func parse(_ responseHeaders: HTTPFields) -> Parsed {
        var names: [HTTPField.Name] = []
        for line in responseHeaders[values: .vary] {
            for member in line.split(separator: ",") {
                let token = String(member).trimmingASCIIWhitespace()
                if token.isEmpty { continue }
                if token == "*" { return .unmatchable }
                guard let name = HTTPField.Name(token) else { return .unmatchable }
                if !names.contains(name) { names.append(name) }
            }
        }
        names.sort { $0.canonicalName < $1.canonicalName }
        return .names(names)
    }

    /// The selector for `names` as seen in `requestHeaders`.
    init(names: [HTTPField.Name], requestHeaders: HTTPFields) {
        self.names = names
        self.values = names.map { requestHeaders[$0] }
    }

    private init(names: [HTTPField.Name], values: [String?]) {
        self.names = names
        self.values = values
    }

    /// Whether a new request selects this variant. No `Vary` → always.
    func matches(_ requestHeaders: HTTPFields) -> Bool {
        for index in self.names.indices where requestHeaders[self.names[index]] != self.values[index] {
            return false
        }
        return true
    }

    /// Same as ``matches(_:)`` with header values read through a closure (no `HTTPFields` needed).
    func matches(_ headerValue: (HTTPField.Name) -> String?) -> Bool {
        for index in self.names.indices where headerValue(self.names[index]) != self.values[index] {
            return false
        }
        return true
    }

    /// Bytes charged for the stored values.
    var byteCount: Int {
        var total = 0
        for index in self.names.indices {
            total += self.names[index].canonicalName.utf8.count + (self.values[index]?.utf8.count ?? 0) + 16
        }
        return total
    }
}

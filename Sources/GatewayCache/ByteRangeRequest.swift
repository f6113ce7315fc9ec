/// A request's `Range: bytes=…` (RFC 9110 §14.1.2): `bytes=0-99`, `bytes=100-`, `bytes=-50`, or several of them.
///
/// `nil` from the initialiser means "no range to honour": the field is absent, names another unit, or is
/// malformed (a server may ignore such a field and send the whole representation).
public struct ByteRangeRequest: Sendable, Hashable {
    /// One `int-range` (`first` set) or `suffix-range` (`first` nil, `last` is the suffix length).
    public struct Spec: Sendable, Hashable {
        /// First byte position, nil for a suffix range.
        public var first: Int?
        /// Last byte position (inclusive), nil for `first-`; for a suffix range, its length.
        public var last: Int?
    }

    /// The ranges in the order asked.
    public let specs: [Spec]

    /// Parses the `Range` lines of a request.
    public init?(_ lines: [String]) {
        guard lines.count == 1 else { return nil }
        let value = lines[0].trimmingASCIIWhitespace()
        guard let equals = value.firstIndex(of: "="), String(value[..<equals]).trimmingASCIIWhitespace().lowercased() == "bytes" else {
            return nil
        }
        var specs: [Spec] = []
        for member in value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(member).trimmingASCIIWhitespace()
            if text.isEmpty { continue }
            guard let dash = text.firstIndex(of: "-") else { return nil }
            let firstText = String(text[..<dash]), lastText = String(text[text.index(after: dash)...])
            let first = CacheControl.parseDeltaSeconds(firstText), last = CacheControl.parseDeltaSeconds(lastText)
            switch (firstText.isEmpty, lastText.isEmpty) {
            case (true, false):
                guard let last else { return nil }
                specs.append(Spec(first: nil, last: last))
            case (false, true):
                guard let first else { return nil }
                specs.append(Spec(first: first, last: nil))
            case (false, false):
                guard let first, let last, first <= last else { return nil }
                specs.append(Spec(first: first, last: last))
            case (true, true):
                return nil
            }
        }
        guard !specs.isEmpty else { return nil }
        self.specs = specs
    }

    /// More than one range.
    public var isMultiple: Bool { self.specs.count > 1 }

    /// The single range's outcome over a representation of `length` bytes (RFC 9110 §14.1.1): an `int-range` is
    /// satisfiable when it starts inside it (its end is clamped), a `suffix-range` when its length is not zero.
    public func outcome(length: Int) -> RangeOutcome {
        guard let spec = self.specs.first, !self.isMultiple else { return .full }
        if let first = spec.first {
            guard first < length else { return .unsatisfiable }
            return .partial(first: first, last: min(spec.last ?? (length - 1), length - 1))
        }
        let suffix = spec.last ?? 0
        guard suffix > 0 else { return .unsatisfiable }
        // A suffix over an empty representation selects nothing to send a part of: the whole (empty) response.
        guard length > 0 else { return .full }
        return .partial(first: max(0, length - suffix), last: length - 1)
    }
}

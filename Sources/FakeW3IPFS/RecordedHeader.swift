/// One header line exactly as the fake received it.
///
/// HTTP/1 carries `Host` as a header, but the server's request model lifts it into the
/// authority; the fake puts it back as the first recorded header so the list reads like the wire.
public struct RecordedHeader: Sendable, Hashable, CustomStringConvertible {
    /// Header name, with the spelling and case the client sent.
    public let name: String
    /// Header value.
    public let value: String

    /// Create a recorded header.
    /// - Parameters:
    ///   - name: Header name as sent.
    ///   - value: Header value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `Name: value`, as on the wire.
    public var description: String { "\(self.name): \(self.value)" }
}

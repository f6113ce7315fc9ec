/// ``FakeW3IPFSState/waitForRequests(count:within:)`` gave up: the log did not reach the count in time.
public struct RequestLogTimeout: Error, CustomStringConvertible {
    /// Requests waited for.
    public let expected: Int
    /// Requests in the log when the wait gave up.
    public let seen: Int
    /// How long it waited.
    public let waited: Duration

    public var description: String {
        "waited \(waited) for \(expected) request(s) at the fake upstream; it recorded \(seen)"
    }
}

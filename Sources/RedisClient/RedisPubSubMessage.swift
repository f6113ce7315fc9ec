import NIOCore

/// A message published on a channel the client subscribed to.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    public var channel: String
    /// The message as published.
    public var payload: ByteBuffer

    /// - Parameters:
    ///   - channel: The channel.
    ///   - payload: The message.
    public init(channel: String, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }

    /// Reads a `message` frame (`["message", channel, payload]`, as an array or a RESP3 push).
    init?(_ value: RESPValue) {
        guard let elements = value.elements, elements.count == 3, elements[0].string?.lowercased() == "message",
            let channel = elements[1].string, case .bulkString(.some(let payload)) = elements[2]
        else {
            return nil
        }
        self.init(channel: channel, payload: payload)
    }
}

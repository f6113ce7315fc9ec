import NIOCore

/// One Redis command: its name and arguments, sent as an array of bulk strings.
public struct RedisCommand: Sendable, Hashable {
    /// The command name as given, such as `GET` or `EVALSHA`; observers see it uppercased as the operation.
    public var name: String
    /// The arguments after the name.
    public var arguments: [ByteBuffer]

    /// - Parameters:
    ///   - name: The command name.
    ///   - arguments: The arguments as bytes.
    public init(_ name: String, arguments: [ByteBuffer]) {
        self.name = name
        self.arguments = arguments
    }

    /// - Parameters:
    ///   - name: The command name.
    ///   - arguments: The arguments as UTF-8 text.
    public init(_ name: String, _ arguments: String...) {
        self.init(name, arguments: arguments.map { ByteBuffer(string: $0) })
    }

    /// The name uppercased, as reported to ``RedisClientHooks``.
    public var operation: String {
        self.name.uppercased()
    }

    /// The command as the RESP array the server expects.
    var respValue: RESPValue {
        var elements: [RESPValue] = [.bulkString(ByteBuffer(string: self.name))]
        elements.reserveCapacity(self.arguments.count + 1)
        for argument in self.arguments {
            elements.append(.bulkString(argument))
        }
        return .array(elements)
    }
}

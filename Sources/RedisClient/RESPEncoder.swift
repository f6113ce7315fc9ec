import NIOCore

/// Encodes ``RESPValue``s as RESP frames; commands go out as arrays of bulk strings.
public struct RESPEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = RESPValue

    public init() {}

    public func encode(data: RESPValue, out: inout ByteBuffer) throws {
        out.writeRESPValue(data)
    }
}

extension ByteBuffer {
    /// Appends `value` as a RESP frame.
    ///
    /// - Parameter value: The value to encode. Simple strings, errors and big numbers must not hold CR or LF.
    /// - Returns: The number of bytes written.
    @discardableResult
    public mutating func writeRESPValue(_ value: RESPValue) -> Int {
        let start = self.writerIndex
        switch value {
        case .simpleString(let text):
            self.writeRESPLine(prefix: "+", text)
        case .error(let text):
            self.writeRESPLine(prefix: "-", text)
        case .integer(let value):
            self.writeRESPLine(prefix: ":", String(value))
        case .bulkString(.none):
            self.writeStaticString("$-1\r\n")
        case .bulkString(.some(let payload)):
            self.writeRESPLine(prefix: "$", String(payload.readableBytes))
            self.writeImmutableBuffer(payload)
            self.writeStaticString("\r\n")
        case .array(.none):
            self.writeStaticString("*-1\r\n")
        case .array(.some(let elements)):
            self.writeRESPAggregate(prefix: "*", elements)
        case .null:
            self.writeStaticString("_\r\n")
        case .boolean(let flag):
            self.writeStaticString(flag ? "#t\r\n" : "#f\r\n")
        case .double(let number):
            let text: String
            if number.isNaN {
                text = "nan"
            } else if number.isInfinite {
                text = number < 0 ? "-inf" : "inf"
            } else {
                text = String(number)
            }
            self.writeRESPLine(prefix: ",", text)
        case .bigNumber(let digits):
            self.writeRESPLine(prefix: "(", digits)
        case .verbatimString(let format, let text):
            self.writeRESPLine(prefix: "=", String(format.utf8.count + 1 + text.utf8.count))
            self.writeString(format)
            self.writeStaticString(":")
            self.writeString(text)
            self.writeStaticString("\r\n")
        case .map(let pairs):
            self.writeRESPLine(prefix: "%", String(pairs.count))
            for pair in pairs {
                self.writeRESPValue(pair.key)
                self.writeRESPValue(pair.value)
            }
        case .set(let elements):
            self.writeRESPAggregate(prefix: "~", elements)
        case .push(let elements):
            self.writeRESPAggregate(prefix: ">", elements)
        }
        return self.writerIndex - start
    }

    private mutating func writeRESPLine(prefix: StaticString, _ text: String) {
        self.writeStaticString(prefix)
        self.writeString(text)
        self.writeStaticString("\r\n")
    }

    private mutating func writeRESPAggregate(prefix: StaticString, _ elements: [RESPValue]) {
        self.writeRESPLine(prefix: prefix, String(elements.count))
        for element in elements {
            self.writeRESPValue(element)
        }
    }
}

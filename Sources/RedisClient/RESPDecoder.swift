import NIOCore

/// Decodes RESP2 and RESP3 frames into ``RESPValue``s.
///
/// A frame that has not fully arrived is left in the buffer until it has, so replies may be split at any byte.
/// Malformed frames and frames over ``Limits`` throw a ``RESPProtocolError``.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    /// Bounds that keep a broken or hostile peer from making the decoder allocate or recurse without end.
    public struct Limits: Sendable, Hashable {
        /// The largest bulk string, blob error or verbatim string payload, in bytes.
        public var maximumBulkLength: Int
        /// The largest number of elements in one array, set or push, or of pairs in one map.
        public var maximumAggregateCount: Int
        /// How deeply aggregates may nest.
        public var maximumDepth: Int
        /// The longest line (simple string, error, number), in bytes without the CRLF.
        public var maximumLineLength: Int

        /// - Parameters:
        ///   - maximumBulkLength: The largest bulk payload in bytes.
        ///   - maximumAggregateCount: The largest element count of one aggregate.
        ///   - maximumDepth: How deeply aggregates may nest.
        ///   - maximumLineLength: The longest line in bytes.
        public init(
            maximumBulkLength: Int = 64 * 1024 * 1024,
            maximumAggregateCount: Int = 1024 * 1024,
            maximumDepth: Int = 32,
            maximumLineLength: Int = 64 * 1024
        ) {
            self.maximumBulkLength = maximumBulkLength
            self.maximumAggregateCount = maximumAggregateCount
            self.maximumDepth = maximumDepth
            self.maximumLineLength = maximumLineLength
        }
    }

    /// The bounds this decoder enforces.
    public let limits: Limits

    /// - Parameter limits: The bounds to enforce.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try self.decode(buffer: &buffer) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }

    /// Reads one complete frame from `buffer`.
    ///
    /// - Returns: The value, with its bytes consumed; or `nil`, with nothing consumed, when the frame is incomplete.
    /// - Throws: ``RESPProtocolError`` when the bytes are no valid frame.
    public func decode(buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPValue? {
        var scratch = buffer
        guard let value = try self.parseValue(&scratch, depth: 0) else {
            return nil
        }
        buffer = scratch
        return value
    }

    // MARK: - Frames

    private func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(RESPProtocolError) -> RESPValue? {
        guard let type = buffer.readInteger(as: UInt8.self) else {
            return nil
        }
        switch type {
        case UInt8(ascii: "+"):
            return try self.readLine(&buffer).map { .simpleString(String(decoding: $0, as: UTF8.self)) }
        case UInt8(ascii: "-"):
            return try self.readLine(&buffer).map { .error(String(decoding: $0, as: UTF8.self)) }
        case UInt8(ascii: ":"):
            return try self.readLine(&buffer).map { line throws(RESPProtocolError) in
                guard let value = Self.parseInteger(line) else { throw .invalidInteger }
                return .integer(value)
            }
        case UInt8(ascii: "$"):
            guard let payload = try self.readBlob(&buffer, allowsNull: true) else { return nil }
            return .bulkString(payload)
        case UInt8(ascii: "!"):
            guard let payload = try self.readBlob(&buffer, allowsNull: false) else { return nil }
            return .error(String(buffer: payload!))
        case UInt8(ascii: "="):
            guard let payload = try self.readBlob(&buffer, allowsNull: false) else { return nil }
            let bytes = payload!.readableBytesView
            guard bytes.count >= 4, bytes[bytes.startIndex + 3] == UInt8(ascii: ":") else {
                throw .invalidVerbatimString
            }
            return .verbatimString(
                format: String(decoding: bytes.prefix(3), as: UTF8.self),
                text: String(decoding: bytes.dropFirst(4), as: UTF8.self)
            )
        case UInt8(ascii: "*"):
            guard let elements = try self.readAggregate(&buffer, depth: depth, allowsNull: true, pairs: false) else {
                return nil
            }
            return .array(elements)
        case UInt8(ascii: "~"):
            guard let elements = try self.readAggregate(&buffer, depth: depth, allowsNull: false, pairs: false) else {
                return nil
            }
            return .set(elements!)
        case UInt8(ascii: ">"):
            guard let elements = try self.readAggregate(&buffer, depth: depth, allowsNull: false, pairs: false) else {
                return nil
            }
            return .push(elements!)
        case UInt8(ascii: "%"):
            guard let elements = try self.readAggregate(&buffer, depth: depth, allowsNull: false, pairs: true) else {
                return nil
            }
            let flat = elements!
            return .map(stride(from: 0, to: flat.count, by: 2).map { (key: flat[$0], value: flat[$0 + 1]) })
        case UInt8(ascii: "_"):
            return try self.readLine(&buffer).map { line throws(RESPProtocolError) in
                guard line.isEmpty else { throw .invalidNull }
                return .null
            }
        case UInt8(ascii: "#"):
            return try self.readLine(&buffer).map { line throws(RESPProtocolError) in
                switch Array(line) {
                case [UInt8(ascii: "t")]: return .boolean(true)
                case [UInt8(ascii: "f")]: return .boolean(false)
                default: throw .invalidBoolean
                }
            }
        case UInt8(ascii: ","):
            return try self.readLine(&buffer).map { line throws(RESPProtocolError) in
                guard let value = Self.parseDouble(line) else { throw .invalidDouble }
                return .double(value)
            }
        case UInt8(ascii: "("):
            return try self.readLine(&buffer).map { line throws(RESPProtocolError) in
                let digits = line.first == UInt8(ascii: "-") || line.first == UInt8(ascii: "+") ? line.dropFirst() : line[...]
                guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                    throw .invalidInteger
                }
                return .bigNumber(String(decoding: line, as: UTF8.self))
            }
        default:
            throw .unknownType
        }
    }

    /// Reads a length-prefixed payload (`$`, `!`, `=`): `.some(nil)` is the null bulk string, `nil` means incomplete.
    private func readBlob(_ buffer: inout ByteBuffer, allowsNull: Bool) throws(RESPProtocolError) -> ByteBuffer?? {
        guard let length = try self.readLength(&buffer, allowsNull: allowsNull, limit: self.limits.maximumBulkLength)
        else {
            return nil
        }
        guard length >= 0 else {
            return .some(nil)
        }
        guard buffer.readableBytes >= length + 2 else {
            return nil
        }
        let payload = buffer.readSlice(length: length)!
        guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
            throw .missingCRLF
        }
        return .some(payload)
    }

    /// Reads an aggregate's elements (`pairs` doubles the count, for maps): `.some(nil)` is the null array,
    /// `nil` means incomplete.
    private func readAggregate(
        _ buffer: inout ByteBuffer,
        depth: Int,
        allowsNull: Bool,
        pairs: Bool
    ) throws(RESPProtocolError) -> [RESPValue]?? {
        guard depth < self.limits.maximumDepth else {
            throw .nestingLimitExceeded
        }
        guard let count = try self.readLength(&buffer, allowsNull: allowsNull, limit: self.limits.maximumAggregateCount)
        else {
            return nil
        }
        guard count >= 0 else {
            return .some(nil)
        }
        let total = pairs ? count * 2 : count
        var elements: [RESPValue] = []
        // The declared count is not trusted for allocation: the elements may never arrive.
        elements.reserveCapacity(min(total, 64))
        for _ in 0..<total {
            guard let element = try self.parseValue(&buffer, depth: depth + 1) else {
                return nil
            }
            elements.append(element)
        }
        return .some(elements)
    }

    /// Reads a length line: `nil` when incomplete, `-1` for null (where allowed).
    private func readLength(_ buffer: inout ByteBuffer, allowsNull: Bool, limit: Int) throws(RESPProtocolError) -> Int? {
        guard let line = try self.readLine(&buffer) else {
            return nil
        }
        guard let length = Self.parseInteger(line) else {
            throw .invalidLength
        }
        if length == -1 && allowsNull {
            return -1
        }
        guard length >= 0 else {
            throw .invalidLength
        }
        guard length <= limit else {
            throw .lengthLimitExceeded
        }
        return Int(length)
    }

    /// Reads the bytes up to the next CRLF and consumes the CRLF: `nil` when the line has not fully arrived.
    private func readLine(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> ByteBufferView? {
        let view = buffer.readableBytesView
        let window = view.prefix(self.limits.maximumLineLength + 2)
        guard let end = window.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else {
            if window.count > self.limits.maximumLineLength {
                throw .lengthLimitExceeded
            }
            return nil
        }
        guard view[end] == 0x0D else {
            throw .missingCRLF
        }
        guard end + 1 < view.endIndex else {
            return nil
        }
        guard view[end + 1] == 0x0A else {
            throw .missingCRLF
        }
        let line = view[view.startIndex..<end]
        buffer.moveReaderIndex(forwardBy: end - view.startIndex + 2)
        return line
    }

    // MARK: - Numbers

    private static func parseInteger(_ line: ByteBufferView) -> Int64? {
        var digits = line[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else {
            return nil
        }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return nil
            }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowShift, !overflowAdd else {
                return nil
            }
            value = next
        }
        return value
    }

    private static func parseDouble(_ line: ByteBufferView) -> Double? {
        let text = String(decoding: line, as: UTF8.self)
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        // `Double(_:)` also accepts hexadecimal and "infinity"; RESP allows only decimal notation.
        let allowed = Set("0123456789+-.eE".utf8)
        guard !text.isEmpty, text.utf8.allSatisfy(allowed.contains) else {
            return nil
        }
        return Double(text)
    }
}

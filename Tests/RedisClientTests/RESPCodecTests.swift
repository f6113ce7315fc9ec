import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

@Suite("RESP codec", .timeLimit(.minutes(1)))
struct RESPCodecTests {
    /// One frame per RESP2 and RESP3 type, with the value it decodes to.
    static let frames: [(bytes: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":42\r\n", .integer(42)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$5\r\nhello\r\n", .bulkString(ByteBuffer(string: "hello"))),
        ("$0\r\n\r\n", .bulkString(ByteBuffer())),
        ("$4\r\na\r\nb\r\n", .bulkString(ByteBuffer(string: "a\r\nb"))),
        ("$-1\r\n", .bulkString(nil)),
        ("*2\r\n$3\r\nGET\r\n:1\r\n", .array([.bulkString(ByteBuffer(string: "GET")), .integer(1)])),
        ("*0\r\n", .array([])),
        ("*-1\r\n", .array(nil)),
        ("*2\r\n*1\r\n+a\r\n*0\r\n", .array([.array([.simpleString("a")]), .array([])])),
        ("_\r\n", .null),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        (",3.25\r\n", .double(3.25)),
        (",-0.5\r\n", .double(-0.5)),
        (",inf\r\n", .double(.infinity)),
        (",-inf\r\n", .double(-.infinity)),
        (",nan\r\n", .double(.nan)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        ("(-12\r\n", .bigNumber("-12")),
        ("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: "Some string")),
        (
            "%2\r\n+first\r\n:1\r\n+second\r\n#f\r\n",
            .map([(key: .simpleString("first"), value: .integer(1)), (key: .simpleString("second"), value: .boolean(false))])
        ),
        ("~2\r\n+a\r\n:2\r\n", .set([.simpleString("a"), .integer(2)])),
        (
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            .push([
                .bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "ch")),
                .bulkString(ByteBuffer(string: "hi")),
            ])
        ),
    ]

    @Test("every type decodes", arguments: Self.frames.indices)
    func decodesEveryType(index: Int) throws {
        let (bytes, expected) = Self.frames[index]
        var buffer = ByteBuffer(string: bytes + "+next\r\n")
        let decoder = RESPDecoder()
        #expect(try decoder.decode(buffer: &buffer) == expected)
        #expect(try decoder.decode(buffer: &buffer) == .simpleString("next"), "exactly one frame was consumed")
        #expect(buffer.readableBytes == 0)
    }

    @Test("every type survives a split at every byte boundary", arguments: Self.frames.indices)
    func decodesSplitFrames(index: Int) throws {
        let (bytes, expected) = Self.frames[index]
        let whole = Array(bytes.utf8)
        for split in 1..<whole.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
            defer { _ = try? channel.finish() }
            try channel.writeInbound(ByteBuffer(bytes: whole[..<split]))
            #expect(try channel.readInbound(as: RESPValue.self) == nil, "split at \(split): decoded too early")
            try channel.writeInbound(ByteBuffer(bytes: whole[split...]))
            #expect(try channel.readInbound(as: RESPValue.self) == expected, "split at \(split)")
        }
    }

    @Test("a frame fed one byte at a time decodes once it is complete")
    func decodesByteByByte() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        defer { _ = try? channel.finish() }
        let stream = Self.frames.map(\.bytes).joined()
        var decoded: [RESPValue] = []
        for byte in stream.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            while let value = try channel.readInbound(as: RESPValue.self) {
                decoded.append(value)
            }
        }
        #expect(decoded == Self.frames.map(\.value))
    }

    @Test("the encoder writes each value as the frame it was decoded from", arguments: Self.frames.indices)
    func encodesEveryType(index: Int) throws {
        let (bytes, value) = Self.frames[index]
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RESPEncoder()))
        defer { _ = try? channel.finish() }
        try channel.writeOutbound(value)
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == bytes)
    }

    @Test("a RESP3 blob error decodes as an error")
    func decodesBlobError() throws {
        var buffer = ByteBuffer(string: "!21\r\nSYNTAX invalid syntax\r\n")
        #expect(try RESPDecoder().decode(buffer: &buffer) == .error("SYNTAX invalid syntax"))
    }

    @Test("a command encodes as an array of bulk strings")
    func encodesCommand() throws {
        var buffer = ByteBuffer()
        buffer.writeRESPValue(RedisCommand("SET", "k", "v").respValue)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    }

    // MARK: - Malformed frames

    static let malformed: [(bytes: String, error: RESPProtocolError)] = [
        ("?x\r\n", .unknownType),
        ("\r\n", .unknownType),
        ("$abc\r\n", .invalidLength),
        ("$\r\n", .invalidLength),
        ("$-2\r\n", .invalidLength),
        ("*-5\r\n", .invalidLength),
        ("~-1\r\n", .invalidLength),
        ("$3\r\nfooXY", .missingCRLF),
        ("$3\r\nfoo\rX", .missingCRLF),
        ("+OK\nmore", .missingCRLF),
        ("+O\rK\r\n", .missingCRLF),
        (":1\n", .missingCRLF),
        ("$99999999999\r\n", .lengthLimitExceeded),
        ("*99999999999\r\n", .lengthLimitExceeded),
        ("%99999999999\r\n", .lengthLimitExceeded),
        ("$99999999999999999999999\r\n", .invalidLength),
        (":12a\r\n", .invalidInteger),
        (":\r\n", .invalidInteger),
        (":99999999999999999999\r\n", .invalidInteger),
        ("#x\r\n", .invalidBoolean),
        (",1.2.x\r\n", .invalidDouble),
        (",0x10\r\n", .invalidDouble),
        (",infinity\r\n", .invalidDouble),
        ("(12x\r\n", .invalidInteger),
        ("_x\r\n", .invalidNull),
        ("=3\r\nabc\r\n", .invalidVerbatimString),
        ("*1\r\n?\r\n", .unknownType),
    ]

    @Test("malformed frames fail with a typed error", arguments: Self.malformed.indices)
    func refusesMalformedFrames(index: Int) throws {
        let (bytes, error) = Self.malformed[index]
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        defer { _ = try? channel.finish() }
        #expect(throws: error, "\(bytes.debugDescription)") {
            try channel.writeInbound(ByteBuffer(string: bytes))
        }
    }

    @Test("absurd nesting fails before the decoder recurses deeply")
    func refusesDeepNesting() throws {
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: 100_000) + ":1\r\n")
        #expect(throws: RESPProtocolError.nestingLimitExceeded) {
            try RESPDecoder().decode(buffer: &buffer)
        }
        var shallow = ByteBuffer(string: String(repeating: "*1\r\n", count: 3) + ":1\r\n")
        #expect(try RESPDecoder(limits: .init(maximumDepth: 3)).decode(buffer: &shallow) != nil)
    }

    @Test("a line that never ends fails once it passes the line limit")
    func refusesEndlessLine() throws {
        let decoder = RESPDecoder(limits: .init(maximumLineLength: 16))
        var short = ByteBuffer(string: "+" + String(repeating: "a", count: 16))
        #expect(try decoder.decode(buffer: &short) == nil, "still within the limit: wait for more")
        var long = ByteBuffer(string: "+" + String(repeating: "a", count: 20))
        #expect(throws: RESPProtocolError.lengthLimitExceeded) {
            try decoder.decode(buffer: &long)
        }
    }

    @Test("a bulk string over the configured limit fails before its payload arrives")
    func refusesLargeBulkString() throws {
        let decoder = RESPDecoder(limits: .init(maximumBulkLength: 8))
        var fits = ByteBuffer(string: "$8\r\n12345678\r\n")
        #expect(try decoder.decode(buffer: &fits) == .bulkString(ByteBuffer(string: "12345678")))
        var over = ByteBuffer(string: "$9\r\n")
        #expect(throws: RESPProtocolError.lengthLimitExceeded) {
            try decoder.decode(buffer: &over)
        }
    }

    @Test("an incomplete frame consumes nothing")
    func incompleteFrameConsumesNothing() throws {
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nfoo\r\n$3\r\nba")
        #expect(try RESPDecoder().decode(buffer: &buffer) == nil)
        #expect(buffer.readerIndex == 0)
    }
}

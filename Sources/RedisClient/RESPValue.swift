import NIOCore

/// One value of the Redis serialization protocol, RESP2 or RESP3.
///
/// Text that RESP defines as a single line (simple strings, errors, big numbers) is a `String`; payloads that may
/// hold any bytes (bulk strings) stay a `ByteBuffer`.
public enum RESPValue: Sendable {
    /// `+OK\r\n`
    case simpleString(String)
    /// `-ERR message\r\n` (and RESP3's blob error `!`): an error reply, kept as a value inside aggregates.
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nfoo\r\n`; `nil` is RESP2's null bulk string `$-1\r\n`.
    case bulkString(ByteBuffer?)
    /// `*2\r\n...`; `nil` is RESP2's null array `*-1\r\n`.
    case array([RESPValue]?)
    /// RESP3 `_\r\n`.
    case null
    /// RESP3 `#t\r\n` / `#f\r\n`.
    case boolean(Bool)
    /// RESP3 `,3.14\r\n`, including `inf`, `-inf` and `nan`.
    case double(Double)
    /// RESP3 `(3492890328409238509324850943850943825024385\r\n`: the digits, with an optional leading `-`.
    case bigNumber(String)
    /// RESP3 `=15\r\ntxt:Some string\r\n`: a three-letter format and the text.
    case verbatimString(format: String, text: String)
    /// RESP3 `%1\r\n...`: key-value pairs in the order the server sent them.
    case map([(key: RESPValue, value: RESPValue)])
    /// RESP3 `~2\r\n...`
    case set([RESPValue])
    /// RESP3 `>3\r\n...`: out-of-band data such as pub/sub messages.
    case push([RESPValue])
}

// MARK: - Convenience accessors

extension RESPValue {
    /// A bulk string's bytes or a simple string's text as UTF-8 (lossy); `nil` for other values.
    public var string: String? {
        switch self {
        case .simpleString(let text), .bigNumber(let text):
            return text
        case .bulkString(.some(let buffer)):
            return String(buffer: buffer)
        case .verbatimString(_, let text):
            return text
        default:
            return nil
        }
    }

    /// The value of an integer reply; `nil` for other values.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The elements of an array, set or push; `nil` for other values (and for the null array).
    public var elements: [RESPValue]? {
        switch self {
        case .array(.some(let elements)), .set(let elements), .push(let elements):
            return elements
        default:
            return nil
        }
    }

    /// Whether this is a null: `$-1`, `*-1` or RESP3's `_`.
    public var isNull: Bool {
        switch self {
        case .null, .bulkString(.none), .array(.none):
            return true
        default:
            return false
        }
    }
}

// MARK: - Equatable

extension RESPValue: Equatable {
    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let l), .simpleString(let r)), (.error(let l), .error(let r)),
            (.bigNumber(let l), .bigNumber(let r)):
            return l == r
        case (.integer(let l), .integer(let r)):
            return l == r
        case (.bulkString(let l), .bulkString(let r)):
            return l == r
        case (.array(let l), .array(let r)):
            return l == r
        case (.null, .null):
            return true
        case (.boolean(let l), .boolean(let r)):
            return l == r
        case (.double(let l), .double(let r)):
            // NaN compares equal to NaN so that decoded `,nan` frames can be asserted on.
            return l == r || (l.isNaN && r.isNaN)
        case (.verbatimString(let lf, let lt), .verbatimString(let rf, let rt)):
            return lf == rf && lt == rt
        case (.map(let l), .map(let r)):
            return l.count == r.count && zip(l, r).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.set(let l), .set(let r)), (.push(let l), .push(let r)):
            return l == r
        default:
            return false
        }
    }
}

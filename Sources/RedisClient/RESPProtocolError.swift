/// A frame from the server that does not follow RESP, or that exceeds the decoder's limits.
///
/// The connection that received it is closed: after a malformed frame the stream cannot be resynchronised.
public struct RESPProtocolError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case unknownType
        case invalidLength
        case missingCRLF
        case lengthLimitExceeded
        case nestingLimitExceeded
        case invalidInteger
        case invalidDouble
        case invalidBoolean
        case invalidNull
        case invalidVerbatimString
    }

    private let code: Code

    private init(code: Code) {
        self.code = code
    }

    /// The frame starts with a byte that is no RESP type.
    public static let unknownType = RESPProtocolError(code: .unknownType)
    /// A length or element count is not a number, or is negative where only `-1` (null) is allowed.
    public static let invalidLength = RESPProtocolError(code: .invalidLength)
    /// A line or a bulk payload does not end with `\r\n`, or a line holds a bare `\r` or `\n`.
    public static let missingCRLF = RESPProtocolError(code: .missingCRLF)
    /// A length, element count or line is larger than the decoder accepts.
    public static let lengthLimitExceeded = RESPProtocolError(code: .lengthLimitExceeded)
    /// Aggregates are nested deeper than the decoder accepts.
    public static let nestingLimitExceeded = RESPProtocolError(code: .nestingLimitExceeded)
    /// An integer frame is not a 64-bit signed decimal number.
    public static let invalidInteger = RESPProtocolError(code: .invalidInteger)
    /// A double frame is not a decimal number, `inf`, `-inf` or `nan`.
    public static let invalidDouble = RESPProtocolError(code: .invalidDouble)
    /// A boolean frame is neither `t` nor `f`.
    public static let invalidBoolean = RESPProtocolError(code: .invalidBoolean)
    /// A null frame carries data.
    public static let invalidNull = RESPProtocolError(code: .invalidNull)
    /// A verbatim string lacks its `xxx:` format prefix.
    public static let invalidVerbatimString = RESPProtocolError(code: .invalidVerbatimString)

    public var description: String {
        switch self.code {
        case .unknownType: return "malformed Redis reply: unknown RESP type byte"
        case .invalidLength: return "malformed Redis reply: invalid length"
        case .missingCRLF: return "malformed Redis reply: missing CRLF"
        case .lengthLimitExceeded: return "malformed Redis reply: length over the decoder's limit"
        case .nestingLimitExceeded: return "malformed Redis reply: aggregates nested too deeply"
        case .invalidInteger: return "malformed Redis reply: invalid integer"
        case .invalidDouble: return "malformed Redis reply: invalid double"
        case .invalidBoolean: return "malformed Redis reply: invalid boolean"
        case .invalidNull: return "malformed Redis reply: null with data"
        case .invalidVerbatimString: return "malformed Redis reply: verbatim string without format"
        }
    }
}

/// `X-Request-Id` handling: a client's id is kept when it is short printable ASCII, else one is generated.
enum RequestIdentifier {
    /// Returns the client's id if acceptable, else a fresh random one (32 hex digits).
    static func resolve(_ clientValue: String?) -> String {
        if let value = clientValue, !value.isEmpty, value.utf8.count <= 128,
           value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return value
        }
        return generate()
    }

    /// A fresh 128-bit random id in hex.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

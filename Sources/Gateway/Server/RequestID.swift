import Synchronization

/// `X-Request-Id` handling: a client's id is kept when it is short printable ASCII, else one is generated.
enum RequestIdentifier {
    /// Random per process, so ids from two pingate runs never collide.
    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    /// Returns the client's id if acceptable, else a fresh one.
    static func resolve(_ clientValue: String?) -> String {
        if let value = clientValue, !value.isEmpty, value.utf8.count <= 128,
           value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return value
        }
        return generate()
    }

    /// A fresh id: the process prefix and a sequence number, 32 hex digits.
    ///
    /// Why not 128 random bits per request: two `getrandom` calls per request showed up in the hit-path profile,
    /// and an id only has to be unique, not unguessable.
    static func generate() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // Written straight into the string's storage: formatting and padding two hex strings and joining them
        // was three allocations per request (every hit and relayed GET gets an id).
        return String(unsafeUninitializedCapacity: 32) { bytes in
            func write(_ value: UInt64, at offset: Int) {
                for index in 0..<16 {
                    let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF
                    bytes[offset + index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                }
            }
            write(processPrefix, at: 0)
            write(sequence, at: 16)
            return 32
        }
    }
}

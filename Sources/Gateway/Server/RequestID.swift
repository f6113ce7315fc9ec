import Synchronization

/// `X-Request-Id` handling: a client's id is kept when it is short printable ASCII, else one is generated.
enum RequestIdentifier {
    /// Random per process, so ids from two pingate runs never collide.
    private static let processPrefix: String = {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next() as UInt64)
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
        return processPrefix + hex(sequence)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A Lua script run with `EVALSHA`; ``RedisClient`` loads it with `SCRIPT LOAD` on first use and again when the
/// server has forgotten it (`NOSCRIPT`).
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public var source: String

    /// - Parameter source: The Lua source.
    public init(_ source: String) {
        self.source = source
    }
}

/// Which cached GETs a successful mutating request (POST/PUT/PATCH/DELETE) on a route evicts.
public enum InvalidationScope: Sendable, Hashable, CustomStringConvertible {
    /// Evict entries whose path shares its first `n` segments with the mutated
    /// path (`2`: a DELETE of `/pins/abc/x` evicts everything under `/pins/abc`).
    case depth(Int)
    /// Evict every entry under this absolute path prefix.
    case prefix(String)

    /// `2` or `/pins`.
    public var description: String {
        switch self {
        case .depth(let n): return String(n)
        case .prefix(let p): return p
        }
    }
}

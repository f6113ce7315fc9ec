/// Which cached GETs a successful write (POST/PUT/PATCH/DELETE) evicts.
public enum InvalidationScope: Sendable, Hashable, CustomStringConvertible {
    /// The first `n` path segments of the written path: `.depth(2)` turns `/api/pinning/unpin/42` into
    /// `/api/pinning/`; `.depth(0)` means everything.
    case depth(Int)
    /// Every entry under this absolute path prefix, e.g. `/api/pinning/`.
    case prefix(String)

    /// `2` or `/pins`, as written in the configuration file.
    public var description: String {
        switch self {
        case .depth(let n): return String(n)
        case .prefix(let p): return p
        }
    }
}

import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Everything decided about a request when its head arrives, once: the target and route, who is asking (its client
/// token, judged by ``TokenCheck`` before anything else), the request id, and what the cache says (the lookup is
/// made here, under the token's credential profile). Admission to the upstream budgets is decided
/// when the request is about to go upstream (``GatewayHandler``), so a coalesced waiter that never does spends
/// nothing.
struct RequestDecision {
    /// Path + query exactly as sent (an absolute-form target is reduced to its path and query).
    let target: String
    let route: GatewayRoute
    /// Client identity for budgets, metrics and the access log (`token:NAME` for a client token).
    let client: String
    let requestID: String
    /// The valid client token the request presented (nil without one, or with an `--access-token-file` token).
    let token: TokenPolicy?
    /// The credential profile in cache keys: the route's name, and the token's profile when it has one, so entries
    /// are never shared between profiles.
    let cacheProfile: String
    let plan: Plan

    /// A stale entry that may be served if the upstream fails (a HEAD or `no-cache` read that did not fill).
    var staleForError: CachedResponse? {
        if case .forward(_, let stale) = plan { return stale }
        return nil
    }

    /// What happens to the request.
    enum Plan {
        /// Refused for its client token (401, 403 or 429), before the cache and the upstream.
        case refuse(GatewayErrorResponse)
        /// One of pingate's own endpoints.
        case admin
        /// A fresh cache entry answers it.
        case hit(CachedResponse, age: Int)
        /// A GET through the cache: upstream (coalesced when `coalesce`), storing the answer.
        case fill(reason: CacheStatus.ForwardReason, stale: CachedResponse?, coalesce: Bool)
        /// Upstream without storing; `cacheStatus` is what `Cache-Status` says (nil with the cache off).
        case forward(cacheStatus: CacheStatus?, stale: CachedResponse?)
    }

    /// - Parameter connection: the connection's identity (``ClientIdentity/connectionIdentity(peer:peerUID:)``).
    init(head: HTTPRequestHead, connection: String, state: GatewayState) {
        let target = Self.originForm(head.uri)
        self.target = target
        self.requestID = RequestIdentifier.resolve(head.headers.first(name: "x-request-id"))
        let route = state.routes.resolve(target)
        self.route = route
        let verdict = TokenCheck.judge(head.headers, method: head.method.rawValue, path: Self.path(of: target), source: connection, state: state)
        switch verdict {
        case .token(let policy), .refused(_, token: let policy?):
            token = policy
            client = policy.identity
        case .anonymous, .fileToken, .refused(_, token: nil):
            token = nil
            client = ClientIdentity.resolve(declared: head.headers.first(name: "x-pingate-client"), connection: connection)
        }
        cacheProfile = token?.profile.map { route.name + "|" + $0 } ?? route.name
        if case .refused(let error, _) = verdict {
            plan = .refuse(error)
            return
        }
        if AdminEndpoints.owns(target) {
            plan = .admin
            return
        }
        guard let cache = state.cache, route.cacheEnabled, head.method == .GET || head.method == .HEAD else {
            plan = .forward(cacheStatus: state.cache == nil ? nil : .forwarded(.method), stale: nil)
            return
        }
        let headers = head.headers
        switch cache.requestDirectives(cacheControl: headers["cache-control"], pragma: headers["pragma"]) {
        case .bypass:
            plan = .forward(cacheStatus: .forwarded(.bypass), stale: nil)
        case .refresh:
            plan = head.method == .GET ? .fill(reason: .request, stale: nil, coalesce: false) : .forward(cacheStatus: .forwarded(.request), stale: nil)
        case .normal:
            let lookup = cache.lookup(target: target, profile: cacheProfile, now: state.clock.now()) { name in
                let values = headers[name.canonicalName]
                return values.isEmpty ? nil : values.joined(separator: ", ")
            }
            switch lookup {
            case .fresh(let entry, let age):
                plan = .hit(entry, age: age)
            case .stale(let entry, _):
                // HEAD misses are forwarded as HEAD and never fill the cache (there is no body to store).
                plan = head.method == .GET ? .fill(reason: .stale, stale: entry, coalesce: true) : .forward(cacheStatus: .forwarded(.stale), stale: nil)
            case .miss:
                plan = head.method == .GET ? .fill(reason: .miss, stale: nil, coalesce: true) : .forward(cacheStatus: .forwarded(.miss), stale: nil)
            }
        }
    }

    /// The path of an origin-form target (without its query).
    static func path(of target: String) -> String {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<question])
    }

    /// `http://host/path?q` → `/path?q`; origin-form targets are returned as they are.
    static func originForm(_ uri: String) -> String {
        guard uri.utf8.first != UInt8(ascii: "/"), let schemeEnd = uri.range(of: "://") else { return uri }
        let rest = uri[schemeEnd.upperBound...]
        guard let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let path = rest[pathStart...]
        return path.first == "?" ? "/" + path : String(path)
    }
}

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
    /// The client's validators and range when the cache takes part and it sent any (nil otherwise): a stored or
    /// stored-while-fetched answer is then matched against them (`304`, `206`, `416`).
    let conditions: ConditionalRequest?

    /// A stale entry that may be served if the upstream fails (a HEAD or `no-cache` read that did not fill).
    var staleForError: CachedResponse? {
        if case .forward(_, let stale) = plan { return stale }
        return nil
    }

    /// One of pingate's own endpoints (never shared with another origin).
    var isAdmin: Bool {
        if case .admin = plan { return true }
        return false
    }

    /// What happens to the request.
    enum Plan {
        /// Refused for its client token (401, 403 or 429), before the cache and the upstream.
        case refuse(GatewayErrorResponse)
        /// One of pingate's own endpoints.
        case admin
        /// A cache entry answers it: a fresh one, or (`refresh`) a stale one within its stale-while-revalidate
        /// window, while one background refresh runs.
        case hit(CachedResponse, age: Int, refresh: Bool)
        /// A GET through the cache: upstream (coalesced when `coalesce`), storing the answer; a stale entry with a
        /// validator is revalidated.
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
            conditions = nil
            return
        }
        if AdminEndpoints.owns(target) {
            plan = .admin
            conditions = nil
            return
        }
        guard let cache = state.cache, route.cacheEnabled, head.method == .GET || head.method == .HEAD else {
            plan = .forward(cacheStatus: state.cache == nil ? nil : .forwarded(.method), stale: nil)
            conditions = nil
            return
        }
        let headers = head.headers
        let conditions = Self.mayBeConditional(headers) ? ConditionalRequest { headers[$0] } : nil
        self.conditions = conditions.flatMap { $0.isEmpty ? nil : $0 }
        // HEAD misses are forwarded as HEAD and never fill the cache (there is no body to store).
        let cachePlan = cache.plan(
            method: head.method == .GET ? .get : .head, target: target, profile: cacheProfile, cacheControl: headers["cache-control"],
            pragma: headers["pragma"], conditions: conditions ?? Self.unconditional, now: state.clock.now()
        ) { name in
            let values = headers[name.canonicalName]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
        switch cachePlan {
        case .serve(let entry, let age, let refresh):
            plan = .hit(entry, age: age, refresh: refresh)
        case .fill(let reason, let stale, let coalesce):
            plan = .fill(reason: reason, stale: stale, coalesce: coalesce)
        case .forward(let cacheStatus, let stale):
            plan = .forward(cacheStatus: cacheStatus, stale: stale)
        }
    }

    private static let unconditional = ConditionalRequest { _ in [] }

    /// Whether any field name starts like `If-…` or `Range`: only then are the conditions read (a hit's fast path
    /// pays one pass over the names).
    private static func mayBeConditional(_ headers: HTTPHeaders) -> Bool {
        headers.contains { name, _ in
            let first = name.utf8.first.map(ASCII.lower)
            return first == UInt8(ascii: "i") || first == UInt8(ascii: "r")
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

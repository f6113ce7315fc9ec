import HTTPTypes
import NIOCore
import Synchronization

/// The in-memory GET response cache of the gateway: pure policy and storage, no I/O, no clock.
///
/// Time is injected as `now: Duration`, a monotonic instant since an arbitrary origin chosen by
/// the server (e.g. `ContinuousClock.now - start`). All methods are thread-safe; each takes one
/// mutex acquisition at most.
///
/// ## Key
/// Request target (path + query exactly as sent) + credential profile, then the request values of
/// the headers the response's `Vary` names. HEAD is answered from the GET entry: the key ignores
/// the method.
///
/// ## Freshness (RFC 9111 §4.2)
/// A response's lifetime is its own explicit one (`s-maxage`, `max-age`, `Expires - Date`; see
/// ``ResponseDirectives``, which also picks `Pingate-Cache-Control` or `CDN-Cache-Control` over `Cache-Control`),
/// capped by ``Configuration/maxTTL``; without one, ``Configuration/defaultTTL`` for the statuses in
/// ``Configuration/cacheableStatuses``. In-progress pin details are further capped by ``Configuration/pendingTTL``.
/// Its age starts at the upstream `Age` plus the response delay (§4.2.3 `corrected_age_value`); the apparent age
/// from `Date` is not used, as pingate's clock and the upstream's need not agree.
///
/// ## Server flow (GET/HEAD)
/// 1. ``plan(method:target:profile:cacheControl:pragma:conditions:now:headerValue:)``: serve an entry (fresh, or
///    stale within its stale-while-revalidate window, then refreshing it in the background), fill (go upstream
///    and store, coalescing with ``SingleFlight``; a stale entry with a validator is revalidated), or forward.
/// 2. Before the upstream request: ``beginFill(target:now:)``.
/// 3. On response headers: ``storability(status:responseHeaders:contentLength:)``; if
///    `.doNotStore`, stream through (and call ``remove(target:profile:requestHeaders:)`` so a
///    superseded entry is not served again); else buffer, checking
///    ``isWithinObjectLimit(_:)`` as bytes arrive, then
///    ``store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:attachment:)``.
///    A `304` to a revalidation: ``freshenedFields(of:notModified:)``, then store those fields with the stored
///    body.
///
/// ## Writes
/// After any response to an unsafe method (``isUnsafe(_:)``), call
/// ``invalidate(afterWriteTo:status:responseHeaders:)``; it ignores 4xx/5xx itself.
public final class ResponseCache: Sendable {
    /// The configuration in force.
    public let configuration: Configuration

    let scopes: ScopeResolver
    private let pinStatus: PinStatusClassifier
    let state: Mutex<State>

    /// What invalidations remember so in-flight fills can be judged later.
    enum InvalidationEvent: Sendable {
        case all
        /// Paths under a write scope (see ``ScopeResolver/covers(scope:path:)``).
        case scope(String)
        /// Exactly this path (any query): `Location` / `Content-Location`.
        case path(String)
        /// Targets starting with this string (purge).
        case targetPrefix(String)

        func covers(target: String) -> Bool {
            let path = ScopeResolver.pathView(ofTarget: target)
            switch self {
            case .all: return true
            case .scope(let scope): return ScopeResolver.covers(scope: scope, path: path)
            case .path(let exact): return path == exact
            case .targetPrefix(let prefix): return target.utf8.starts(with: prefix.utf8)
            }
        }
    }

    struct State {
        var table = LRUTable()
        var statistics = CacheStatistics()
        /// Incremented once per recorded invalidation event.
        var epoch: UInt64 = 0
        /// Ring buffer: the event that produced epoch `e` sits at `e % history.count`.
        var history: [InvalidationEvent]
    }

    // MARK: - Init

    /// - Parameter configuration: Tunables; defaults match the issue.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.scopes = ScopeResolver(rules: configuration.invalidationRules, defaultDepth: configuration.defaultScopeDepth)
        self.pinStatus = PinStatusClassifier(
            detailPrefix: configuration.pinDetailPrefix,
            nonDetailSegments: configuration.nonDetailSegments,
            finalStates: configuration.finalPinStates
        )
        let historySize = max(1, configuration.invalidationHistory)
        self.state = Mutex(State(history: Array(repeating: .all, count: historySize)))
    }

    // MARK: - Request side

    /// Classifies the request's own cache directives. No lock, no state.
    ///
    /// `no-store` → `.bypass` (wins); `no-cache`, `max-age=0` (or an invalid `max-age`) or
    /// `Pragma: no-cache` → `.refresh`; anything else → `.normal`.
    public func requestDirectives(_ headers: HTTPFields) -> RequestCacheMode {
        let directives = CacheControl(headers)
        if directives.noStore { return .bypass }
        if directives.noCache || directives.maxAge == 0 { return .refresh }
        for pragma in headers[values: Self.pragma] where CacheControl(parsing: pragma).noCache {
            return .refresh
        }
        return .normal
    }

    /// The same classification from raw field values (`Cache-Control` and `Pragma` lines), for servers that
    /// do not keep `HTTPFields`.
    public func requestDirectives(cacheControl: [String], pragma: [String]) -> RequestCacheMode {
        let directives = CacheControl(parsing: cacheControl.joined(separator: ","))
        if directives.noStore { return .bypass }
        if directives.noCache || directives.maxAge == 0 { return .refresh }
        if pragma.contains(where: { CacheControl(parsing: $0).noCache }) { return .refresh }
        return .normal
    }

    /// Whether a method's successful response must trigger ``invalidate(afterWriteTo:status:responseHeaders:)``:
    /// everything except GET, HEAD, OPTIONS and TRACE (RFC 9110 §9.2.1 safe methods).
    public static func isUnsafe(_ method: HTTPRequest.Method) -> Bool {
        switch method {
        case .get, .head, .options, .trace: return false
        default: return true
        }
    }

    /// Finds the entry for a request. One lock, one dictionary lookup.
    ///
    /// Counts a hit for `.fresh`, a miss otherwise. A fresh hit also becomes most recently used.
    /// - Parameters:
    ///   - target: Path and query exactly as sent.
    ///   - profile: Credential profile name the request maps to.
    ///   - requestHeaders: Used only for `Vary` matching.
    ///   - now: Monotonic time.
    ///   - countsMiss: false for a probe that will be followed by a counted lookup (the server's fast path),
    ///     so one request is never counted as two misses.
    public func lookup(target: String, profile: String, requestHeaders: HTTPFields, now: Duration, countsMiss: Bool = true) -> CacheLookup {
        lookup(target: target, profile: profile, now: now, countsMiss: countsMiss) { requestHeaders[$0] }
    }

    /// ``lookup(target:profile:requestHeaders:now:countsMiss:)`` with request header values (for `Vary`) read
    /// through `headerValue`, so the caller needs no `HTTPFields`.
    public func lookup(
        target: String, profile: String, now: Duration, countsMiss: Bool = true, headerValue: (HTTPField.Name) -> String?
    ) -> CacheLookup {
        let key = PrimaryKey(target: target, profile: profile)
        return self.state.withLock { state in
            guard let slot = state.table.find(key, headerValue: headerValue) else {
                if countsMiss { state.statistics.misses += 1 }
                return .miss
            }
            let entry = state.table.entry(at: slot)
            let age = entry.age(at: now)
            guard entry.isFresh(at: now) else {
                if countsMiss { state.statistics.misses += 1 }
                return .stale(entry, age: age)
            }
            state.table.touch(slot)
            state.statistics.hits += 1
            return .fresh(entry, age: age)
        }
    }

    /// Decides a GET or HEAD request in one lock: the request's own directives, then the lookup.
    ///
    /// - `Cache-Control: no-store` → forward (`fwd=bypass`); `If-Match`/`If-Unmodified-Since` are the origin's
    ///   to evaluate → forward (`fwd=bypass`).
    /// - `no-cache`/`max-age=0`/`Pragma: no-cache` → fill without coalescing (`fwd=request`).
    /// - A fresh entry, or a stale one within its stale-while-revalidate window, is served (counted as a hit);
    ///   a request for several ranges of a stored `200` is forwarded instead (`fwd=request`).
    /// - Otherwise a GET fills (`fwd=stale` with the stale entry, or `fwd=miss`), a HEAD is forwarded, and a GET
    ///   with a `Range` is forwarded so that a partial answer is never stored.
    /// - Parameters:
    ///   - method: GET or HEAD (HEAD ignores `Range`, RFC 9110 §14.2).
    ///   - target: Path and query exactly as sent.
    ///   - profile: Credential profile name the request maps to.
    ///   - cacheControl: The request's `Cache-Control` lines.
    ///   - pragma: The request's `Pragma` lines.
    ///   - conditions: The request's preconditions and range.
    ///   - now: Monotonic time.
    ///   - headerValue: Request header values, for `Vary`.
    public func plan(
        method: HTTPRequest.Method, target: String, profile: String, cacheControl: [String], pragma: [String],
        conditions: ConditionalRequest, now: Duration, headerValue: (HTTPField.Name) -> String?
    ) -> CachePlan {
        let isGET = method == .get
        let ranged = isGET && conditions.range != nil
        switch self.requestDirectives(cacheControl: cacheControl, pragma: pragma) {
        case .bypass:
            return .forward(.forwarded(.bypass), stale: nil)
        case .refresh:
            return isGET && !ranged ? .fill(.request, stale: nil, coalesce: false) : .forward(.forwarded(.request), stale: nil)
        case .normal:
            if conditions.hasOriginPreconditions { return .forward(.forwarded(.bypass), stale: nil) }
        }
        let key = PrimaryKey(target: target, profile: profile)
        return self.state.withLock { state -> CachePlan in
            guard let slot = state.table.find(key, headerValue: headerValue) else {
                state.statistics.misses += 1
                return ranged || !isGET ? .forward(.forwarded(.miss), stale: nil) : .fill(.miss, stale: nil, coalesce: true)
            }
            let entry = state.table.entry(at: slot)
            let fresh = entry.isFresh(at: now)
            let servable = fresh || entry.isUsableWhileRevalidating(at: now)
            if servable, !(ranged && conditions.hasMultipleRanges && entry.status == .ok) {
                state.table.touch(slot)
                state.statistics.hits += 1
                return .serve(entry, age: entry.age(at: now), refresh: !fresh)
            }
            state.statistics.misses += 1
            if servable { return .forward(.forwarded(.request), stale: entry) }
            return ranged || !isGET ? .forward(.forwarded(.stale), stale: entry) : .fill(.stale, stale: entry, coalesce: true)
        }
    }

    /// Whether a fill that began with `token` may still store (no invalidation covering its target since).
    public func isCurrent(_ token: FillToken) -> Bool {
        self.state.withLock { Self.fillIsCurrent(token, in: $0) }
    }

    /// A fresh hit or nothing, for a server's fast path: never counts a miss (the slow path that follows
    /// does), counts and touches a hit. Header values for `Vary` matching are read through `headerValue`,
    /// so the caller needs no `HTTPFields`.
    public func freshEntry(
        target: String, profile: String, now: Duration, headerValue: (HTTPField.Name) -> String?
    ) -> (CachedResponse, age: Int)? {
        let key = PrimaryKey(target: target, profile: profile)
        return self.state.withLock { state in
            guard let slot = state.table.find(key, headerValue: headerValue) else { return nil }
            let entry = state.table.entry(at: slot)
            guard entry.isFresh(at: now) else { return nil }
            state.table.touch(slot)
            state.statistics.hits += 1
            return (entry, entry.age(at: now))
        }
    }

    // MARK: - Storing

    /// Cheap check on response headers, before buffering the body. No lock.
    /// - Parameters:
    ///   - status: Upstream status.
    ///   - responseHeaders: Upstream headers.
    ///   - contentLength: `Content-Length` if known; larger than `maxObjectBytes` → `.tooLarge`.
    ///
    /// Storable (RFC 9111 §3): a final status other than `206` and `304` with explicit freshness, or a status in
    /// ``Configuration/cacheableStatuses`` (heuristic freshness); with `must-understand`, only statuses this cache
    /// understands, and then `no-store` is overridden. Never: `no-store`, `private` (also with field names),
    /// `Set-Cookie`, `Vary: *`, too large.
    public func storability(status: HTTPResponse.Status, responseHeaders: HTTPFields, contentLength: Int?) -> Storability {
        self.storability(status: status, response: ResponseDirectives(responseHeaders), responseHeaders: responseHeaders, contentLength: contentLength)
    }

    private func storability(
        status: HTTPResponse.Status, response: ResponseDirectives, responseHeaders: HTTPFields, contentLength: Int?
    ) -> Storability {
        let code = status.code
        let directives = response.directives
        guard code >= 200, code != 206, code != 304 else { return .doNotStore(.uncacheableStatus) }
        if directives.mustUnderstand {
            guard Self.understoodStatuses.contains(code) else { return .doNotStore(.uncacheableStatus) }
        } else if directives.noStore {
            return .doNotStore(.noStore)
        }
        guard response.explicitLifetime != nil || self.configuration.cacheableStatuses.contains(code) else {
            return .doNotStore(.uncacheableStatus)
        }
        if let contentLength, !self.isWithinObjectLimit(contentLength) { return .doNotStore(.tooLarge) }
        if responseHeaders.contains(where: { $0.name == .setCookie }) { return .doNotStore(.setCookie) }
        if directives.isPrivate { return .doNotStore(.privateResponse) }
        if case .unmatchable = VarySelector.parse(responseHeaders) { return .doNotStore(.varyUnmatchable) }
        return .store
    }

    /// The final statuses RFC 9110 defines, whose caching rules this cache follows (for `must-understand`), less
    /// `206` and `304`, which it never stores.
    static let understoodStatuses: Set<Int> = [
        200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
        410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505,
    ]

    /// Whether a body of `byteCount` bytes may be stored; call while buffering to give up early.
    public func isWithinObjectLimit(_ byteCount: Int) -> Bool {
        byteCount <= self.configuration.maxObjectBytes
    }

    /// Starts a fill of `target`; pass the token to ``store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:attachment:)``.
    /// Take it before sending the upstream request; with `now`, the time until the answer is stored counts toward
    /// its age (RFC 9111 §4.2.3 response delay).
    public func beginFill(target: String, now: Duration? = nil) -> FillToken {
        FillToken(epoch: self.state.withLock { $0.epoch }, target: target, startedAt: now)
    }

    /// Stores an upstream response, replacing the variant the request selected.
    ///
    /// Re-checks ``storability(status:responseHeaders:contentLength:)`` with the real body size;
    /// an unstorable response removes the variant it supersedes. Computes freshness (see the type's description):
    /// `min(maxTTL, s-maxage ?? max-age ?? (Expires - Date))` or else `defaultTTL`, further capped by `pendingTTL`
    /// for in-progress pin details, minus upstream `Age` and the response delay; `no-cache` responses are stored but
    /// never fresh. A `Date` is kept as received (a server adds one when the upstream sent none).
    /// Evicts least recently used entries until `maxBytes` holds.
    /// - Parameters:
    ///   - target: Path and query exactly as sent.
    ///   - profile: Credential profile name.
    ///   - requestHeaders: The request's headers (values of `Vary`-named headers are kept).
    ///   - status: Upstream status.
    ///   - responseHeaders: Upstream headers, hop-by-hop already removed.
    ///   - body: The complete body; kept as is unless its storage is much larger than its bytes.
    ///   - now: Monotonic time.
    ///   - fill: Token from ``beginFill(target:now:)`` taken before the upstream request.
    ///   - attachment: What the server keeps beside the entry (for example the head it writes for hits).
    ///   - maxLifetime: A further cap on the freshness lifetime (for example while invalidations from other
    ///     instances cannot arrive).
    /// - Returns: `.stored`, or why not (`.superseded` when an invalidation raced the fill).
    @discardableResult
    public func store(
        target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        responseHeaders: HTTPFields, body: ByteBuffer, now: Duration, fill: FillToken, attachment: (any Sendable)? = nil,
        maxLifetime: Duration? = nil
    ) -> StoreResult {
        let key = PrimaryKey(target: target, profile: profile)
        let response = ResponseDirectives(responseHeaders)
        if case .doNotStore(let reason) = self.storability(
            status: status, response: response, responseHeaders: responseHeaders, contentLength: body.readableBytes)
        {
            self.remove(target: target, profile: profile, requestHeaders: requestHeaders)
            return .notStored(reason)
        }
        guard case .names(let varyNames) = VarySelector.parse(responseHeaders) else {
            return .notStored(.varyUnmatchable)  // unreachable: storability checked it
        }
        let vary = VarySelector(names: varyNames, requestHeaders: requestHeaders)
        let path = ScopeResolver.path(ofTarget: target)
        let directives = response.directives

        // Freshness lifetime (RFC 9111 §4.2.1): the response's own, capped; else the heuristic default.
        var lifetime = response.explicitLifetime.map { min($0, self.configuration.maxTTL) } ?? self.configuration.defaultTTL
        if self.configuration.statusAwareFreshness, self.pinStatus.isPinDetail(path: path),
            self.pinStatus.isInProgress(body: body)
        {
            lifetime = min(lifetime, self.configuration.pendingTTL)
        }
        if let maxLifetime { lifetime = min(lifetime, maxLifetime) }
        // Age (§4.2.3): corrected_age_value = age_value + response_delay.
        let responseDelay = fill.startedAt.map { max(.zero, now - $0) } ?? .zero
        let ageOrigin = now - .seconds(response.age) - responseDelay
        let expiresAt = ageOrigin + lifetime

        // Serving stale (RFC 5861): the response's own windows, else ours; never when it forbids stale.
        let staleAllowed = !directives.noCache && !response.forbidsStale
        func window(_ directive: Int?, _ configured: Duration) -> Duration? {
            let window = directive.map { Duration.seconds($0) } ?? configured
            return staleAllowed && window > .zero ? expiresAt + window : nil
        }

        let entry = CachedResponse(
            status: status, headers: responseHeaders, body: body, attachment: attachment, storedAt: now, ageOrigin: ageOrigin,
            expiresAt: expiresAt, mustRevalidate: response.requiresRevalidation, forbidsStale: response.forbidsStale,
            staleIfErrorUntil: window(directives.staleIfError, self.configuration.staleIfError),
            staleWhileRevalidateUntil: window(directives.staleWhileRevalidate, self.configuration.staleWhileRevalidate),
            entityTag: response.entityTag, costBeyondBody: Self.cost(key: key, vary: vary) + self.configuration.entryOverhead,
            vary: vary
        )
        guard entry.cost <= self.configuration.maxBytes else {
            self.remove(target: target, profile: profile, requestHeaders: requestHeaders)
            return .notStored(.tooLarge)
        }

        return self.state.withLock { state in
            guard Self.fillIsCurrent(fill, in: state) else {
                state.statistics.supersededFills += 1
                return .notStored(.superseded)
            }
            // Replace the variant with the same selection; drop variants from an older `Vary`
            // (upstream changed which headers matter, so their selections are meaningless).
            for slot in state.table.variants(of: key) {
                let existing = state.table.entry(at: slot).vary
                if existing.names != vary.names || existing.values == vary.values {
                    state.table.remove(slot)
                }
            }
            let variants = state.table.variants(of: key)
            if variants.count >= self.configuration.maxVariantsPerKey, let oldest = variants.last {
                state.table.remove(oldest)
                state.statistics.evictions += 1
            }
            state.table.insert(entry, key: key)
            while state.table.bytes > self.configuration.maxBytes, state.table.tail != LRUTable.null {
                state.table.remove(state.table.tail)
                state.statistics.evictions += 1
            }
            state.statistics.stores += 1
            return .stored
        }
    }

    // MARK: - Revalidation

    /// The fields `stored` gets from a `304 Not Modified` to a conditional request made to revalidate it, or nil
    /// when the `304` does not select it (RFC 9111 §4.3.4): a strong `ETag` must match the stored one strongly, a
    /// weak one weakly; without an `ETag`, a `Last-Modified` must equal the stored one; a `304` with no validator
    /// only selects a stored response that has none either.
    ///
    /// The update (§3.2): every field of the `304` replaces the stored fields of that name (`Date`, `Age`,
    /// `Cache-Control`, `ETag`, …), except `Content-Length`, which describes the stored body. Store the result
    /// with the stored status and body to make the entry fresh again.
    public static func freshenedFields(of stored: CachedResponse, notModified: HTTPFields) -> HTTPFields? {
        let update = ResponseDirectives(notModified)
        if let tag = update.entityTag {
            guard let current = stored.entityTag, tag.isWeak ? tag.matchesWeakly(current) : tag.matchesStrongly(current) else {
                return nil
            }
        } else if let modified = update.lastModified {
            guard let current = stored.lastModified, ResponseDirectives.firstDate([current]) == modified else { return nil }
        } else if stored.hasValidator {
            return nil
        }
        let replaced = Set(notModified.map(\.name)).subtracting([.contentLength])
        var fields = stored.headers
        fields.removeAll { replaced.contains($0.name) }
        fields.append(contentsOf: notModified.filter { replaced.contains($0.name) })
        return fields
    }

    /// Removes the variant `requestHeaders` selects for `target` and `profile`, e.g. after a
    /// refresh whose answer could not be stored. Returns whether something was removed.
    @discardableResult
    public func remove(target: String, profile: String, requestHeaders: HTTPFields) -> Bool {
        let key = PrimaryKey(target: target, profile: profile)
        return self.state.withLock { state in
            guard let slot = state.table.find(key, requestHeaders: requestHeaders) else { return false }
            state.table.remove(slot)
            return true
        }
    }

    // MARK: - Invalidation

    /// Invalidates after a write (RFC 9111 §4.4): when `status` is 2xx or 3xx, removes every
    /// entry whose path lies under the write's scope (see ``InvalidationRule``) and every entry
    /// for the `Location` / `Content-Location` paths; does nothing for 1xx/4xx/5xx.
    /// Also makes in-flight fills of those paths refuse to store.
    /// - Parameters:
    ///   - path: Target of the write (a query part is ignored).
    ///   - status: Upstream status of the write.
    ///   - responseHeaders: Upstream headers of the write.
    /// - Returns: Number of entries removed.
    @discardableResult
    public func invalidate(afterWriteTo path: String, status: HTTPResponse.Status, responseHeaders: HTTPFields) -> Int {
        guard let invalidation = invalidation(afterWriteTo: path, status: status, responseHeaders: responseHeaders) else { return 0 }
        return apply(invalidation)
    }

    /// Removes all entries (`prefix == nil`) or those whose target starts with `prefix`.
    /// In-flight fills of affected targets will refuse to store.
    /// - Returns: Number of entries removed.
    @discardableResult
    public func purge(prefix: String? = nil) -> Int {
        let event: InvalidationEvent = prefix.map { .targetPrefix($0) } ?? .all
        return self.state.withLock { state in Self.apply([event], to: &state) }
    }

    // MARK: - Statistics

    /// Current counters; `entries` and `bytes` are live values.
    public var statistics: CacheStatistics {
        self.state.withLock { state in
            var snapshot = state.statistics
            snapshot.entries = state.table.count
            snapshot.bytes = state.table.bytes
            return snapshot
        }
    }

    // MARK: - Internals

    static let pragma = HTTPField.Name("Pragma")!

    /// Records `events` in the history and removes the entries they cover.
    static func apply(_ events: [InvalidationEvent], to state: inout State) -> Int {
        for event in events {
            state.epoch &+= 1
            state.history[Int(state.epoch % UInt64(state.history.count))] = event
        }
        // One pass over the recency list. O(entries), but only after successful writes and
        // purges, which are rare next to hits; it does allocation-free prefix comparisons only
        // (paths are sliced from targets on the fly rather than stored, saving 16 bytes a slot).
        let removed = state.table.removeAll { key in
            events.contains { $0.covers(target: key.target) }
        }
        state.statistics.invalidations += removed
        return removed
    }

    /// `false` if an event recorded after `token` covers the target, or if events since
    /// then have fallen out of the history (unknown → refuse; it costs only a refetch).
    private static func fillIsCurrent(_ token: FillToken, in state: State) -> Bool {
        guard token.epoch != state.epoch else { return true }
        let missed = state.epoch &- token.epoch
        guard missed <= UInt64(state.history.count) else { return false }
        var epoch = token.epoch &+ 1
        while epoch <= state.epoch {
            if state.history[Int(epoch % UInt64(state.history.count))].covers(target: token.target) {
                return false
            }
            epoch &+= 1
        }
        return true
    }

    /// Bytes an entry costs beyond its fields, its body and the fixed overhead: key strings and `Vary` values.
    static func cost(key: PrimaryKey, vary: VarySelector) -> Int {
        key.target.utf8.count + key.profile.utf8.count + vary.byteCount
    }
}

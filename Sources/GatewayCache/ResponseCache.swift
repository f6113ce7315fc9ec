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
/// ## Server flow (GET/HEAD)
/// 1. ``requestDirectives(_:)``: `.bypass` → forward, `Cache-Status: pingate; fwd=bypass`.
/// 2. `.normal`: ``lookup(target:profile:requestHeaders:now:)``; `.fresh` → serve with `Age` and
///    `pingate; hit`. `.stale`/`.miss` (or `.refresh`, which skips the lookup) → go upstream,
///    coalescing with ``SingleFlight``.
/// 3. Before the upstream request: ``beginFill(target:)``.
/// 4. On response headers: ``storability(status:responseHeaders:contentLength:)``; if
///    `.doNotStore`, stream through (and call ``remove(target:profile:requestHeaders:)`` so a
///    superseded entry is not served again); else buffer, checking
///    ``isWithinObjectLimit(_:)`` as bytes arrive, then
///    ``store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:)``.
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
    public func storability(status: HTTPResponse.Status, responseHeaders: HTTPFields, contentLength: Int?) -> Storability {
        guard self.configuration.cacheableStatuses.contains(status.code) else { return .doNotStore(.uncacheableStatus) }
        if let contentLength, !self.isWithinObjectLimit(contentLength) { return .doNotStore(.tooLarge) }
        if responseHeaders.contains(where: { $0.name == .setCookie }) { return .doNotStore(.setCookie) }
        let directives = CacheControl(responseHeaders)
        if directives.noStore { return .doNotStore(.noStore) }
        if directives.isPrivate { return .doNotStore(.privateResponse) }
        if case .unmatchable = VarySelector.parse(responseHeaders) { return .doNotStore(.varyUnmatchable) }
        return .store
    }

    /// Whether a body of `byteCount` bytes may be stored; call while buffering to give up early.
    public func isWithinObjectLimit(_ byteCount: Int) -> Bool {
        byteCount <= self.configuration.maxObjectBytes
    }

    /// Starts a fill of `target`; pass the token to ``store(target:profile:requestHeaders:status:responseHeaders:body:now:fill:)``.
    /// Take it before sending the upstream request.
    public func beginFill(target: String) -> FillToken {
        FillToken(epoch: self.state.withLock { $0.epoch }, target: target)
    }

    /// Stores an upstream response, replacing the variant the request selected.
    ///
    /// Re-checks ``storability(status:responseHeaders:contentLength:)`` with the real body size;
    /// an unstorable response removes the variant it supersedes. Computes freshness:
    /// `min(defaultTTL, s-maxage ?? max-age ?? (Expires - Date))`, further capped by `pendingTTL` for in-progress pin
    /// details, minus upstream `Age`; `no-cache` responses are stored but never fresh.
    /// Evicts least recently used entries until `maxBytes` holds.
    /// - Parameters:
    ///   - target: Path and query exactly as sent.
    ///   - profile: Credential profile name.
    ///   - requestHeaders: The request's headers (values of `Vary`-named headers are kept).
    ///   - status: Upstream status.
    ///   - responseHeaders: Upstream headers, hop-by-hop already removed.
    ///   - body: The complete body; kept as is unless its storage is much larger than its bytes.
    ///   - now: Monotonic time.
    ///   - fill: Token from ``beginFill(target:)`` taken before the upstream request.
    ///   - attachment: What the server keeps beside the entry (for example the head it writes for hits).
    /// - Returns: `.stored`, or why not (`.superseded` when an invalidation raced the fill).
    @discardableResult
    public func store(
        target: String, profile: String, requestHeaders: HTTPFields, status: HTTPResponse.Status,
        responseHeaders: HTTPFields, body: ByteBuffer, now: Duration, fill: FillToken, attachment: (any Sendable)? = nil
    ) -> StoreResult {
        let key = PrimaryKey(target: target, profile: profile)
        if case .doNotStore(let reason) = self.storability(
            status: status, responseHeaders: responseHeaders, contentLength: body.readableBytes)
        {
            self.remove(target: target, profile: profile, requestHeaders: requestHeaders)
            return .notStored(reason)
        }
        guard case .names(let varyNames) = VarySelector.parse(responseHeaders) else {
            return .notStored(.varyUnmatchable)  // unreachable: storability checked it
        }
        let vary = VarySelector(names: varyNames, requestHeaders: requestHeaders)
        let path = ScopeResolver.path(ofTarget: target)
        let directives = CacheControl(responseHeaders)

        // Freshness lifetime (RFC 9111 §4.2.1), capped by our own TTL.
        var lifetime = self.configuration.defaultTTL
        if let upstream = directives.sharedMaxAge ?? directives.maxAge {
            lifetime = min(lifetime, .seconds(upstream))
        } else if let expires = Self.expiresLifetime(responseHeaders) {
            lifetime = min(lifetime, expires)
        }
        if self.configuration.statusAwareFreshness, self.pinStatus.isPinDetail(path: path),
            self.pinStatus.isInProgress(body: body)
        {
            lifetime = min(lifetime, self.configuration.pendingTTL)
        }
        let upstreamAge: Duration = .seconds(
            responseHeaders[.age].flatMap { CacheControl.parseDeltaSeconds($0.trimmingASCIIWhitespace()) } ?? 0)
        let ageOrigin = now - upstreamAge
        let expiresAt = ageOrigin + lifetime

        // stale-if-error window: ours, shortened by upstream's, never for must-revalidate/no-cache.
        var staleIfErrorUntil: Duration?
        if self.configuration.staleIfError > .zero, !directives.noCache, !directives.forbidsStale {
            var window = self.configuration.staleIfError
            if let upstream = directives.staleIfError { window = min(window, .seconds(upstream)) }
            staleIfErrorUntil = expiresAt + window
        }

        let entry = CachedResponse(
            status: status, headers: responseHeaders, body: body, attachment: attachment, storedAt: now, ageOrigin: ageOrigin,
            expiresAt: expiresAt, mustRevalidate: directives.noCache, staleIfErrorUntil: staleIfErrorUntil,
            costBeyondBody: Self.cost(key: key, vary: vary) + self.configuration.entryOverhead, vary: vary
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

    /// `Expires - Date` (RFC 9111 §4.2.1) when there is no `max-age`: `nil` without `Expires`
    /// (or without a parsable `Date` to measure it against, as no wall clock is read here);
    /// zero for an invalid `Expires` such as `0` (§5.3: already expired).
    static func expiresLifetime(_ headers: HTTPFields) -> Duration? {
        guard let expiresValue = headers[values: .expires].first else { return nil }
        guard let expires = HTTPDate.secondsSinceEpoch(expiresValue) else { return .zero }
        guard let dateValue = headers[values: .date].first, let date = HTTPDate.secondsSinceEpoch(dateValue) else {
            return nil
        }
        return .seconds(max(0, expires - date))
    }

    /// Bytes an entry costs beyond its fields, its body and the fixed overhead: key strings and `Vary` values.
    static func cost(key: PrimaryKey, vary: VarySelector) -> Int {
        key.target.utf8.count + key.profile.utf8.count + vary.byteCount
    }
}

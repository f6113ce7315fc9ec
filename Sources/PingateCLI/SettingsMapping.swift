import Foundation
import Gateway
import GatewayCache
import GatewayLimits
import PingateConfig

/// Turns validated settings into the gateway's configuration, enforcing the rules that span settings
/// (loopback-only unless `--allow-remote`, which requires client tokens; http only for loopback upstreams).
enum SettingsMapping {
    static func configuration(from settings: PingateSettings) throws -> GatewayConfiguration {
        let routes = settings.routes
        let defaultRoute = routes.first { $0.prefix == "/" } ?? RouteSettings.defaultW3IPFS(upstream: settings.upstream)
        var configuration = GatewayConfiguration(
            upstream: try UpstreamEndpoint(defaultRoute.upstream.absoluteString),
            credentialMappings: defaultRoute.credentials,
            profile: defaultRoute.name
        )
        configuration.defaultRouteCaches = defaultRoute.cache
        configuration.extraRoutes = try routes.filter { $0.prefix != "/" }.map { route in
            GatewayRoute(
                name: route.name, prefix: route.prefix, upstream: try UpstreamEndpoint(route.upstream.absoluteString),
                credentialMappings: route.credentials,
                cacheEnabled: route.cache, rateClass: route.rateClass
            )
        }

        // Listening: loopback only unless explicitly opened up, and then only for clients with a token (a client token
        // in the vault or one of --access-token-file; that one exists is checked once the vault is open).
        configuration.listen = settings.listen
        configuration.unixSocketPath = settings.unixSocket
        var tokens: [[UInt8]] = []
        if let tokenFile = settings.accessTokenFile {
            tokens = try AccessTokens.read(tokenFile)
        }
        if settings.unixSocket == nil && !configuration.listen.isLoopback {
            guard settings.allowRemote else {
                throw ValidationFailure("refusing to listen on non-loopback address \(configuration.listen): pass --allow-remote (clients then need a client token: pingate token add, or --access-token-file)")
            }
            guard settings.requiresToken else {
                throw ValidationFailure("refusing to listen on non-loopback address \(configuration.listen) without requiring a client token (drop --no-require-token)")
            }
        }
        var extraHosts = Set(settings.allowedHosts)
        if !configuration.listen.isLoopback { extraHosts.insert(configuration.listen.host.contains(":") ? "[\(configuration.listen.host)]" : configuration.listen.host) }
        configuration.access = AccessPolicy(
            extraHosts: extraHosts, allowedOrigins: Set(settings.allowedOrigins), accessTokens: tokens, requireToken: settings.requiresToken
        )
        configuration.profiles = settings.profiles
        configuration.access.allowedPeerUIDs = settings.allowedUIDs.isEmpty ? nil : Set(settings.allowedUIDs)
        switch settings.unixSocketMode {
        case 0o600: configuration.access.socketGroupID = nil
        case 0o660: configuration.access.socketGroupID = UInt32(getegid())  // the service's own group
        default: throw ValidationFailure("unix_socket_mode must be 0600 or 0660, got \(String(settings.unixSocketMode, radix: 8))")
        }

        // Timeouts and limits.
        configuration.connectTimeout = settings.timeouts.connect
        configuration.readTimeout = settings.timeouts.read
        configuration.upstreamConnections = settings.limits.upstreamConnections
        configuration.upstreamKeepaliveIdle = settings.upstreamKeepAliveIdle
        configuration.breaker = CircuitBreaker.Configuration(failures: settings.breaker.failures, openDuration: settings.breaker.openTime)
        if let url = settings.redis.url {
            configuration.sharedState = SharedStateConfiguration(
                url: url.absoluteString, prefix: settings.redis.prefix, timeout: settings.redis.timeout,
                onFailure: settings.redis.onFailure == .refuse ? .refuse : .local, expectedInstances: settings.redis.expectedInstances
            )
        }
        if let caFile = settings.upstreamCAFile {
            guard access(caFile, R_OK) == 0 else {
                throw ValidationFailure("upstream_ca_file '\(caFile)' cannot be read")
            }
            configuration.upstreamCAFile = caFile
        }
        configuration.drainTimeout = settings.timeouts.drain
        configuration.headerTimeout = settings.timeouts.header
        configuration.idleTimeout = settings.timeouts.idle
        configuration.maxBodyBytes = settings.limits.maxBodyBytes > 0 ? settings.limits.maxBodyBytes : nil
        configuration.maxConnections = settings.limits.maxConnections
        configuration.maxHeaderBytes = settings.limits.maxHeaderBytes
        configuration.maxHeaders = settings.limits.maxHeaders
        configuration.maxRequestLine = settings.limits.maxRequestLine
        configuration.readinessWindow = settings.readiness.upstreamWindow

        // Cache.
        if settings.cache.enabled {
            var cache = ResponseCache.Configuration()
            cache.defaultTTL = settings.cache.ttl
            cache.maxTTL = settings.cache.maxTTL
            cache.pendingTTL = settings.cache.ttlPending
            cache.statusAwareFreshness = settings.cache.statusAware
            cache.maxBytes = settings.cache.maxBytes
            cache.maxObjectBytes = settings.cache.maxObjectBytes
            cache.cacheableStatuses = Set(settings.cache.statuses)
            cache.staleIfError = settings.cache.staleIfError
            cache.staleWhileRevalidate = settings.cache.staleWhileRevalidate
            cache.invalidationRules = routes.map { InvalidationRule(pathPrefix: $0.prefix, scope: $0.invalidationScope) }
            configuration.cache = cache
        } else {
            configuration.cache = nil
        }

        // Rate limits (the settings already carry each rate's default burst when none was given).
        let limits = settings.rateLimit
        func budget(_ rate: Rate?, _ burst: Int) throws -> RateBudget? {
            try rate.map { try RateBudget.validated(rate: $0.perSecond, burst: burst) }
        }
        var classBudgets: [String: RateBudget] = [:]
        for (name, rateClass) in limits.classes {
            classBudgets[name] = try RateBudget.validated(rate: rateClass.rate.perSecond, burst: rateClass.burst)
        }
        configuration.rateLimits = RateLimiter.Configuration(
            upstream: try budget(limits.rate, limits.burst),
            classBudgets: classBudgets,
            client: try budget(limits.clientRate, limits.clientBurst),
            maxWait: .milliseconds(limits.waitMilliseconds),
            maxClients: limits.maxClients
        )
        try configuration.validate()
        return configuration
    }
}

/// Local access tokens: one per line in a file only its owner can read.
enum AccessTokens {
    static func read(_ path: String) throws -> [[UInt8]] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ValidationFailure("cannot read access token file \(path)") }
        if info.st_mode & 0o077 != 0 {
            throw ValidationFailure("access token file \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationFailure("cannot read access token file \(path)")
        }
        let tokens = Self.tokens(in: text)
        guard !tokens.isEmpty else { throw ValidationFailure("access token file \(path) holds no token") }
        if tokens.contains(where: { $0.count < 16 }) { throw ValidationFailure("access tokens in \(path) must be at least 16 characters") }
        return tokens.map { Array($0.utf8) }
    }

    /// A token file's tokens: one a line, white space around it dropped, blank lines and `#` comments skipped.
    static func tokens(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

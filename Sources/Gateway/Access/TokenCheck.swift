import GatewayLimits
import NIOHTTP1
import Vault

/// Judges a request's client token (or its absence), once per request, before admin endpoints, the cache and the
/// upstream.
///
/// A token comes in `Authorization: Bearer <token>` or `X-Pingate-Token: <token>` (neither is ever forwarded).
/// Its SHA-256 is compared with every known digest in constant time (``TokenDirectory``). Unknown, revoked and
/// expired tokens get 401; so does a request without one when tokens are required. Guesses are bounded: a source
/// (client address or unix uid) with too many recent failures (``FailedAttemptLimiter``) gets 429 for any token
/// until they age out, so a valid token found by guessing is not even checked meanwhile. A valid token whose rules
/// do not allow the request gets 403 naming the token. `/_pingate/healthz` and `/_pingate/readyz` are open to all.
enum TokenCheck {
    /// The verdict.
    enum Outcome {
        /// No token, and none is required (or a health probe).
        case anonymous
        /// A token of `--access-token-file`: every permission, the default profile.
        case fileToken
        /// A client token whose rules allow the request.
        case token(TokenPolicy)
        /// Refused (401, 403 or 429); `token` is the valid token a 403 refused.
        case refused(GatewayErrorResponse, token: TokenPolicy?)
    }

    /// What the request presented.
    enum Presented: Equatable {
        case none
        case token(String)
        /// Two different tokens, or an empty one.
        case ambiguous
    }

    /// The budget name a 429 for too many failed attempts carries.
    static let failedAttemptsBudget = "failed-attempts"

    /// - Parameters:
    ///   - path: the request target without its query.
    ///   - source: the connection's identity (client address or unix uid), the unit failures are counted by.
    static func judge(_ headers: HTTPHeaders, method: String, path: String, source: String, state: GatewayState) -> Outcome {
        if path == "/_pingate/healthz" || path == "/_pingate/readyz" { return .anonymous }
        // The tokens in force are read (under the store's lock) only for a request that presents something.
        var inForce: TokenDirectory?
        func tokens() -> TokenDirectory {
            if let inForce { return inForce }
            let current = state.credentials.tokens
            inForce = current
            return current
        }
        let access = state.configuration.access
        let text: String
        switch presented(in: headers, bearerIsToken: access.requireToken || !state.fileTokenDigests.isEmpty || !tokens().policies.isEmpty) {
        case .none:
            guard access.requireToken else { return .anonymous }
            state.metrics.tokenRefused(reason: "missing")
            return .refused(.unauthorized("a client token is required (Authorization: Bearer <token> or X-Pingate-Token)"), token: nil)
        case .ambiguous:
            text = ""
        case .token(let token):
            text = token
        }
        let now = state.clock.now()
        if let wait = state.failedAttempts.retryAfter(source: source, now: now) {
            state.metrics.tokenRefused(reason: "throttled")
            state.metrics.rejected(budget: failedAttemptsBudget, client: source)
            return .refused(.rateLimited(budget: failedAttemptsBudget, client: source, retryAfter: wait, info: nil), token: nil)
        }
        let digest = TokenDigest(of: text)
        if !text.isEmpty, TokenDirectory.contains(state.fileTokenDigests, digest) { return .fileToken }
        guard !text.isEmpty, let policy = tokens().match(digest),
              !policy.isExpired(at: state.clock.wallClockSeconds())
        else {
            state.failedAttempts.recordFailure(source: source, now: now)
            state.metrics.tokenRefused(reason: "unknown")
            return .refused(.unauthorized("the client token is unknown, revoked or expired"), token: nil)
        }
        guard policy.allows(method: method, path: path) else {
            state.metrics.tokenRefused(reason: "forbidden")
            return .refused(.forbidden(token: policy.name, method: method, path: path), token: policy)
        }
        return .token(policy)
    }

    /// The token in `X-Pingate-Token` or, when `bearerIsToken`, `Authorization: Bearer`.
    ///
    /// `Authorization` is also how tools send credentials of their own, which pingate drops before forwarding like
    /// any client credential: a `Bearer` value is a client token only while pingate has tokens to match it against
    /// (in the vault or a token file) or requires one, and an `Authorization` with another scheme never is.
    static func presented(in headers: HTTPHeaders, bearerIsToken: @autoclosure () -> Bool) -> Presented {
        var found: String?
        if let own = headers.first(name: "x-pingate-token") {
            let values = headers["x-pingate-token"]
            guard values.count == 1 else { return .ambiguous }
            found = own.trimmingSpaces()
        }
        if let authorization = headers.first(name: "authorization"), bearerIsToken() {
            let values = headers["authorization"]
            guard values.count == 1 else { return .ambiguous }
            if authorization.utf8.count > 7, ASCII.hasPrefixLowercase(authorization, "bearer ") {
                let bearer = String(authorization.dropFirst(7)).trimmingSpaces()
                if let found, found != bearer { return .ambiguous }
                found = bearer
            }
        }
        guard let found else { return .none }
        return found.isEmpty ? .ambiguous : .token(found)
    }
}

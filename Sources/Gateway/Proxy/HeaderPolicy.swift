import Foundation
import HTTPTypes
import NIOHTTP1

/// Which headers cross pingate, in each direction.
///
/// - Hop-by-hop fields (RFC 9110 §7.6.1: `Connection` and every field it names, `Keep-Alive`, `TE`,
///   `Transfer-Encoding`, `Upgrade`, `Trailer`, every `Proxy-*`) never cross in either direction.
/// - A client's own credentials (`Authorization`, `Proxy-Authorization`, `Cookie`, and every spelling of a
///   credential header: case, `-` or `_`) are dropped; the vault's credentials are injected instead.
public enum HeaderPolicy {
    /// Fields that belong to one connection only, lowercased.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer", "trailers",
    ]

    /// Client fields pingate answers itself or re-derives, never forwarded as sent.
    static let rederived: Set<String> = [
        "host", "content-length", "expect", "x-pingate-client", "x-pingate-token",
    ]

    /// Client credentials that must never be forwarded as sent.
    static let clientCredentials: Set<String> = ["authorization", "cookie"]

    /// Folds a header name so `Pinning-Api-Key`, `pinning_api_key` and `PINNING-API-KEY` compare equal.
    static func folded(_ name: String) -> String {
        String(name.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Lowercased names listed in `Connection` headers (they are hop-by-hop too).
    static func connectionTokens<S: Sequence>(_ values: S) -> Set<String> where S.Element == String {
        var tokens: Set<String> = []
        for value in values {
            guard value.utf8.allSatisfy({ $0 < 0x80 }) else {
                for token in value.split(separator: ",") {
                    let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                    if !name.isEmpty { tokens.insert(name) }
                }
                continue
            }
            // ASCII (every real header): spaces and tabs trimmed by hand; Foundation's trimming was ~5% of a
            // relayed GET. Non-ASCII values keep Foundation's Unicode whitespace rules.
            for token in value.utf8.split(separator: UInt8(ascii: ",")) {
                let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                if !trimmed.isEmpty { tokens.insert(String(decoding: trimmed, as: UTF8.self).lowercased()) }
            }
        }
        return tokens
    }

    /// True when a field with this lowercased name is hop-by-hop.
    static func isHopByHop(_ lowercased: String, connectionTokens: Set<String>) -> Bool {
        hopByHop.contains(lowercased) || lowercased.hasPrefix("proxy-") || connectionTokens.contains(lowercased)
    }

    /// The headers sent upstream: the client's fields minus hop-by-hop, credentials and re-derived fields,
    /// plus the vault's credentials (exactly one of each).
    /// - Parameters:
    ///   - fields: the client's request fields.
    ///   - credentials: the credentials to inject.
    ///   - extra: fields pingate adds (for example `X-Request-Id`).
    public static func upstreamRequestHeaders(
        from fields: HTTPFields,
        credentials: CredentialSet,
        extra: [(String, String)] = []
    ) -> HTTPHeaders {
        upstreamRequestHeaders(
            from: fields.lazy.map { ($0.name.rawName, $0.value) }, count: fields.count,
            connectionValues: fields[values: .connection], credentials: credentials, extra: extra
        )
    }

    /// The same, from NIOHTTP1 headers (the event-loop relay).
    static func upstreamRequestHeaders(from headers: HTTPHeaders, credentials: CredentialSet, extra: [(String, String)] = []) -> HTTPHeaders {
        upstreamRequestHeaders(
            from: headers.lazy.map { ($0.name, $0.value) }, count: headers.count,
            connectionValues: headers["connection"], credentials: credentials, extra: extra
        )
    }

    private static func upstreamRequestHeaders<Fields: Sequence<(String, String)>>(
        from fields: Fields, count: Int, connectionValues: [String], credentials: CredentialSet, extra: [(String, String)]
    ) -> HTTPHeaders {
        let tokens = connectionTokens(connectionValues)
        let credentialNames = credentials.foldedNames
        var headers = HTTPHeaders()
        headers.reserveCapacity(count + credentials.fields.count + extra.count)
        for (rawName, value) in fields {
            let name = rawName.lowercased()
            if isHopByHop(name, connectionTokens: tokens) || rederived.contains(name) || clientCredentials.contains(name) {
                continue
            }
            if credentialNames.contains(folded(name)) { continue }
            if extra.contains(where: { $0.0.lowercased() == name }) { continue }
            headers.add(name: rawName, value: value)
        }
        for field in credentials.fields {
            headers.add(name: field.name.rawName, value: field.value)
        }
        for (name, value) in extra {
            headers.add(name: name, value: value)
        }
        return headers
    }

    /// The upstream's response headers minus hop-by-hop ones, staying NIOHTTP1 (the event-loop relay).
    static func clientResponseHeaders(relaying headers: HTTPHeaders) -> HTTPHeaders {
        let tokens = connectionTokens(headers["connection"])
        var hopByHop: [String] = []
        for (name, _) in headers where isHopByHop(name.lowercased(), connectionTokens: tokens) { hopByHop.append(name) }
        var relayed = headers
        for name in hopByHop { relayed.remove(name: name) }
        return relayed
    }

    /// The headers returned to the client: the upstream's fields minus hop-by-hop ones.
    /// - Parameter headers: the upstream response headers.
    public static func clientResponseHeaders(from headers: HTTPHeaders) -> HTTPFields {
        let tokens = connectionTokens(headers["connection"])
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lowered = name.lowercased()
            if isHopByHop(lowered, connectionTokens: tokens) { continue }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}

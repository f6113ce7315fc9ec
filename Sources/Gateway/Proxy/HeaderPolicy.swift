import Foundation
import NIOHTTP1

/// Which header fields cross pingate, in each direction.
///
/// - Hop-by-hop fields (RFC 9110 §7.6.1: `Connection` and every field it names, `Keep-Alive`, `TE`,
///   `Transfer-Encoding`, `Upgrade`, `Trailer`, every `Proxy-*`) never cross in either direction.
/// - A client's own credentials (`Authorization`, `Proxy-Authorization`, `Cookie`, and every spelling of a
///   credential header: case, `-` or `_`) are dropped; the vault's credentials are injected instead.
/// - Framing (`Content-Length`) is re-derived by pingate on each side; `Access-Control-Allow-Origin` from the
///   upstream never reaches a client (pingate answers CORS itself).
public enum HeaderPolicy {
    /// Fields that belong to one connection only, lowercased.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer", "trailers",
    ]

    /// Client fields pingate answers itself or re-derives, never forwarded as sent.
    static let rederived: Set<String> = [
        "host", "expect", "x-pingate-client", "x-pingate-token",
    ]

    /// Client credentials that must never be forwarded as sent.
    static let clientCredentials: Set<String> = ["authorization", "cookie"]

    /// Folds a header name so `Pinning-Api-Key`, `pinning_api_key` and `PINNING-API-KEY` compare equal.
    static func folded(_ name: String) -> String {
        String(decoding: name.utf8.map { byte -> UInt8 in
            if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
            return byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        }, as: UTF8.self)
    }

    /// Lowercased names listed in `Connection` fields (they are hop-by-hop too).
    static func connectionTokens<S: Sequence>(_ values: S) -> Set<String> where S.Element == String {
        var tokens: Set<String> = []
        for value in values {
            guard value.utf8.allSatisfy({ $0 < 0x80 }) else {
                // Non-ASCII values keep Foundation's Unicode whitespace rules (they never name a real field anyway).
                for token in value.split(separator: ",") {
                    let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                    if !name.isEmpty { tokens.insert(name) }
                }
                continue
            }
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

    /// The fields sent upstream: the client's fields minus hop-by-hop, credentials and re-derived fields, plus the
    /// credentials (exactly one of each) and `extra` (for example `X-Request-Id`), then `Host`.
    /// `Content-Length` is kept: the body is forwarded byte for byte.
    static func upstreamRequestHeaders(
        from headers: HTTPHeaders, credentials: CredentialSet, extra: [(String, String)], host: String
    ) -> HTTPHeaders {
        let tokens = headers.contains(name: "connection") ? connectionTokens(headers["connection"]) : []
        let credentialNames = credentials.foldedNames
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count + credentials.fields.count + extra.count + 1)
        for (rawName, value) in headers {
            let name = rawName.lowercased()
            if isHopByHop(name, connectionTokens: tokens) || rederived.contains(name) || clientCredentials.contains(name) {
                continue
            }
            if credentialNames.contains(folded(name)) { continue }
            if extra.contains(where: { $0.0.lowercased() == name }) { continue }
            result.add(name: rawName, value: value)
        }
        for (name, value) in credentials.fields { result.add(name: name, value: value) }
        for (name, value) in extra { result.add(name: name, value: value) }
        result.add(name: "Host", value: host)
        return result
    }

    /// The upstream's response fields a client gets: minus hop-by-hop fields, framing (`Content-Length`, re-derived)
    /// and `Access-Control-Allow-Origin`.
    static func clientResponseHeaders(from headers: HTTPHeaders) -> HTTPHeaders {
        let tokens = headers.contains(name: "connection") ? connectionTokens(headers["connection"]) : []
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count + 6)
        for (name, value) in headers {
            let lowered = name.lowercased()
            if isHopByHop(lowered, connectionTokens: tokens) || lowered == "content-length" || lowered == "access-control-allow-origin" {
                continue
            }
            result.add(name: name, value: value)
        }
        return result
    }
}

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

    /// The fields sent upstream: the client's fields minus hop-by-hop, credentials and re-derived fields, plus the
    /// credentials (exactly one of each) and `extra` (for example `X-Request-Id`), then `Host`.
    /// `Content-Length` is kept: the body is forwarded byte for byte.
    ///
    /// Names are compared without allocating (this runs for every field of every forwarded request).
    static func upstreamRequestHeaders(
        from headers: HTTPHeaders, credentials: CredentialSet, extra: [(String, String)], host: String
    ) -> HTTPHeaders {
        let tokens = headers.contains(name: "connection") ? connectionTokens(headers["connection"]) : []
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count + credentials.fields.count + extra.count + 1)
        for (name, value) in headers {
            if isNotForwarded(name) { continue }
            if !tokens.isEmpty, tokens.contains(where: { ASCII.equalsIgnoringCase($0, name) }) { continue }
            if credentials.fields.contains(where: { ASCII.equalsFolded($0.name, name) }) { continue }
            if extra.contains(where: { ASCII.equalsIgnoringCase($0.0, name) }) { continue }
            result.add(name: name, value: value)
        }
        for (name, value) in credentials.fields { result.add(name: name, value: value) }
        for (name, value) in extra { result.add(name: name, value: value) }
        result.add(name: "Host", value: host)
        return result
    }

    /// Hop-by-hop, re-derived and client-credential fields, by name (any case), without allocating.
    static func isNotForwarded(_ name: String) -> Bool {
        let exact: Bool
        switch name.utf8.count {
        case 2: exact = ASCII.equalsLowercase(name, "te")
        case 4: exact = ASCII.equalsLowercase(name, "host")
        case 6: exact = ASCII.equalsLowercase(name, "expect") || ASCII.equalsLowercase(name, "cookie")
        case 7: exact = ASCII.equalsLowercase(name, "upgrade") || ASCII.equalsLowercase(name, "trailer")
        case 8: exact = ASCII.equalsLowercase(name, "trailers")
        case 10: exact = ASCII.equalsLowercase(name, "connection") || ASCII.equalsLowercase(name, "keep-alive")
        case 13: exact = ASCII.equalsLowercase(name, "authorization")
        case 15: exact = ASCII.equalsLowercase(name, "x-pingate-token")
        case 16: exact = ASCII.equalsLowercase(name, "x-pingate-client")
        case 17: exact = ASCII.equalsLowercase(name, "transfer-encoding")
        default: exact = false
        }
        return exact || ASCII.hasPrefixLowercase(name, "proxy-")
    }

    /// The upstream's response fields a client gets: minus hop-by-hop fields, framing (`Content-Length`, re-derived)
    /// and `Access-Control-Allow-Origin`.
    static func clientResponseHeaders(from headers: HTTPHeaders) -> HTTPHeaders {
        let tokens = headers.contains(name: "connection") ? connectionTokens(headers["connection"]) : []
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count + 6)
        for (name, value) in headers {
            switch name.utf8.count {
            case 2 where ASCII.equalsLowercase(name, "te"),
                 7 where ASCII.equalsLowercase(name, "upgrade") || ASCII.equalsLowercase(name, "trailer"),
                 8 where ASCII.equalsLowercase(name, "trailers"),
                 10 where ASCII.equalsLowercase(name, "connection") || ASCII.equalsLowercase(name, "keep-alive"),
                 14 where ASCII.equalsLowercase(name, "content-length"),
                 17 where ASCII.equalsLowercase(name, "transfer-encoding"),
                 27 where ASCII.equalsLowercase(name, "access-control-allow-origin"):
                continue
            default:
                if ASCII.hasPrefixLowercase(name, "proxy-") { continue }
                if !tokens.isEmpty, tokens.contains(where: { ASCII.equalsIgnoringCase($0, name) }) { continue }
                result.add(name: name, value: value)
            }
        }
        return result
    }
}

import NIOHTTP1

/// The framing checks pingate makes itself on a decoded request head, for what NIO's parser (llhttp, strict
/// mode) lets through. NIO already refuses `Content-Length` with `Transfer-Encoding`, repeated or non-numeric
/// `Content-Length`, a `Transfer-Encoding` whose last coding is not `chunked`, invalid chunk sizes, bare CR/LF,
/// obs-fold and control characters (see `Tests/GatewayTests/Hardening/FramingTests.swift`).
///
/// Pure and allocation-light: called once per request head on the event loop.
enum FramingValidator {
    /// The refusal for `head`, or nil when its framing is acceptable.
    static func check(_ head: HTTPRequestHead, limits: RequestLimits, access: AccessPolicy) -> FramingRefusal? {
        // Request line: "METHOD SP target SP HTTP/x.y".
        let lineLength = head.method.rawValue.utf8.count + head.uri.utf8.count + 10
        if lineLength > limits.maxRequestLine { return .requestLineTooLong(limits.maxRequestLine) }

        var fieldCount = 0
        var headerBytes = 0
        var hosts = 0
        var lengths = 0
        var length: String?
        var codings = 0
        var coding: String?
        for (name, value) in head.headers {
            fieldCount += 1
            headerBytes += name.utf8.count + value.utf8.count + 4
            switch name.utf8.count {
            case 4 where ASCII.equalsLowercase(name, "host"):
                hosts += 1
            case 14 where ASCII.equalsLowercase(name, "content-length"):
                lengths += 1
                length = value
            case 17 where ASCII.equalsLowercase(name, "transfer-encoding"):
                codings += 1
                coding = value
            default:
                break
            }
        }
        if fieldCount > limits.maxHeaders { return .tooManyHeaders(limits.maxHeaders) }
        if headerBytes > limits.maxHeaderBytes { return .headerBlockTooLarge(limits.maxHeaderBytes) }

        if hosts > 1 { return FramingRefusal(.badRequest, "duplicate_host", "more than one Host header") }
        if let refusal = checkTarget(head, access: access) { return refusal }

        if codings > 0 {
            if head.version.major != 1 || head.version.minor < 1 {
                return FramingRefusal(.badRequest, "transfer_encoding_http10", "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            }
            if lengths > 0 {
                return FramingRefusal(.badRequest, "invalid_content_length", "Content-Length with Transfer-Encoding")
            }
            guard codings == 1, let coding, isExactlyChunked(coding) else {
                return FramingRefusal(.badRequest, "unsupported_transfer_encoding", "Transfer-Encoding must be exactly 'chunked'")
            }
        }
        if lengths > 1 {
            return FramingRefusal(.badRequest, "invalid_content_length", "more than one Content-Length")
        }
        if let length {
            guard let bytes = parseContentLength(length) else {
                return FramingRefusal(.badRequest, "invalid_content_length", "Content-Length is not a decimal number")
            }
            if let maxBody = limits.maxBodyBytes, bytes > maxBody { return .bodyTooLarge(maxBody) }
        }
        return nil
    }

    /// `chunked`, in any case, with optional surrounding spaces or tabs, and nothing else.
    static func isExactlyChunked(_ value: String) -> Bool {
        var utf8 = Substring(value).utf8
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8.removeFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8.removeLast() }
        guard utf8.count == 7 else { return false }
        return zip(utf8, "chunked".utf8).allSatisfy { ($0 | 0x20) == $1 }
    }

    /// A Content-Length value: 1–18 ASCII digits (no sign, no list, no spaces inside).
    static func parseContentLength(_ value: String) -> Int? {
        var utf8 = Substring(value).utf8
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8.removeFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8.removeLast() }
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var result = 0
        for byte in utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            result = result * 10 + Int(byte - 0x30)
        }
        return result
    }

    /// Origin-form (`/path?query`) is what pingate serves; absolute-form (`http://host/path`) is accepted only when
    /// its authority passes the same Host allow-list (it overrides `Host` per RFC 9112 §3.2.2); authority-form
    /// (`CONNECT host:port`) and asterisk-form are refused: pingate is not a forward proxy.
    static func checkTarget(_ head: HTTPRequestHead, access: AccessPolicy) -> FramingRefusal? {
        let uri = head.uri
        if uri.utf8.first == UInt8(ascii: "/") { return nil }
        if head.method == .CONNECT || uri == "*" {
            return FramingRefusal(.methodNotAllowed, "unsupported_target", "CONNECT and asterisk-form targets are not served")
        }
        let lowered = uri.lowercased()
        guard let schemeEnd = lowered.range(of: "://"), ["http", "https"].contains(lowered[..<schemeEnd.lowerBound]) else {
            return FramingRefusal(.badRequest, "invalid_target", "request target must be a path or an absolute http URL")
        }
        let rest = uri[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard access.allowsHost(String(authority)) else {
            return FramingRefusal(.forbidden, "host_not_allowed", "absolute request target names a host that is not allowed (DNS-rebinding protection)")
        }
        return nil
    }
}

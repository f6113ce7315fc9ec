import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import Gateway

/// Seeded, bounded property tests for the header parsing pingate does itself: the Host/Origin allow-list,
/// `Connection` tokens, the framing validator, and the whole guard pipeline on mutated requests.
@Suite("Hardening: header parsing properties (seeded fuzz)", .timeLimit(.minutes(2)))
struct HardeningHeaderFuzzTests {
    static let seed: UInt64 = 0x5EED_0F_91_46A7E
    static let junkAlphabet: [Character] = Array("abcxyzLOCALHOST0123456789.:[]@/%- \t_!*,;=\"'\\?#") + ["\u{0}", "\u{7f}", "é", "\u{200B}", "ı", "K", "\r", "\n"]

    static func junk(_ rng: inout SplitMix64, maxLength: Int = 24) -> String {
        String((0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in junkAlphabet.randomElement(using: &rng)! })
    }

    static func head(host: String?, origin: String? = nil) -> HTTPRequest {
        var fields = HTTPFields()
        if let origin { fields[.origin] = origin }
        return HTTPRequest(method: .get, scheme: "http", authority: host, path: "/", headerFields: fields)
    }

    /// The strict grammar an accepted Host must match: a loopback name, one optional trailing dot (not after an
    /// IPv6 literal), an optional port of at most 5 digits.
    static func isStrictLoopback(_ authority: String) -> Bool {
        guard authority.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        let lowered = authority.lowercased()
        if lowered == "::1" || lowered == "::1." { return true }
        let name: Substring
        let port: Substring
        if lowered.hasPrefix("[::1]") {
            name = "[::1]"
            port = lowered.dropFirst(5)
        } else if let colon = lowered.firstIndex(of: ":") {
            name = lowered[..<colon]
            port = lowered[colon...]
        } else {
            name = Substring(lowered)
            port = ""
        }
        let bare = name.hasSuffix(".") && name != "[::1]" ? name.dropLast() : name
        guard ["localhost", "127.0.0.1", "[::1]"].contains(String(bare)) else { return false }
        if port.isEmpty { return true }
        return port.first == ":" && port.count <= 6 && port.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }

    @Test("random Host values: never crash; only exact loopback names (with port/dot variants) pass")
    func hostFuzz() {
        var rng = SplitMix64(seed: Self.seed)
        let policy = AccessPolicy()
        let pieces = ["localhost", "LOCALHOST", "127.0.0.1", "[::1]", "::1", "evil.example", "127.0.0.1.evil", "localhost.evil", "[::2]", "10.0.0.1", "0", "[", "]", "localhost@evil", "ľocalhost", "locaIhost"]
        var accepted = 0
        for _ in 0..<20_000 {
            let authority: String
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: authority = Self.junk(&rng)
            case 1:
                let dot = Bool.random(using: &rng) ? "." : ""
                let port = [":", ":8787", ":0", ":65535", ":123456", ":abc", ":-1", "", "", ":80:80"].randomElement(using: &rng)!
                authority = pieces.randomElement(using: &rng)! + dot + port
            default:
                var base = Array(pieces.randomElement(using: &rng)!)
                if !base.isEmpty { base.insert(Self.junkAlphabet.randomElement(using: &rng)!, at: Int.random(in: 0...base.count, using: &rng)) }
                authority = String(base)
            }
            // HTTP field values lose surrounding whitespace (NIO and HTTPTypes both trim it).
            let effective = Self.head(host: authority).authority ?? ""
            var nio = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
            nio.headers.add(name: "Host", value: effective)
            let refusal = policy.check(nio)
            if refusal == nil {
                accepted += 1
                #expect(Self.isStrictLoopback(effective), "accepted Host \(authority.debugDescription)")
            } else if effective.isEmpty {
                #expect(refusal == .missingHost)
            } else {
                #expect(refusal == .hostNotAllowed)
            }
            // The helpers themselves never trap and agree with each other.
            _ = AccessPolicy.stripPort(authority)
            _ = AccessPolicy.normalise(host: authority)
            #expect(policy.allowsHost(effective) == (refusal == nil))
        }
        #expect(accepted > 500, "the generator should hit the accepted forms too")
    }

    @Test("random Origin values: only configured ones pass, exactly")
    func originFuzz() {
        var rng = SplitMix64(seed: Self.seed &+ 1)
        let allowed = "http://tool.local:3000"
        let policy = AccessPolicy(allowedOrigins: [allowed])
        for _ in 0..<10_000 {
            var origin = Bool.random(using: &rng) ? allowed : Self.junk(&rng, maxLength: 30)
            if Bool.random(using: &rng), !origin.isEmpty {
                var chars = Array(origin)
                chars[Int.random(in: 0..<chars.count, using: &rng)] = Self.junkAlphabet.randomElement(using: &rng)!
                origin = String(chars)
            }
            let effective = Self.head(host: "localhost", origin: origin).headerFields[.origin]
            var nio = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
            nio.headers.add(name: "Host", value: "localhost")
            if let effective { nio.headers.add(name: "Origin", value: effective) }
            let refusal = policy.check(nio)
            #expect((refusal == nil) == (effective == nil || effective == allowed), "Origin \(origin.debugDescription)")
        }
    }

    @Test("Connection tokens: lowercased, trimmed, non-empty, comma-free, and nothing lost")
    func connectionTokensFuzz() {
        var rng = SplitMix64(seed: Self.seed &+ 2)
        let words = ["close", "Keep-Alive", "X-Secret", "pinning_api_key", "UPGRADE", "te", "", " ", "a b"]
        for _ in 0..<10_000 {
            let values = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? words.randomElement(using: &rng)! : Self.junk(&rng, maxLength: 8)
                }.joined(separator: [",", ", ", " ,", ",,"].randomElement(using: &rng)!)
            }
            let tokens = HeaderPolicy.connectionTokens(values)
            for token in tokens {
                #expect(!token.isEmpty)
                #expect(!token.contains(","))
                #expect(token == token.lowercased())
                #expect(token == token.trimmingCharacters(in: .whitespaces))
            }
            for value in values {
                for piece in value.split(separator: ",") {
                    let name = piece.trimmingCharacters(in: .whitespaces).lowercased()
                    if !name.isEmpty { #expect(tokens.contains(name)) }
                }
            }
        }
    }

    @Test("framing validator on random heads: never crashes, refuses exactly the ambiguous framings")
    func validatorFuzz() {
        var rng = SplitMix64(seed: Self.seed &+ 3)
        let limits = RequestLimits(maxRequestLine: 200, maxHeaderBytes: 400, maxHeaders: 8, maxBodyBytes: 1000)
        let names = ["Host", "host", "Content-Length", "content-length", "Transfer-Encoding", "TRANSFER-ENCODING", "X-A", "Origin"]
        let values = ["localhost", "evil", "5", "00", "1001", "-1", "1 2", "+3", "", "chunked", "Chunked", " chunked ", "gzip, chunked", "identity", "chunked,chunked", "99999999999999999999"]
        var accepted = 0, refused = 0
        defer { #expect(accepted > 0 && refused > 0, "the fuzz must exercise both outcomes (\(accepted) accepted, \(refused) refused)") }
        for _ in 0..<20_000 {
            var headers = HTTPHeaders()
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                headers.add(name: names.randomElement(using: &rng)!, value: Bool.random(using: &rng) ? values.randomElement(using: &rng)! : Self.junk(&rng, maxLength: 12))
            }
            let version: HTTPVersion = Bool.random(using: &rng) ? .http1_1 : .http1_0
            let uri = ["/", "/x?y", "*", "http://localhost/x", "http://evil/x", "ftp://x", "x", String(repeating: "/a", count: 120)].randomElement(using: &rng)!
            let head = HTTPRequestHead(version: version, method: [.GET, .POST, .CONNECT, .HEAD].randomElement(using: &rng)!, uri: uri, headers: headers)
            let refusal = FramingValidator.check(head, limits: limits, access: AccessPolicy())
            if let refusal {
                refused += 1
                #expect((400..<500).contains(refusal.status.code))
                continue
            }
            accepted += 1
            // Accepted: the framing is unambiguous.
            let te = headers["transfer-encoding"]
            let cl = headers["content-length"]
            #expect(te.count + cl.count <= 1)
            #expect(headers["host"].count <= 1)
            if let te = te.first {
                #expect(version == .http1_1)
                #expect(te.trimmingCharacters(in: .whitespaces).lowercased() == "chunked")
            }
            if let cl = cl.first {
                let trimmed = cl.trimmingCharacters(in: .whitespaces)
                #expect(!trimmed.isEmpty && trimmed.allSatisfy { $0.isASCII && $0.isNumber } && Int(trimmed)! <= 1000)
            }
            #expect(headers.count <= 8)
        }
    }

    @Test("guard pipeline on mutated raw requests: never crashes; what passes is well framed; refusals are 4xx JSON")
    func pipelineFuzz() throws {
        var rng = SplitMix64(seed: Self.seed &+ 4)
        let limits = RequestLimits(maxRequestLine: 256, maxHeaderBytes: 1024, maxHeaders: 12, maxBodyBytes: 64)
        let seeds = [
            "GET /api/pinning/pins/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "POST /api/pinning HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
            "POST /api/pinning HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: 127.0.0.1:8787\r\n\r\nGET /b HTTP/1.1\r\nHost: [::1]\r\n\r\n",
        ]
        let inserts = ["\r\n", "\n", "\r", " ", "\t", ":", ",", "0", "f", "Transfer-Encoding: chunked\r\n", "Content-Length: 7\r\n", "Host: evil\r\n", "\u{0}", "ff\r\n"]
        var headsPassed = 0, refusalsWritten = 0
        defer { #expect(headsPassed > 0 && refusalsWritten > 0, "the fuzz must exercise both outcomes (\(headsPassed) heads passed, \(refusalsWritten) refusals)") }
        for iteration in 0..<3_000 {
            var bytes = Array(seeds.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let position = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.insert(contentsOf: inserts.randomElement(using: &rng)!.utf8, at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = UInt8.random(in: 0...255, using: &rng) }
                }
            }
            let channel = EmbeddedChannel()
            let refusals = RefusalCollector()
            try channel.pipeline.syncOperations.addHandler(RawInputTap(maxRequestLine: limits.maxRequestLine))
            try channel.pipeline.syncOperations.addHandler(ResponseEncoder())
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits.decoderLimits)))
            try channel.pipeline.syncOperations.addHandler(RequestGuardHandler(limits: limits, access: AccessPolicy()))
            try channel.pipeline.syncOperations.addHandler(refusals)
            // Connected, as an accepted socket is (the guard starts its checks on activation).
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8787)).wait()
            // Split the bytes at a random point: two reads.
            let split = Int.random(in: 0...bytes.count, using: &rng)
            for part in [bytes[..<split], bytes[split...]] where !part.isEmpty {
                try channel.writeInbound(ByteBuffer(bytes: part))
                channel.pipeline.fireChannelReadComplete()  // as a socket read ends: the guard releases held heads then
            }
            var bodyBytes = 0
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head):
                    headsPassed += 1
                    bodyBytes = 0
                    #expect(FramingValidator.check(head, limits: limits, access: AccessPolicy()) == nil, "iteration \(iteration)")
                    #expect(head.headers["host"].count <= 1)
                case .body(let body):
                    bodyBytes += body.readableBytes
                    #expect(bodyBytes <= 64)
                case .end:
                    break
                }
            }
            if let refusal = refusals.refusals.first {
                refusalsWritten += 1
                #expect((400..<500).contains(Int(refusal.status.code)), "iteration \(iteration): \(refusal)")
                #expect(refusals.refusals.count == 1, "one refusal ends the connection")
            }
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
    }
}

/// The end of a guarded pipeline in a test: passes request parts on (to `readInbound`) and keeps the refusals the
/// guard reports.
private final class RefusalCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private(set) var refusals: [FramingRefusal] = []

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let refused = event as? RequestRefusedEvent {
            refusals.append(refused.refusal)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

import FakeW3IPFS
import Foundation
import Gateway
import NIOCore
import Testing

/// Open connection sockets of this process that belong to one harness: file descriptors whose socket inode appears in
/// `/proc/net/tcp{,6}` with the gateway's or the fake's port on either end (other tests running in parallel
/// do not disturb the count).
enum SocketCensus {
    static func count(ports: Set<Int>) -> Int { describe(ports: ports).count }

    /// `local→remote state` of each harness socket held by this process.
    static func describe(ports: Set<Int>) -> [String] {
        var inodes: [String: String] = [:]
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = ProcFile.text(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count > 9 else { continue }
                let local = Int(columns[1].split(separator: ":").last ?? "", radix: 16)
                let remote = Int(columns[2].split(separator: ":").last ?? "", radix: 16)
                // Connections only (listeners, state 0A, are the harness itself).
                if columns[3] != "0A", ports.contains(local ?? -1) || ports.contains(remote ?? -1) {
                    inodes[String(columns[9])] = "\(local ?? -1)→\(remote ?? -1) st=\(columns[3])"
                }
            }
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd),
                  target.hasPrefix("socket:[") else { return nil }
            return inodes[String(target.dropFirst(8).dropLast())]
        }.sorted()
    }

    /// All open descriptors of the process.
    static var total: Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count }
}

@Suite("Hardening: client abort mid-upload", .timeLimit(.minutes(3)))
struct HardeningClientAbortTests {
    @Test("a client that disconnects mid-upload cancels the upstream request; descriptors return to baseline")
    func abortMidUpload() async throws {
        try await GatewayHarness.run { h in
            h.upstream.resetLog()
            let ports: Set<Int> = [h.proxyPort, h.upstreamPort]
            let baseline = SocketCensus.count(ports: ports)
            let baselineSockets = SocketCensus.describe(ports: ports)
            let baselineTotal = SocketCensus.total

            for round in 0..<3 {
                let connection = try await RawHTTPConnection.connect(port: h.proxyPort)
                let boundary = "abort-boundary"
                try await connection.send(
                    "POST /api/pinning HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\n"
                        + "Content-Length: \(64 << 20)\r\n\r\n"
                        + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                let block = [UInt8](repeating: 0x61, count: 256 << 10)
                for _ in 0..<16 { try await connection.send(block) }  // 4 MiB of 64
                // The upload has reached the upstream before the client leaves (else nothing is there to cancel).
                try await h.upstream.waitForArrivals(count: round + 1)
                if round == 2 { await connection.reset() } else { await connection.close() }

                let recorded = try await h.upstream.waitForRequests(count: round + 1)
                let request = recorded[round]
                #expect(request.method == "POST")
                #expect(request.bodyComplete == false, "the upstream request must be cut off, not completed")
                #expect(request.bodyByteCount < 64 << 20)
            }

            // Bounded wait for the gateway to let go of both sides.
            let deadline = ContinuousClock.now + .seconds(10)
            var now = SocketCensus.count(ports: ports)
            while now > baseline && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                now = SocketCensus.count(ports: ports)
            }
            #expect(now == baseline, "harness sockets: \(baseline) before, \(now) after: \(SocketCensus.describe(ports: ports)) vs \(baselineSockets)")
            // Process-wide (other suites may run in parallel: a loose bound, logged for reference).
            let total = SocketCensus.total
            #expect(total < baselineTotal + 64, "process descriptors: \(baselineTotal) before, \(total) after")

            // And the gateway still serves.
            #expect(try await h.send(.GET, "/api/pinning/pins/").status == 200)
        }
    }
}

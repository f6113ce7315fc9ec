import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import Logging
import NIOCore
import ServiceLifecycle
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--unix-socket PATH`: mode 0600 (0660 with a group), never in a world-writable folder, stale sockets
/// replaced, live ones and other files left alone, and the peer-uid allow-list.
@Suite("Hardening: unix socket mode", .timeLimit(.minutes(3)))
struct HardeningUnixSocketTests {
    /// A fresh private folder (0700) for one test.
    static func privateFolder() throws -> String {
        var template = Array("/tmp/pg-test-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw HarnessError("mkdtemp failed") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func mode(of path: String) -> (mode: mode_t, gid: gid_t, isSocket: Bool)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & 0o777, info.st_gid, info.st_mode & S_IFMT == S_IFSOCK)
    }

    /// Runs the fake upstream and the gateway on a unix socket at `path`.
    static func run<T: Sendable>(
        path: String, configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @Sendable (FakeW3IPFSState) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "pingate.test") { _ in SwiftLogNoOpLogHandler() }
        let state = FakeW3IPFSState(apiKey: TestVault.apiKey, secretKey: TestVault.secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state, logger: logger)
        defer { Task { await fake.stop() } }
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint(fake.baseURL))
        configuration.unixSocketPath = path
        configure(&configuration)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: GatewayServer.BoundAddress.self)
        let server = GatewayServer(configuration: configuration, credentials: CredentialStore(TestVault.credentials), logger: logger) { address in
            readyContinuation.yield(address)
            readyContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                defer { readyContinuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ready.makeAsyncIterator()
            guard case .unix(let bound) = await iterator.next() else {
                _ = try await tasks.next()  // rethrows the server's error
                throw HarnessError("gateway did not start")
            }
            #expect(bound == path)
            do {
                let result = try await body(state)
                await group.triggerGracefulShutdown()
                _ = try await tasks.next()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    static func get(_ path: String, target: String = "/api/pinning/pins/", host: String? = "localhost") async throws -> (RawResponse?, Bool) {
        let connection = try await RawHTTPConnection.connect(unixPath: path)
        try await connection.send("GET \(target) HTTP/1.1\r\n" + (host.map { "Host: \($0)\r\n" } ?? "") + "\r\n")
        let response = try await connection.readResponse()
        let closed = (response?.status ?? 500) >= 400 ? try await connection.waitForClose() : false
        await connection.close()
        return (response, closed)
    }

    @Test("the socket is 0600, serves requests (raw and AsyncHTTPClient http+unix), and is removed at shutdown")
    func mode0600() async throws {
        let folder = try Self.privateFolder()
        let path = folder + "/pingate.sock"
        try await Self.run(path: path) { upstream in
            let info = Self.mode(of: path)
            #expect(info?.isSocket == true)
            #expect(info?.mode == 0o600)
            #expect(try await Self.get(path).0?.status == 200)
            // No Host at all (AsyncHTTPClient over http+unix sends none).
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http+unix://\(encoded)/api/pinning/pins/"), timeout: .seconds(10))
            #expect(response.status.code == 200)
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(upstream.requestCount >= 1)  // the second GET may be a cache hit
            // Nothing else left in the folder (the private staging folder is gone).
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["pingate.sock"])
        }
        #expect(Self.mode(of: path) == nil, "socket left behind")
        rmdir(folder)
    }

    @Test("with a configured group the socket is 0660 and owned by that group")
    func mode0660() async throws {
        let folder = try Self.privateFolder()
        let path = folder + "/g.sock"
        try await Self.run(path: path, configure: { $0.access.socketGroupID = getgid() }) { _ in
            #expect(Self.mode(of: path)?.mode == 0o660)
            #expect(Self.mode(of: path)?.gid == getgid())
        }
        rmdir(folder)
    }

    @Test("a world-writable folder is refused before anything is bound")
    func worldWritableFolder() async throws {
        let folder = try Self.privateFolder()
        chmod(folder, 0o777)
        let path = folder + "/pingate.sock"
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint("http://127.0.0.1:9"))
        configuration.unixSocketPath = path
        let server = GatewayServer(configuration: configuration, credentials: CredentialStore(TestVault.credentials), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        await #expect(throws: UnixSocketError.self) { try await server.run() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        // /tmp itself (1777) is refused too.
        configuration.unixSocketPath = "/tmp/pingate-\(getpid()).sock"
        await #expect(throws: UnixSocketError.self) {
            try await GatewayServer(configuration: configuration, credentials: CredentialStore(TestVault.credentials), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }).run()
        }
        rmdir(folder)
    }

    @Test("a stale socket is replaced; a regular file or a live socket at the path is refused")
    func staleAndLive() async throws {
        let folder = try Self.privateFolder()
        let path = folder + "/s.sock"
        // A stale socket: bound, then its listener gone.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        #expect(Self.mode(of: path)?.isSocket == true)
        try await Self.run(path: path) { _ in
            #expect(try await Self.get(path).0?.status == 200)
            // While it runs, a second gateway on the same path is refused (the socket is live).
            var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint("http://127.0.0.1:9"))
            configuration.unixSocketPath = path
            let second = GatewayServer(configuration: configuration, credentials: CredentialStore(TestVault.credentials), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
            await #expect(throws: UnixSocketError.self) { try await second.run() }
            #expect(try await Self.get(path).0?.status == 200)
        }
        // A regular file is never replaced.
        FileManager.default.createFile(atPath: path, contents: Data("keep".utf8))
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint("http://127.0.0.1:9"))
        configuration.unixSocketPath = path
        let server = GatewayServer(configuration: configuration, credentials: CredentialStore(TestVault.credentials), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        await #expect(throws: UnixSocketError.self) { try await server.run() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep")
        unlink(path)
        rmdir(folder)
    }

    @Test("peer-uid allow-list: our uid is served, a list without it gets 403 and a closed connection")
    func peerAllowList() async throws {
        let folder = try Self.privateFolder()
        let path = folder + "/p.sock"
        try await Self.run(path: path, configure: { $0.access.allowedPeerUIDs = [getuid()] }) { upstream in
            try Task.checkCancellation()
            #expect(try await Self.get(path).0?.status == 200)
            #expect(upstream.requestCount == 1)
        }
        try await Self.run(path: path, configure: { $0.access.allowedPeerUIDs = [getuid() &+ 4242] }) { upstream in
            let (response, closed) = try await Self.get(path)
            #expect(response?.status == 403)
            #expect(response?.errorCode == "peer_not_allowed")
            #expect(closed)
            #expect(upstream.requestCount == 0)
            // Admin endpoints too.
            #expect(try await Self.get(path, target: "/_pingate/healthz").0?.status == 403)
        }
        rmdir(folder)
    }
}

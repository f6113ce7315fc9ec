import Foundation
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// A `redis-server` that a test starts on a free loopback port and a unix socket in a temporary directory, with
/// persistence off, and stops again. The configuration goes in a file so that no password is in its argv.
public final class RedisServerProcess {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The TCP port on 127.0.0.1.
    public private(set) var port: Int
    /// The unix socket's path.
    public let socketPath: String
    private let directory: URL
    private let extraConfiguration: [String]
    private var process: Process?
    private var exits = EventRecorder<Int32>()

    /// `redis://[credentials]127.0.0.1:port/database`.
    public func url(credentials: String = "", database: Int = 0) -> String {
        "redis://\(credentials)127.0.0.1:\(self.port)/\(database)"
    }

    /// Starts a server, runs `body`, and stops the server whatever `body` did.
    ///
    /// - Parameter extraConfiguration: redis.conf lines added to the defaults (`requirepass ...`, `user ...`).
    public static func with<Result>(
        extraConfiguration: [String] = [],
        _ body: (RedisServerProcess) async throws -> Result
    ) async throws -> Result {
        let server = try RedisServerProcess(extraConfiguration: extraConfiguration)
        do {
            try await server.start()
            let result = try await body(server)
            try await server.stop()
            server.removeDirectory()
            return result
        } catch {
            try? await server.stop()
            server.removeDirectory()
            throw error
        }
    }

    private init(extraConfiguration: [String]) throws {
        self.directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("pingate-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.socketPath = self.directory.appendingPathComponent("redis.sock").path
        self.extraConfiguration = extraConfiguration
        self.port = 0
    }

    /// Starts the server on a free port, trying another one when the chosen port was taken meanwhile.
    public func start() async throws {
        var lastOutput = ""
        for _ in 0..<5 {
            let port = try await Self.freePort()
            switch try await self.launch(port: port) {
            case .ready:
                return
            case .portTaken(let output):
                lastOutput = output
            }
        }
        throw Failure(description: "redis-server found no free port; its last output:\n\(lastOutput)")
    }

    /// Stops the server and starts it again on the same port and socket path, with an empty data set.
    public func restart() async throws {
        try await self.stop()
        guard case .ready = try await self.launch(port: self.port) else {
            throw Failure(description: "redis-server could not listen on port \(self.port) again")
        }
    }

    /// Sends `signal` to the server (SIGSTOP freezes it: it then answers nothing until SIGCONT).
    public func signal(_ signal: Int32) {
        guard let process = self.process else { return }
        kill(process.processIdentifier, signal)
    }

    /// Kills the server and waits for the process to exit.
    ///
    /// SIGKILL, not SIGTERM: the child inherits the blocked signal mask of the thread that spawned it, so a
    /// SIGTERM would stay pending; and with persistence off there is nothing to save.
    public func stop() async throws {
        guard let process = self.process else { return }
        self.process = nil
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        try await self.exits.first("redis-server (pid \(process.processIdentifier)) to exit after SIGKILL")
        guard !process.isRunning else {
            throw Failure(description: "redis-server (pid \(process.processIdentifier)) is still running")
        }
    }

    private func removeDirectory() {
        try? FileManager.default.removeItem(at: self.directory)
    }

    // MARK: - Launch

    private enum LaunchResult {
        case ready
        case portTaken(output: String)
    }

    private func launch(port: Int) async throws -> LaunchResult {
        guard let executable = Self.findExecutable("redis-server") else {
            throw Failure(
                description: "redis-server is not installed; these tests need it (apt-get install -y redis-server)"
            )
        }
        let configuration = [
            "port \(port)",
            "bind 127.0.0.1",
            "unixsocket \(self.socketPath)",
            "unixsocketperm 700",
            "save \"\"",
            "appendonly no",
            "dir \(self.directory.path)",
            // Read by .ci/run to end a server whose test process died before stopping it.
            "pidfile \(self.directory.appendingPathComponent("redis.pid").path)",
            "daemonize no",
            "logfile \"\"",
        ] + self.extraConfiguration
        let configurationFile = self.directory.appendingPathComponent("redis.conf")
        try (configuration.joined(separator: "\n") + "\n").write(to: configurationFile, atomically: true, encoding: .utf8)

        let output = EventRecorder<String>()
        let exits = EventRecorder<Int32>()
        let pipe = Pipe()
        let partial = LineBuffer()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [configurationFile.path]
        process.standardOutput = pipe
        process.standardError = pipe
        process.terminationHandler = { process in
            exits.record(process.terminationStatus)
            output.record("exited with status \(process.terminationStatus)")
        }
        try process.run()
        OutputReader.start(pipe) { data in
            if !data.isEmpty { partial.append(data).forEach(output.record) }
        }
        self.process = process
        self.exits = exits
        self.port = port

        let line = try await output.first("redis-server to accept connections on port \(port)", within: 20) { line in
            line.contains("Ready to accept connections") || line.hasPrefix("exited with status")
        }
        guard line.hasPrefix("exited with status") else {
            return .ready
        }
        self.process = nil
        let transcript = output.values.joined(separator: "\n")
        guard transcript.contains("Address already in use") else {
            throw Failure(description: "redis-server exited at start:\n\(transcript)")
        }
        return .portTaken(output: transcript)
    }

    private static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A port that was free a moment ago; the caller retries when the server finds it taken.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else {
            throw Failure(description: "the kernel picked no port")
        }
        return port
    }
}

/// Splits a byte stream into lines for ``RedisServerProcess``'s output.
private final class LineBuffer: Sendable {
    private let pending = NIOLockedValueBox("")

    public func append(_ data: Data) -> [String] {
        self.pending.withLockedValue { pending in
            pending += String(decoding: data, as: UTF8.self)
            var lines = pending.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            pending = lines.removeLast()
            return lines
        }
    }
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// `pingate status`: what the dashboard at `/_pingate/` shows, in a terminal, read from `GET /_pingate/stats`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running pingate's upstream, budgets, cache and last requests (what /_pingate/ shows).",
        discussion: """
        Reads GET /_pingate/stats from the running pingate and prints a compact table, or the JSON itself with --json.
        Exits 1 with one line when pingate is not reachable or refuses. With --watch the view is redrawn every second
        until interrupted; a pingate that stops answering later is reported in the view and asked again. When pingate
        requires client tokens, --token-file names a file holding one whose rules allow GET /_pingate/ (the token is
        sent as Authorization: Bearer, never printed).
        """
    )

    /// How long one request for the stats may take.
    static let requestTimeout: Duration = .seconds(5)

    /// One connection attempt, no retries: pingate is on this machine or near it, and a refused connection is the
    /// answer "not running" (the client's default would retry until the request's deadline).
    static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    @Option(help: "Base URL of the running pingate.") var url = "http://127.0.0.1:8787"
    @Flag(help: "Redraw every second until interrupted (Ctrl-C).") var watch = false
    @Flag(help: "Print the JSON of /_pingate/stats instead of the table.") var json = false
    @Option(help: "A file holding a client token to present, when pingate requires one.") var tokenFile: String?

    func validate() throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.host.map({ !$0.isEmpty }) ?? false,
              components.query == nil, components.fragment == nil
        else {
            throw ValidationError("--url '\(url)' is not an http(s) URL such as http://127.0.0.1:8787")
        }
    }

    func run() async throws {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        let token = try await CLIError.reporting { try tokenFile.map(Self.readToken) }
        let client = HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: Self.clientConfiguration)
        do {
            try await show(base, client: client, token: token)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    /// The token in `path`: the first one, read as an access token file is (comments and blank lines skipped).
    static func readToken(_ path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationFailure("cannot read --token-file \(path)")
        }
        guard let token = AccessTokens.tokens(in: text).first else { throw ValidationFailure("--token-file \(path) holds no token") }
        return token
    }

    private func show(_ base: String, client: HTTPClient, token: String?) async throws {
        let view = try await CLIError.reporting { try await Self.view(of: base, json: json, client: client, token: token) }
        guard watch else {
            Self.write(view)
            return
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        var next = view
        while !Task.isCancelled {
            let started = ContinuousClock.now
            // A terminal is redrawn in place; a pipe or file gets one view after another.
            Self.write(interactive ? "\u{1B}[H\u{1B}[2J" + next : next + (json ? "" : "\n"))
            try await Task.sleep(until: started + .seconds(1), clock: .continuous)
            do {
                next = try await Self.view(of: base, json: json, client: client, token: token)
            } catch {
                next = "pingate: \(error); asking again every second\n"
            }
        }
    }

    /// The text shown for the stats at `base`: the table, or the JSON as it came (one line).
    /// - Throws: ``StatusError``.
    static func view(of base: String, json: Bool, client: HTTPClient, token: String? = nil) async throws -> String {
        let body = try await fetchStats(base, client: client, token: token)
        if json { return String(buffer: body) + "\n" }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let stats = try? decoder.decode(StatusSnapshot.self, from: Data(body.readableBytesView)) else {
            throw StatusError.notStats(base)
        }
        return StatusTable.render(stats, url: base)
    }

    /// The body of `GET base/_pingate/stats`.
    /// - Throws: ``StatusError``.
    static func fetchStats(_ base: String, client: HTTPClient, token: String? = nil) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: base + "/_pingate/stats")
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .init(requestTimeout))
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw StatusError.unreachable(base, reason(error))
        }
        guard response.status == .ok else {
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            throw StatusError.refused(base, status: Int(response.status.code), reason: object?["message"] as? String)
        }
        return body
    }

    /// A few words for what went wrong while asking.
    private static func reason(_ error: any Error) -> String {
        if error is NIOConnectionError { return "connection refused" }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout: return "no answer within \(requestTimeout)"
            case .remoteConnectionClosed: return "the connection was closed"
            default: return "\(error)"
            }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "unknown error"
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

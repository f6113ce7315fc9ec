import ArgumentParser
import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import Logging
import PingateCore
import NIOCore
import ServiceLifecycle
import Vault

/// `pingate demo`: the embedded default. A fake w3ipfs upstream, a throwaway vault, and the real proxy.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the real proxy against an in-process fake upstream and print curl lines to try.",
        discussion: "Nothing leaves this machine: the upstream is a faithful fake on 127.0.0.1 and the vault is a throwaway file."
    )

    @Option(help: "Address the proxy listens on, HOST:PORT.") var listen: String = "127.0.0.1:8787"
    @Flag(help: "Run the printed steps once through the proxy, report each, and exit (0 when all succeed).") var check = false

    func run() async throws {
        try await CLIError.reporting { try await runDemo() }
    }

    private func runDemo() async throws {
        LogSetup.bootstrap(json: false, level: .warning)
        var logger = Logger(label: "pingate.demo")
        logger.logLevel = .warning
        let apiKey = "demo-key-" + RandomToken.make()
        let secretKey = "demo-secret-" + RandomToken.make()

        let state = FakeW3IPFSState(apiKey: apiKey, secretKey: secretKey)
        let fake = try await FakeW3IPFSServer.start(state: state, logger: logger)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pingate-demo-\(RandomToken.make())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let vaultPath = folder.appendingPathComponent("demo.pgv").path
        let passphrase = Passphrase(RandomToken.make())
        try VaultFile.create(at: vaultPath, passphrase: passphrase)
        var contents = try VaultFile.open(at: vaultPath, passphrase: passphrase)
        try contents.set("api_key", to: SecretValue(apiKey))
        try contents.set("secret_key", to: SecretValue(secretKey))
        try VaultFile.save(contents, to: vaultPath, passphrase: passphrase)

        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint(fake.baseURL))
        guard let address = ListenAddress(parsing: listen) else {
            throw ValidationFailure("listen address '\(listen)' is not HOST:PORT")
        }
        configuration.listen = address
        configuration.drainTimeout = .seconds(2)
        let credentials = try CredentialSet.unlock(vaultAt: vaultPath, passphrase: passphrase, mappings: configuration.credentialMappings)

        let (readyStream, readyContinuation) = AsyncStream.makeStream(of: GatewayServer.BoundAddress.self)
        let instance = InstanceDescription(version: Pingate.version, vaultPath: vaultPath)
        let server = GatewayServer(configuration: configuration, credentials: CredentialStore(credentials), logger: logger, instance: instance) { address in
            readyContinuation.yield(address)
            readyContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withDrain(configuration.drainTimeout))

        let sampleFile = folder.appendingPathComponent("hello.txt")
        try Data("hello from pingate demo\n".utf8).write(to: sampleFile)

        let failure: String? = try await withThrowingTaskGroup(of: String?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = readyStream.makeAsyncIterator()
            guard case .tcp(let host, let port) = await iterator.next() else {
                await group.triggerGracefulShutdown()
                return "the proxy did not start"
            }
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            let script = DemoScript(base: base, sampleFile: sampleFile.path)
            let seededID = try await script.seed()
            print(script.banner(upstream: fake.baseURL, vault: vaultPath, seededID: seededID))
            fflush(nil)  // stdout is a file or pipe under supervisors: show the lines now
            if check {
                let result = await script.check(seededID: seededID)
                await group.triggerGracefulShutdown()
                return result
            }
            return try await tasks.next() ?? nil
        }
        await fake.stop()
        if let failure { throw ValidationFailure("demo check failed: \(failure)") }
        if check { print("demo check: all steps succeeded") }
    }
}

/// Short random identifiers for throwaway names.
enum RandomToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }
}

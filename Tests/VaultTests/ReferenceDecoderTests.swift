import Foundation
import Testing

@testable import Vault

/// `deploy/vault-decode.py`, the reference decoder the README's "Vault file format" section
/// describes, run against vaults this target wrote. Missing `python3` or the `cryptography`
/// package fails the suite: the decoder is shipped, so CI must be able to run it.
@Suite("deploy/vault-decode.py decodes what VaultFile writes", .timeLimit(.minutes(2)))
struct ReferenceDecoderTests {
    /// The repository root, three levels above this file (Tests/VaultTests/<file>).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let decoder = repositoryRoot + "/deploy/vault-decode.py"

    /// Entries chosen to exercise the payload format: the default names, a value with spaces,
    /// `=` and non-ASCII UTF-8, a name with `.` and `-`, and an empty value.
    static let entries: [(name: String, value: String)] = [
        (VaultEntryName.apiKey, canary),
        (VaultEntryName.secretKey, "s3cret with spaces = and ünïcode ✓"),
        ("alt.account-2_key", "x"),
        ("empty", ""),
    ]

    /// The decoder's expected stdout: entries sorted bytewise by name, `name<TAB>value` per line.
    static var expectedOutput: String {
        entries.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
            .map { "\($0.name)\t\($0.value)\n" }.joined()
    }

    static func contents() throws -> VaultContents {
        var contents = VaultContents()
        for entry in entries { try contents.set(entry.name, to: SecretValue(entry.value)) }
        return contents
    }

    @Test("both KDF ids decode to every entry", arguments: [
        KDFParameters.default, KDFParameters.pbkdf2(iterations: KDFParameters.pbkdf2MinimumIterations),
    ])
    func decodesBothKDFs(kdf: KDFParameters) async throws {
        try await requirePythonWithCryptography()
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        try VaultFile.save(try Self.contents(), to: path, passphrase: Fixture.passphrase, kdf: kdf)
        #expect(try VaultFile.readHeader(at: path).kdf == kdf)

        let run = try await runDecoder(vault: path, passphrase: "correct horse battery staple", in: dir)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.isEmpty)
        // Compared as a Bool so a failure names the decoded entries, never prints their values.
        let decodedExactly = run.stdout == Self.expectedOutput
        #expect(decodedExactly, "decoded output differs; names printed: \(Self.names(in: run.stdout))")
    }

    /// The name before the tab of each line, what a failure may show of the decoder's output
    /// (a line without a tab is not shown: it may be a value).
    static func names(in output: String) -> [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.contains("\t") ? String(line.prefix { $0 != "\t" }) : "<line without a tab>"
        }
    }

    @Test("a wrong passphrase exits 1 with one line on stderr and nothing on stdout")
    func wrongPassphrase() async throws {
        try await requirePythonWithCryptography()
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        try VaultFile.save(try Self.contents(), to: path, passphrase: Fixture.passphrase,
                           kdf: .pbkdf2(iterations: KDFParameters.pbkdf2MinimumIterations))

        let run = try await runDecoder(vault: path, passphrase: "incorrect horse battery staple", in: dir)
        #expect(run.status == 1)
        let nothingOnStdout = run.stdout.isEmpty  // a Bool: a failure must not print what was decoded
        #expect(nothingOnStdout, "\(run.stdout.utf8.count) bytes on stdout")
        #expect(run.stderr.hasSuffix("\n") && run.stderr.dropLast().split(separator: "\n", omittingEmptySubsequences: false).count == 1,
                "stderr is not one line: \(run.stderr)")
        #expect(run.stderr.contains("wrong passphrase or the vault file was modified"))
        let printsSecret = [canary, "horse"].contains { run.stderr.contains($0) || run.stdout.contains($0) }
        #expect(!printsSecret, "the decoder printed a value or the passphrase")
    }

    @Test("a header byte changed after writing is refused before decryption, in one line")
    func tamperedHeader() async throws {
        try await requirePythonWithCryptography()
        let dir = try TemporaryDirectory()
        let path = dir.file("secrets.vault")
        var bytes = try VaultFile.encrypt(try Self.contents(), passphrase: Fixture.passphrase)
        bytes[14] = 9  // KDF id
        try writeFile(bytes, to: path)

        let run = try await runDecoder(vault: path, passphrase: "correct horse battery staple", in: dir)
        #expect(run.status == 1)
        let nothingOnStdout = run.stdout.isEmpty
        #expect(nothingOnStdout, "\(run.stdout.utf8.count) bytes on stdout")
        #expect(run.stderr == "vault-decode: unknown key-derivation function id 9 in vault header\n")
    }

    // MARK: - Running python3

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Records an issue (the test fails, it is not skipped) unless `python3` can import `cryptography`.
    func requirePythonWithCryptography() async throws {
        let dir = try TemporaryDirectory()
        let probe = try await run(["python3", "-c", "import cryptography"], environment: [:], in: dir)
        try #require(probe.status == 0, """
            python3 with the 'cryptography' package is needed to test deploy/vault-decode.py \
            (pip install cryptography): exit \(probe.status), \(probe.stderr)
            """)
    }

    func runDecoder(vault: String, passphrase: String, in dir: TemporaryDirectory) async throws -> Run {
        try #require(FileManager.default.fileExists(atPath: Self.decoder), "missing \(Self.decoder)")
        return try await run(["python3", Self.decoder, vault], environment: ["PINGATE_PASSPHRASE": passphrase], in: dir)
    }

    /// Runs `arguments` through `/usr/bin/env` with stdout and stderr in files (no pipe can fill up);
    /// records an issue naming the command when it has not exited by `deadline`.
    func run(_ arguments: [String], environment: [String: String], in dir: TemporaryDirectory,
             deadline: Duration = .seconds(60)) async throws -> Run {
        let id = UUID().uuidString
        let outPath = dir.file("stdout-\(id)"), errPath = dir.file("stderr-\(id)")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer { try? out.close(); try? err.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PINGATE_PASSPHRASE"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.yield(); continuation.finish() }
        }
        try process.run()

        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {  // true: the process exited
                for await _ in exited { return true }
                return !Task.isCancelled
            }
            group.addTask {  // false: the deadline passed first
                _ = try? await Task.sleep(for: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            process.terminate()
            Issue.record("\(arguments.prefix(2).joined(separator: " ")) did not exit within \(deadline)")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: try readFile(outPath), as: UTF8.self),
                   stderr: String(decoding: try readFile(errPath), as: UTF8.self))
    }
}

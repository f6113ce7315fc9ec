import Foundation

/// One finished run of the built `pingate` binary (a command that ends by itself: `vault …`, `check-config`,
/// `--help`, a start that is refused).
///
/// Output goes to files, not pipes: when tests start processes in parallel, another child can inherit a pipe's
/// write end and hold back its end-of-file, while a file is complete once the process has exited.
public struct PingateRun: Sendable {
    /// Exit status.
    public let status: Int32
    /// What it printed on standard output.
    public let standardOutput: String
    /// What it printed on standard error.
    public let standardError: String

    /// Non-empty lines of standard error.
    public var errorLines: [Substring] { standardError.split(separator: "\n") }
    /// Both outputs (stdout first).
    public var printed: String { standardOutput + standardError }

    /// Runs `pingate ARGUMENTS` to its end.
    /// - Parameters:
    ///   - arguments: command-line arguments (never a secret).
    ///   - environment: added to `PATH=/usr/bin:/bin`.
    ///   - input: written to standard input, which is then closed; nil: `/dev/null` (never a terminal).
    ///   - timeout: bound for the run.
    /// - Throws: ``WaitTimeout`` (the process is then killed) when it has not exited within `timeout`.
    public static func pingate(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, within timeout: Duration = .seconds(120)
    ) async throws -> PingateRun {
        let folder = try TemporaryDirectory(prefix: "pingate-run")
        let outPath = try folder.write("", to: "stdout"), errPath = try folder.write("", to: "stderr")
        let process = Process()
        process.executableURL = PingateProcess.executable
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        let exit = Locked<(status: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))
        process.terminationHandler = { process in
            let status = process.terminationStatus
            exit.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.status = status
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(returning: status)
        }
        try process.run()
        try? out.close()
        try? err.close()
        if let stdin, let input {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let status: Int32
        do {
            status = try await withDeadline("pingate \(arguments.first ?? "") to exit", within: timeout) {
                await withCheckedContinuation { continuation in
                    let done = exit.withLock { state -> Int32? in
                        if let status = state.status { return status }
                        state.waiter = continuation
                        return nil
                    }
                    if let done { continuation.resume(returning: done) }
                }
            }
        } catch {
            if process.isRunning { process.terminate() }
            throw error
        }
        return PingateRun(
            status: status,
            standardOutput: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
    }
}

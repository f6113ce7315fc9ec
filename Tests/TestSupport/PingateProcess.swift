import Foundation
import Synchronization

/// The built `pingate` binary run as a child process, with its output captured.
///
/// Every wait is bounded and fails naming what it waited for. Output and line waiters share one lock: a line is
/// either already in the output when a waiter looks, or the waiter is registered before the line is appended; a
/// waiter registered after the output ended fails at once.
public final class PingateProcess: Sendable {
    /// The output ended (the process closed stdout and stderr) without the awaited line.
    public struct OutputEnded: Error, CustomStringConvertible {
        /// The text that was awaited.
        public let needle: String
        /// Everything the process printed.
        public let printed: String
        public var description: String { "pingate's output ended without a line containing \"\(needle)\"; it printed:\n\(printed)" }
    }

    private struct Output {
        var combined = ""
        var standardOutput = ""
        var standardError = ""
        var openStreams = 2
        var lineWaiters: [Int: (needle: String, continuation: CheckedContinuation<String?, Never>)] = [:]
        var exitStatus: Int32?
        var exitWaiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextID = 0

        var ended: Bool { openStreams == 0 }

        func completeLine(containing needle: String) -> String? {
            combined.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first { $0.contains(needle) }.map(String.init)
        }
    }

    // The output readers hold this object until the process closes its output.
    private let process: Process
    private let output = Mutex(Output())

    /// Path of the `pingate` executable built next to the test bundle.
    public static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("pingate")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/pingate").standardized
    }

    /// Starts `pingate ARGUMENTS` with `environment` added to a minimal environment.
    /// - Parameters:
    ///   - arguments: command-line arguments (never a secret).
    ///   - environment: added to `PATH=/usr/bin:/bin`.
    ///   - input: written to standard input, which is then closed; nil: standard input is `/dev/null`.
    ///   - executable: the program (the built `pingate` by default).
    ///   - launcher: a command that execs the program (e.g. `setpriv … --`), so the pid stays the program's.
    public init(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        executable: URL = PingateProcess.executable, launcher: [String] = []
    ) throws {
        let process = Process()
        if let launcherPath = launcher.first {
            process.executableURL = URL(fileURLWithPath: launcherPath)
            process.arguments = Array(launcher.dropFirst()) + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        self.process = process
        process.terminationHandler = { [self] process in
            let status = process.terminationStatus
            let waiters = self.output.withLock { output in
                output.exitStatus = status
                defer { output.exitWaiters.removeAll() }
                return Array(output.exitWaiters.values)
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
        try process.run()
        OutputReader.start(stdout) { [self] data in self.received(data, fromError: false) }
        OutputReader.start(stderr) { [self] data in self.received(data, fromError: true) }
        if let stdin, let input {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
    }

    private func received(_ data: Data, fromError: Bool) {
        let text = String(decoding: data, as: UTF8.self)
        let resumed = output.withLock { output -> [(CheckedContinuation<String?, Never>, String?)] in
            if data.isEmpty {
                output.openStreams -= 1
            } else {
                output.combined += text
                if fromError { output.standardError += text } else { output.standardOutput += text }
            }
            var resumed: [(CheckedContinuation<String?, Never>, String?)] = []
            for (id, waiter) in output.lineWaiters {
                if let line = output.completeLine(containing: waiter.needle) {
                    resumed.append((waiter.continuation, line))
                    output.lineWaiters.removeValue(forKey: id)
                } else if output.ended {
                    resumed.append((waiter.continuation, nil))
                    output.lineWaiters.removeValue(forKey: id)
                }
            }
            return resumed
        }
        for (continuation, line) in resumed { continuation.resume(returning: line) }
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Everything the process printed so far (stdout and stderr, in arrival order).
    public var printed: String { output.withLock { $0.combined } }
    /// What it printed on standard output.
    public var standardOutput: String { output.withLock { $0.standardOutput } }
    /// What it printed on standard error.
    public var standardError: String { output.withLock { $0.standardError } }

    /// The first complete output line containing `needle`.
    /// - Throws: ``OutputEnded`` when the output ends first (at once if it already has); ``WaitTimeout`` after `timeout`.
    public func line(containing needle: String, within timeout: Duration = .seconds(60)) async throws -> String {
        let id = output.withLock { output in
            defer { output.nextID += 1 }
            return output.nextID
        }
        let found: String? = try await withDeadline("a line containing \"\(needle)\" from pingate", within: timeout, observed: { self.printed }) {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                    let now: String?? = self.output.withLock { output in
                        if let line = output.completeLine(containing: needle) { return .some(line) }
                        if output.ended || Task.isCancelled { return .some(nil) }
                        output.lineWaiters[id] = (needle, continuation)
                        return .none
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                self.output.withLock { $0.lineWaiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
            }
        }
        guard let line = found else { throw OutputEnded(needle: needle, printed: printed) }
        return line
    }

    /// Waits until the process has closed its output (its last bytes can arrive after its exit is reported).
    /// - Throws: ``WaitTimeout`` after `timeout`.
    public func waitForEndOfOutput(within timeout: Duration = .seconds(60)) async throws {
        do {
            _ = try await line(containing: "\u{0}", within: timeout)  // no output line holds a NUL
        } catch is OutputEnded {
            return
        }
    }

    /// The port from the `pingate listening` line (whatever IPv4 address it listens on).
    public func listeningPort(within timeout: Duration = .seconds(60)) async throws -> Int {
        let line = try await line(containing: "pingate listening", within: timeout)
        guard let range = line.range(of: #"\d{1,3}(\.\d{1,3}){3}:\d+"#, options: .regularExpression),
              let port = Int(line[range].split(separator: ":").last ?? "")
        else { throw WaitTimeout("an IPv4 address in the listening line", waited: .zero, observed: line) }
        return port
    }

    /// Sends a signal.
    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit and returns the exit status.
    /// - Throws: ``WaitTimeout`` when the process is still running after `timeout`.
    public func waitForExit(within timeout: Duration = .seconds(60)) async throws -> Int32 {
        let id = output.withLock { output in
            defer { output.nextID += 1 }
            return output.nextID
        }
        let status: Int32? = try await withDeadline("pingate to exit", within: timeout, observed: { self.printed }) {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                    let now: Int32?? = self.output.withLock { output in
                        if let status = output.exitStatus { return .some(status) }
                        if Task.isCancelled { return .some(nil) }
                        output.exitWaiters[id] = continuation
                        return .none
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                self.output.withLock { $0.exitWaiters.removeValue(forKey: id) }?.resume(returning: nil)
            }
        }
        guard let status else { throw WaitTimeout("pingate to exit", waited: timeout, observed: printed) }
        return status
    }

    /// Kills the process if it is still running.
    public func terminate() {
        if process.isRunning { process.terminate() }
    }
}

import Foundation
import Synchronization

/// The built `pingate` binary run as a child process, with its whole output captured.
final class PingateProcess: Sendable {
    private let process: Process
    private let output = Mutex<String>("")
    private let lineWaiters = Mutex<[(String, CheckedContinuation<String?, Never>)]>([])
    /// The output pipe reached its end. Set and read while holding `lineWaiters`' lock, so a waiter is either
    /// added before it is set (and resumed then) or sees it.
    private let outputClosed = Mutex(false)

    /// Path of the `pingate` executable built next to the test bundle.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("pingate")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/pingate").standardized
    }

    /// Starts `pingate ARGUMENTS` with `environment` added to a minimal environment.
    init(_ arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        self.process = process
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                let pending = self.lineWaiters.withLock { waiters -> [(String, CheckedContinuation<String?, Never>)] in
                    self.outputClosed.withLock { $0 = true }
                    defer { waiters.removeAll() }
                    return waiters
                }
                for (_, continuation) in pending { continuation.resume(returning: nil) }
                return
            }
            let text = self.output.withLock { output -> String in
                output += String(decoding: data, as: UTF8.self)
                return output
            }
            let ready = self.lineWaiters.withLock { waiters -> [(String, CheckedContinuation<String?, Never>)] in
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                var ready: [(String, CheckedContinuation<String?, Never>)] = []
                waiters.removeAll { waiter in
                    if let line = lines.first(where: { $0.contains(waiter.0) }) {
                        ready.append((String(line), waiter.1))
                        return true
                    }
                    return false
                }
                return ready
            }
            for (line, continuation) in ready { continuation.resume(returning: line) }
        }
        try process.run()
    }

    /// Everything the process printed so far (stdout and stderr).
    var printed: String { output.withLock { $0 } }

    /// Waits for the first complete output line containing `needle` (nil if the process ends first).
    func line(containing needle: String) async -> String? {
        await withCheckedContinuation { continuation in
            let existing = output.withLock { text in
                text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first { $0.contains(needle) }
            }
            if let existing {
                continuation.resume(returning: String(existing))
                return
            }
            let closed = lineWaiters.withLock { waiters -> Bool in
                if outputClosed.withLock({ $0 }) { return true }
                waiters.append((needle, continuation))
                return false
            }
            if closed {
                // Nothing more will arrive: look once more at the whole output.
                let line = output.withLock { text in text.split(separator: "\n").first { $0.contains(needle) } }
                continuation.resume(returning: line.map(String.init))
            }
        }
    }

    /// Waits until the process closed its output (it ended, or closed stdout and stderr), then returns all of it.
    func finishedOutput() async -> String {
        _ = await line(containing: "\u{0}")  // never printed: resumes at the end of the output
        return printed
    }

    /// The port from the `pingate listening` line.
    func listeningPort() async throws -> Int {
        guard let line = await line(containing: "pingate listening"),
              let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = Int(line[range].split(separator: ":").last ?? "")
        else { throw HarnessError("pingate did not report a listening address; output:\n\(printed)") }
        return port
    }

    /// Sends a signal.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit and returns the exit status.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    /// Kills the process if it is still running.
    func terminate() {
        if process.isRunning { process.terminate() }
    }
}

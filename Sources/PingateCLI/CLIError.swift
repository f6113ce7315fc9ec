import ArgumentParser
import Foundation
import PingateConfig

/// Turns any failure of a command into one line naming the cause on stderr and exit code 1, never a stack trace.
enum CLIError {
    /// Runs `body`; an error is written as `pingate: <message>` (one line per configuration problem) and
    /// becomes `ExitCode.failure`, which ArgumentParser's `main` turns into exit code 1.
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch let errors as ConfigErrors {
            write(errors.errors.map(\.description))
            throw ExitCode.failure
        } catch {
            write([String(describing: error)])
            throw ExitCode.failure
        }
    }

    private static func write(_ messages: [String]) {
        let lines = messages.map { "pingate: " + $0.replacingOccurrences(of: "\n", with: " ") + "\n" }
        FileHandle.standardError.write(Data(lines.joined().utf8))
    }
}

import ArgumentParser
import Foundation
import PingateConfig

/// Prints one line naming the cause to stderr and exits non-zero, never a stack trace.
enum CLIError {
    /// Runs `body`; any error becomes `pingate: <message>` on stderr and exit code 1.
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch let errors as ConfigErrors {
            // One line per problem, each naming the key and where it was set.
            let lines = errors.errors.map { "pingate: " + $0.description.replacingOccurrences(of: "\n", with: " ") + "\n" }
            FileHandle.standardError.write(Data(lines.joined().utf8))
            exit(1)
        } catch {
            fail(String(describing: error))
        }
    }

    /// Writes `pingate: message` to stderr and exits 1.
    static func fail(_ message: String, code: Int32 = 1) -> Never {
        let line = "pingate: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(code)
    }
}

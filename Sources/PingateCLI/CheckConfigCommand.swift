import ArgumentParser
import Foundation
import PingateConfig

/// `pingate check-config FILE`: validate a config file and print the effective configuration.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and print the effective config (environment applied, secrets masked).",
        discussion: "Errors name the key and the file line. Exit 0 when valid, 1 otherwise."
    )

    @Argument(help: "The YAML config file.") var file: String

    func run() async throws {
        try await CLIError.reporting {
            let settings = try SettingsLoader.load(file: file, environment: ProcessInfo.processInfo.environment, flags: [:])
            _ = try SettingsMapping.configuration(from: settings)
            for warning in settings.warnings { FileHandle.standardError.write(Data("pingate: warning: \(warning)\n".utf8)) }
            print(settings.effectiveDescription(), terminator: "")
        }
    }
}

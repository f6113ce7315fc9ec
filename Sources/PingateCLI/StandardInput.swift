import Foundation
import Vault

/// Reads a secret value from stdin.
enum StandardInput {
    /// All of stdin as UTF-8, one trailing newline (`\n` or `\r\n`) stripped; refuses an empty value.
    static func readSecret() throws -> SecretValue {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard var text = String(data: data, encoding: .utf8) else {
            throw ValidationFailure("the value on stdin is not UTF-8 text")
        }
        // "\r\n" is a single Character in Swift, so one removeLast strips either form.
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw ValidationFailure("empty value on stdin: pipe the secret in, e.g. printf %s \"$KEY\" | pingate vault set NAME") }
        return SecretValue(text)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The usual places a passphrase comes from. The CLI decides which one to use.
///
/// Every reader copies the bytes straight into a `Passphrase` and wipes its own
/// buffers, so no extra `String` copies of the passphrase are created.
public enum PassphraseReader {
    /// Longest passphrase accepted from a file or prompt.
    public static let maximumLength = 4096

    /// The passphrase in environment variable `name`, or nil when unset or empty.
    ///
    /// The environment is visible to same-user processes via /proc; prefer a file or
    /// the prompt outside of containers.
    public static func fromEnvironment(_ name: String) -> Passphrase? {
        guard let value = getenv(name) else { return nil }
        let length = strlen(value)
        guard length > 0 else { return nil }
        return Passphrase(storage: SecureBytes(copying: UnsafeRawBufferPointer(start: value, count: length)))
    }

    /// The contents of the file at `path`, minus one trailing newline (`\n` or `\r\n`).
    ///
    /// Throws `.fileNotFound`, `.io`, `.fileTooLarge`, or `.emptyPassphrase` when nothing
    /// is left after stripping.
    public static func fromFile(_ path: String) throws -> Passphrase {
        try SecureFileIO.withFileContents(at: path, limit: maximumLength) { bytes in
            var end = bytes.count
            if end > 0, bytes[end - 1] == UInt8(ascii: "\n") {
                end -= 1
                if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            }
            guard end > 0 else { throw VaultError.emptyPassphrase }
            return Passphrase(storage: SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[0..<end])))
        }
    }

    /// Prints `message` to stderr and reads one line from the terminal with echo off.
    ///
    /// Throws `.notATerminal` when stdin is not a TTY (pipes would echo nothing useful and
    /// usually mean a script that should use a file instead), `.emptyPassphrase` for an
    /// empty line, `.passphraseTooLong` past `maximumLength`. Echo is restored before
    /// returning, including on errors (but not if the process is killed by a signal).
    public static func prompt(_ message: String) throws -> Passphrase {
        guard isatty(STDIN_FILENO) == 1 else { throw VaultError.notATerminal }
        writeToStderr(message)

        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw VaultError.io(operation: "tcgetattr", path: "stdin", errno: errno)
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0 else {
            throw VaultError.io(operation: "tcsetattr", path: "stdin", errno: errno)
        }
        defer {
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            // The user's Enter was not echoed; move the cursor to a fresh line.
            writeToStderr("\n")
        }

        return try withWipedScratchBuffer(count: maximumLength) { buffer in
            var length = 0
            while true {
                var byte: UInt8 = 0
                let n = read(STDIN_FILENO, &byte, 1)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VaultError.io(operation: "read", path: "stdin", errno: errno)
                }
                if n == 0 || byte == UInt8(ascii: "\n") { break }
                guard length < buffer.count else { throw VaultError.passphraseTooLong(limit: maximumLength) }
                buffer[length] = byte
                byte = 0
                length += 1
            }
            if length > 0, buffer[length - 1] == UInt8(ascii: "\r") { length -= 1 }
            guard length > 0 else { throw VaultError.emptyPassphrase }
            return Passphrase(storage: SecureBytes(copying: UnsafeRawBufferPointer(rebasing: buffer[0..<length])))
        }
    }

    private static func writeToStderr(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

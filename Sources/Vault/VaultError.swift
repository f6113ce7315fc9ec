#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every failure the `Vault` module reports.
///
/// A public enum so callers (the CLI, the gateway) can `switch` on the cause and pick
/// an exit code or HTTP status. Associated values only ever carry paths, sizes, modes,
/// `errno` values and KDF parameters: never passphrases, secret values or plaintext,
/// so `description` is always safe to log.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The vault (or passphrase) file does not exist.
    case fileNotFound(path: String)
    /// `create` was asked to write over an existing file without `force`.
    case fileExists(path: String)
    /// The file is readable or writable by group or others (`mode & 0o077 != 0`).
    case insecurePermissions(path: String, mode: UInt32)
    /// The path names a directory, device or other non-regular file.
    case notRegularFile(path: String)
    /// The file is larger than `VaultFile.maximumFileSize`.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// The bytes do not start with the vault magic: not a vault file at all.
    case notAVaultFile
    /// The file ends before the header, ciphertext or tag is complete.
    case truncated(size: Int, expectedAtLeast: Int)
    /// The header carries a format version this build does not understand.
    case unsupportedVersion(UInt8)
    /// The header names a key-derivation function this build does not know.
    case unknownKDF(UInt8)
    /// The KDF parameters are below the security floor; no key was derived.
    case kdfParametersTooWeak(KDFParameters)
    /// The KDF parameters exceed the sanity ceiling (would burn CPU/RAM); no key was derived.
    case kdfParametersTooHigh(KDFParameters)
    /// The KDF parameters are structurally invalid (e.g. scrypt N not a power of two).
    case invalidKDFParameters(reason: String)
    /// The file is structurally broken in a way not covered by a more specific case.
    case malformed(reason: String)
    /// AES-GCM authentication failed: wrong passphrase, or the file was modified.
    case wrongPassphraseOrModified
    /// An empty passphrase was supplied.
    case emptyPassphrase
    /// A passphrase longer than the reader's limit was supplied.
    case passphraseTooLong(limit: Int)
    /// `PassphraseReader.prompt` was called while stdin is not a terminal.
    case notATerminal
    /// The named entry is not in the vault.
    case entryNotFound(name: String)
    /// An entry name is not 1–64 characters from `[A-Za-z0-9_.-]`.
    ///
    /// The offending name is deliberately not included: a common slip is swapping the
    /// name and value arguments, and the value must never end up in a log.
    case invalidEntryName(length: Int)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// OpenSSL reported an internal failure (allocation, provider missing, ...).
    case crypto(operation: String, detail: String)

    /// Whether ``description`` already names the file concerned (else a caller that knows it should add it).
    public var namesPath: Bool {
        switch self {
        case .fileNotFound, .fileExists, .insecurePermissions, .notRegularFile, .fileTooLarge, .io: true
        default: false
        }
    }

    /// One-line human message naming the cause. Never contains secret material.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "vault file not found: \(path)"
        case .fileExists(let path):
            return "refusing to overwrite existing file \(path) (pass --force to replace it)"
        case .insecurePermissions(let path, let mode):
            return "vault file \(path) has insecure permissions \(Self.octal(mode)): it must not be accessible by group or others (run: chmod 600 \(path))"
        case .notRegularFile(let path):
            return "not a regular file: \(path)"
        case .fileTooLarge(let path, let size, let limit):
            return "file \(path) is too large (\(size) bytes, limit \(limit))"
        case .notAVaultFile:
            return "not a pingate vault file (bad magic)"
        case .truncated(let size, let expected):
            return "vault file is truncated (\(size) bytes, expected at least \(expected))"
        case .unsupportedVersion(let version):
            return "unsupported vault format version \(version) (this build reads version \(VaultHeader.currentVersion))"
        case .unknownKDF(let id):
            return "unknown key-derivation function id \(id) in vault header"
        case .kdfParametersTooWeak(let kdf):
            return "KDF parameters \(kdf) are below the minimum (\(kdf.floorDescription)); refusing to derive a key"
        case .kdfParametersTooHigh(let kdf):
            return "KDF parameters \(kdf) exceed the maximum (\(kdf.ceilingDescription)); refusing to derive a key"
        case .invalidKDFParameters(let reason):
            return "invalid KDF parameters: \(reason)"
        case .malformed(let reason):
            return "malformed vault file: \(reason)"
        case .wrongPassphraseOrModified:
            return "wrong passphrase or the vault file was modified"
        case .emptyPassphrase:
            return "empty passphrase"
        case .passphraseTooLong(let limit):
            return "passphrase is longer than \(limit) bytes"
        case .notATerminal:
            return "cannot prompt for a passphrase: stdin is not a terminal"
        case .entryNotFound(let name):
            return "no entry named \"\(name)\" in the vault"
        case .invalidEntryName(let length):
            return "invalid entry name (\(length) characters): names are 1-\(VaultEntryName.maximumLength) characters from A-Z a-z 0-9 _ . -"
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(Self.errnoMessage(code)) (errno \(code))"
        case .crypto(let operation, let detail):
            return "OpenSSL \(operation) failed: \(detail)"
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func errnoMessage(_ code: Int32) -> String {
        guard let cString = strerror(code) else { return "unknown error" }
        return String(cString: cString)
    }
}

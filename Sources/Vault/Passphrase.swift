/// The passphrase a vault key is derived from.
///
/// Redacted when printed or dumped; the bytes live in a buffer that is wiped when the
/// last copy is released. Where the passphrase comes from (environment, file, prompt)
/// is the caller's decision; see `PassphraseReader` for the usual sources.
public struct Passphrase: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    let storage: SecureBytes

    /// Uses the UTF-8 bytes of `string` (no Unicode normalisation is applied).
    public init(_ string: String) {
        storage = SecureBytes(utf8Of: string)
    }

    /// Uses `bytes` verbatim.
    public init(bytes: some Collection<UInt8>) {
        storage = SecureBytes(copyingBytesOf: bytes)
    }

    init(storage: SecureBytes) {
        self.storage = storage
    }

    /// True when the passphrase has no bytes; vault operations reject such passphrases.
    public var isEmpty: Bool { storage.count == 0 }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }

    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }

    /// A mirror with no children, so `dump` and reflection-based loggers see nothing.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

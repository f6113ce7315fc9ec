/// Whether a response may be stored, from its status and headers alone.
public enum Storability: Sendable, Hashable {
    case store
    case doNotStore(NotStoredReason)
}

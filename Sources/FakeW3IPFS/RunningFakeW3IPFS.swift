import ServiceLifecycle

/// A fake upstream that is listening; ``stop()`` it when done.
public final class RunningFakeW3IPFS: Sendable {
    /// Address it is bound to, as passed to `start`.
    public let host: String
    /// Bound port (the real one when `start` was given port 0).
    public let port: Int
    /// The state it serves.
    public let state: FakeW3IPFSState
    /// `http` or `https`.
    public let scheme: String

    private let serviceGroup: ServiceGroup
    private let runTask: Task<Void, Never>

    init(host: String, port: Int, state: FakeW3IPFSState, scheme: String, serviceGroup: ServiceGroup, runTask: Task<Void, Never>) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.state = state
        self.serviceGroup = serviceGroup
        self.runTask = runTask
    }

    /// `SCHEME://HOST:PORT` (IPv6 hosts in brackets), without a trailing slash.
    public var baseURL: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(scheme)://\(host):\(self.port)"
    }

    /// Stop accepting connections, let in-flight requests finish, close idle keep-alive
    /// connections, and return once the listener is closed. Safe to call more than once.
    /// A gate in the current faults is opened first: held answers are in flight too.
    public func stop() async {
        self.state.faults.gate?.open()
        await self.serviceGroup.triggerGracefulShutdown()
        await self.runTask.value
    }
}

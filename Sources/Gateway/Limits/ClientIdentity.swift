import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is calling, for per-client fairness and metrics (not for security).
///
/// In order: the unix-socket peer uid (`SO_PEERCRED`), a self-declared `X-Pingate-Client` name, the source address.
enum ClientIdentity {
    /// The longest self-declared name kept; longer ones are cut so a client cannot grow memory per request.
    static let maxNameLength = 64

    /// The identity string, e.g. `uid:1000`, `client:ci-bot`, `addr:127.0.0.1`, from the raw `X-Pingate-Client` value.
    /// - Parameter connection: the connection's own identity (``connectionIdentity(peer:peerUID:)``), made once.
    static func resolve(declared: String?, connection: String) -> String {
        if connection.hasPrefix("uid:") { return connection }
        if let declared, !declared.isEmpty {
            let cleaned = declared.unicodeScalars.prefix(maxNameLength).filter { $0.value > 0x20 && $0.value < 0x7F }
            if !cleaned.isEmpty { return "client:" + String(String.UnicodeScalarView(cleaned)) }
        }
        return connection
    }

    /// What identifies a connection's requests that declare no name: the unix-socket peer uid, else the address.
    static func connectionIdentity(peer: SocketAddress?, peerUID: UInt32?) -> String {
        if let peerUID { return "uid:\(peerUID)" }
        if let address = peer?.ipAddress { return "addr:" + address }
        return "unknown"
    }

    /// The uid of the process at the other end of a unix socket, or nil for TCP.
    static func peerUID(of channel: any Channel) -> EventLoopFuture<UInt32?> {
        guard case .unixDomainSocket = channel.remoteAddress ?? channel.localAddress,
              let provider = channel as? any SocketOptionProvider
        else { return channel.eventLoop.makeSucceededFuture(nil) }
        #if os(Linux)
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: .init(SOL_SOCKET), name: .init(SO_PEERCRED))
        return future.map { credentials -> UInt32? in credentials.uid }.recover { _ -> UInt32? in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}

/// Layout of Linux's `struct ucred` (hidden behind `_GNU_SOURCE` in Glibc's headers).
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

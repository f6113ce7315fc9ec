import Foundation
import NIOCore
import NIOSSL

/// TLS to an https upstream: SNI, certificate and host-name verification against the system trust store or the
/// PEM roots of `upstream_ca_file`, and a verification failure named by its reason.
///
/// One ``NIOSSLContext`` per upstream, made at start (a bad CA file stops pingate before it listens). There is no
/// client session resumption in swift-nio-ssl: handshakes are avoided by keeping TLS connections alive.
struct UpstreamTLS: Sendable {
    private let context: NIOSSLContext
    /// The name sent as SNI and checked against the certificate; nil for an IP literal (the address is checked).
    let serverHostname: String?

    /// - Parameters:
    ///   - host: the upstream's host name or IP literal.
    ///   - caFile: PEM file of roots to trust instead of the system store.
    /// - Throws: ``GatewayConfigurationError`` naming the file when it cannot be read or holds no certificate.
    init(host: String, caFile: String?) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.applicationProtocols = ["http/1.1"]
        if let caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw GatewayConfigurationError(.invalidSetting, "upstream_ca_file '\(caFile)' is not a readable PEM certificate file")
            }
            guard !certificates.isEmpty else {
                throw GatewayConfigurationError(.invalidSetting, "upstream_ca_file '\(caFile)' holds no certificate")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw GatewayConfigurationError(.invalidSetting, "cannot set up TLS for upstream '\(host)': \(error)")
        }
        self.serverHostname = Self.isIPLiteral(host) ? nil : host
    }

    /// A client handler for one new connection, reporting why the peer's certificate failed to `diagnosis`.
    func makeHandler(diagnosis: CertificateDiagnosis) throws -> NIOSSLClientHandler {
        try Self.legacyHandler(context: context, serverHostname: serverHostname) { result, certificate in
            if case .failed = result { diagnosis.record(certificate) }
            return result
        }
    }

    /// The per-certificate callback (which only observes BoringSSL's verdict) is the one way swift-nio-ssl reports
    /// which certificate failed; its non-deprecated replacement takes verification over entirely.
    private static func legacyHandler(
        context: NIOSSLContext, serverHostname: String?, callback: @escaping NIOSSLVerificationCallback
    ) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname, verificationCallback: callback)
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// What one connection's certificate check saw, to name a verification failure: expired (or not yet valid),
/// unknown authority, or a name mismatch. Event-loop bound.
final class CertificateDiagnosis {
    private var failedCertificate: NIOSSLCertificate?

    func record(_ certificate: NIOSSLCertificate) {
        if failedCertificate == nil { failedCertificate = certificate }
    }

    /// The failure to report for a handshake error.
    func failure(for error: any Error, host: String, now: Date = Date()) -> UpstreamFailure {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return UpstreamFailure(.tls, "certificate name mismatch: it is not valid for '\(host)'")
        }
        if let certificate = failedCertificate {
            let seconds = time_t(now.timeIntervalSince1970)
            if seconds > certificate.notValidAfter {
                return UpstreamFailure(.tls, "certificate expired")
            }
            if seconds < certificate.notValidBefore {
                return UpstreamFailure(.tls, "certificate not yet valid")
            }
            return UpstreamFailure(.tls, "unknown authority: the certificate is not signed by a trusted CA")
        }
        return UpstreamFailure(.tls, "handshake failed (\(String(describing: error).prefix(120)))")
    }
}

import Foundation
import NIOSSL

/// Certificates made by the `openssl` command in a temporary folder, once per test process: a CA, and server
/// certificates for `localhost` (and 127.0.0.1) signed by it — one valid, one expired — plus one valid for another
/// name and one signed by a CA nobody trusts.
struct TestCertificates: Sendable {
    /// Which server certificate an origin presents.
    enum Kind: String, Sendable, CaseIterable {
        case valid, expired, wrongName, unknownAuthority
    }

    let directory: String
    /// PEM of the CA pingate is told to trust (`upstream_ca_file`).
    var caFile: String { directory + "/ca.pem" }

    /// The shared set (made on first use; `openssl` failing is a test failure naming the command).
    static let shared: Result<TestCertificates, TestCertificateError> = {
        do throws(TestCertificateError) { return .success(try make()) } catch { return .failure(error) }
    }()

    static func get() throws -> TestCertificates { try shared.get() }

    /// A server TLS configuration presenting `kind`.
    func serverConfiguration(_ kind: Kind) throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(directory + "/\(kind.rawValue).pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: directory + "/\(kind.rawValue).key", format: .pem))
        )
    }

    private static func make() throws(TestCertificateError) -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingate-certs-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n".write(toFile: directory + "/localhost.ext", atomically: true, encoding: .utf8)
            try "subjectAltName=DNS:example.invalid\nbasicConstraints=CA:FALSE\n".write(toFile: directory + "/other.ext", atomically: true, encoding: .utf8)
            try """
            [ ca ]
            default_ca = test
            [ test ]
            database = \(directory)/index.txt
            new_certs_dir = \(directory)
            serial = \(directory)/serial
            default_md = sha256
            policy = any
            [ any ]
            commonName = supplied

            """.write(toFile: directory + "/ca.cnf", atomically: true, encoding: .utf8)
            try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
            try "01\n".write(toFile: directory + "/serial", atomically: true, encoding: .utf8)
        } catch {
            throw TestCertificateError(description: "cannot prepare \(directory): \(error)")
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, subject) in [("ca", "pingate test CA"), ("other-ca", "unknown test CA")] {
            try openssl(["req", "-x509"] + key + ["-keyout", "\(name).key", "-out", "\(name).pem", "-days", "3650", "-subj", "/CN=\(subject)",
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
        }
        for (name, subject) in [("valid", "localhost"), ("expired", "localhost"), ("wrongName", "example.invalid"), ("unknownAuthority", "localhost")] {
            try openssl(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(subject)"], in: directory)
        }
        try openssl(["x509", "-req", "-in", "valid.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "valid.pem", "-days", "30", "-extfile", "localhost.ext"], in: directory)
        try openssl(["x509", "-req", "-in", "wrongName.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "wrongName.pem", "-days", "30", "-extfile", "other.ext"], in: directory)
        try openssl(["x509", "-req", "-in", "unknownAuthority.csr", "-CA", "other-ca.pem", "-CAkey", "other-ca.key", "-CAcreateserial", "-out", "unknownAuthority.pem", "-days", "30", "-extfile", "localhost.ext"], in: directory)
        // Valid a day long, in 2020: only `openssl ca` sets dates in the past.
        try openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr", "-out", "expired.pem",
                     "-startdate", "200101000000Z", "-enddate", "200102000000Z", "-extfile", "localhost.ext", "-notext"], in: directory)
        return TestCertificates(directory: directory)
    }

    private static func openssl(_ arguments: [String], in directory: String) throws(TestCertificateError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw TestCertificateError(description: "cannot run openssl: \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificateError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }
}

/// Making the test certificates failed.
struct TestCertificateError: Error, CustomStringConvertible {
    let description: String
}

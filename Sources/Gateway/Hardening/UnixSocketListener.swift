#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why pingate refuses to serve on a unix socket path.
public struct UnixSocketError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Puts pingate's unix socket in place safely.
///
/// - The socket's folder must exist and must not be world-writable (anyone could swap the socket there).
/// - The socket is bound inside a fresh private (0700) folder next to the target, made `0600` (or `0660` with its
///   group set when a group is configured), and only then renamed onto the target path: it is never reachable
///   with looser permissions, whatever the umask.
/// - A file already at the path is replaced only when it is a socket nobody listens on (a stale one); a live
///   socket or any other kind of file is an error.
struct UnixSocketListener: Sendable {
    /// Where clients connect.
    let path: String
    /// The private folder the socket is bound in.
    let stagingDirectory: String
    /// Group owning the socket (mode 0660), or nil (mode 0600).
    let groupID: UInt32?

    /// Where the server binds (then ``publish()`` moves the socket to ``path``).
    var bindPath: String { stagingDirectory + "/s" }
    /// The socket's permission bits.
    var mode: mode_t { groupID == nil ? 0o600 : 0o660 }

    /// Checks the target and creates the staging folder.
    static func prepare(path: String, groupID: UInt32?) throws -> UnixSocketListener {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw UnixSocketError("unix socket path '\(path)' is not a file path") }
        let directory = parentDirectory(of: path)
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw UnixSocketError("unix socket folder '\(directory)' does not exist (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw UnixSocketError("'\(directory)' is not a folder") }
        guard info.st_mode & S_IWOTH == 0 else {
            throw UnixSocketError("refusing unix socket in world-writable folder '\(directory)': use a private folder (e.g. $XDG_RUNTIME_DIR)")
        }
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw UnixSocketError("'\(path)' exists and is not a socket; refusing to replace it")
            }
            if isListening(path) { throw UnixSocketError("another process is listening on '\(path)'") }
        }
        var template = Array((directory + "/.pingate-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else {
            throw UnixSocketError("cannot create a private folder in '\(directory)' (\(String(cString: strerror(errno))))")
        }
        let staging = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let listener = UnixSocketListener(path: path, stagingDirectory: staging, groupID: groupID)
        guard listener.bindPath.utf8.count < 108, path.utf8.count < 108 else {
            rmdir(staging)
            throw UnixSocketError("unix socket path '\(path)' is too long")
        }
        return listener
    }

    /// Sets the socket's mode and group, then moves it onto ``path`` (atomically replacing a stale socket).
    func publish() throws {
        if let groupID, chown(bindPath, uid_t.max, gid_t(groupID)) != 0 {
            throw UnixSocketError("cannot give the socket to group \(groupID) (\(String(cString: strerror(errno))))")
        }
        guard chmod(bindPath, mode) == 0 else {
            throw UnixSocketError("cannot set the socket's mode (\(String(cString: strerror(errno))))")
        }
        guard rename(bindPath, path) == 0 else {
            throw UnixSocketError("cannot move the socket to '\(path)' (\(String(cString: strerror(errno))))")
        }
        rmdir(stagingDirectory)
    }

    /// Removes the socket (if it is still the one this process bound) and the staging folder.
    func cleanup(boundInode: ino_t?) {
        var info = stat()
        if let boundInode, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK, info.st_ino == boundInode {
            unlink(path)
        }
        unlink(bindPath)
        rmdir(stagingDirectory)
    }

    /// The inode of the bound socket (to recognise it at cleanup).
    var boundInode: ino_t? {
        var info = stat()
        if lstat(bindPath, &info) == 0 { return info.st_ino }
        if lstat(path, &info) == 0 { return info.st_ino }
        return nil
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func isListening(_ path: String) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX file operations with the permission and durability rules the vault needs.
///
/// Plain POSIX rather than Foundation so we control exact `open` flags (O_EXCL, mode at
/// creation), check permissions on the opened descriptor (no check-then-open race) and
/// fsync both the file and its folder.
enum SecureFileIO {
    /// Reads a whole private file: must exist, be a regular file, have no group/other
    /// permission bits and be at most `limit` bytes.
    static func readPrivateFile(at path: String, limit: Int) throws -> [UInt8] {
        let fd = try openRetryingEINTR(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw VaultError.io(operation: "fstat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw VaultError.notRegularFile(path: path) }
        let permissions = UInt32(info.st_mode) & 0o7777
        guard permissions & 0o077 == 0 else {
            throw VaultError.insecurePermissions(path: path, mode: permissions)
        }
        let size = Int(info.st_size)
        guard size <= limit else { throw VaultError.fileTooLarge(path: path, size: size, limit: limit) }
        return try readAll(fd, path: path, expectedSize: size, limit: limit)
    }

    /// Reads a whole file without permission checks (passphrase files), up to `limit`
    /// bytes, into a buffer that is wiped after `body` returns.
    static func withFileContents<R>(
        at path: String, limit: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let fd = try openRetryingEINTR(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw VaultError.io(operation: "fstat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw VaultError.notRegularFile(path: path) }
        return try withWipedScratchBuffer(count: limit + 1) { buffer in
            var total = 0
            while total < buffer.count {
                let n = read(fd, buffer.baseAddress! + total, buffer.count - total)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VaultError.io(operation: "read", path: path, errno: errno)
                }
                if n == 0 { break }
                total += n
            }
            guard total <= limit else { throw VaultError.fileTooLarge(path: path, size: total, limit: limit) }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<total]))
        }
    }

    /// True when something (file, directory, dangling symlink) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Atomically places `bytes` at `path` with mode 0600.
    ///
    /// Writes a temp file in the same folder (created O_EXCL with mode 0600, so it is
    /// never readable by others even briefly), fsyncs it, then either renames it over
    /// `path` (`replace`) or hard-links it into place (fails with `.fileExists` if `path`
    /// exists, with no race window), and finally fsyncs the folder so the new name is
    /// durable. Readers therefore see the old file or the new one, never a mix. The
    /// temp file is removed on every failure path.
    static func writeAtomically(_ bytes: [UInt8], to path: String, replace: Bool) throws {
        let (folder, base) = split(path)
        let tempPath = folder + "/." + base + ".tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)

        let fd = try openRetryingEINTR(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode: 0o600)
        var tempExists = true
        defer { if tempExists { unlink(tempPath) } }
        do {
            // umask can only clear bits, but be explicit in case the mode was widened elsewhere.
            guard fchmod(fd, 0o600) == 0 else { throw VaultError.io(operation: "fchmod", path: tempPath, errno: errno) }
            try writeAll(fd, bytes, path: tempPath)
            guard fsync(fd) == 0 else { throw VaultError.io(operation: "fsync", path: tempPath, errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw VaultError.io(operation: "close", path: tempPath, errno: errno) }

        if replace {
            guard rename(tempPath, path) == 0 else { throw VaultError.io(operation: "rename", path: path, errno: errno) }
            tempExists = false
        } else {
            if link(tempPath, path) != 0 {
                let code = errno
                if code == EEXIST { throw VaultError.fileExists(path: path) }
                // Some filesystems have no hard links: fall back to check-then-rename,
                // which has a tiny race but still never writes a partial file.
                guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EXDEV || code == EMLINK else {
                    throw VaultError.io(operation: "link", path: path, errno: code)
                }
                guard !exists(path) else { throw VaultError.fileExists(path: path) }
                guard rename(tempPath, path) == 0 else { throw VaultError.io(operation: "rename", path: path, errno: errno) }
                tempExists = false
            }
        }
        try fsyncFolder(folder)
    }

    /// Splits `path` into (folder, last component); the folder is "." for bare names.
    static func split(_ path: String) -> (folder: String, base: String) {
        let utf8 = Array(path.utf8)
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let folder = slash == 0 ? "/" : String(decoding: utf8[..<slash], as: UTF8.self)
        return (folder, String(decoding: utf8[(slash + 1)...], as: UTF8.self))
    }

    private static func fsyncFolder(_ folder: String) throws {
        let fd = try openRetryingEINTR(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw VaultError.io(operation: "fsync", path: folder, errno: errno) }
    }

    private static func openRetryingEINTR(_ path: String, _ flags: Int32, mode: mode_t = 0) throws -> Int32 {
        while true {
            let fd = open(path, flags, mode)
            if fd >= 0 { return fd }
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT && flags & O_CREAT == 0 { throw VaultError.fileNotFound(path: path) }
            throw VaultError.io(operation: "open", path: path, errno: code)
        }
    }

    private static func readAll(_ fd: Int32, path: String, expectedSize: Int, limit: Int) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(expectedSize)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw VaultError.io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
            // The file may grow between fstat and read; keep the limit honest.
            guard result.count <= limit else { throw VaultError.fileTooLarge(path: path, size: result.count, limit: limit) }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VaultError.io(operation: "write", path: path, errno: errno)
                }
                offset += n
            }
        }
    }
}

import Foundation

/// Reads a child process's output pipe on a thread of its own with blocking reads, until end of file.
///
/// Not `FileHandle.readabilityHandler`: its dispatch source can fire while the pipe is being torn down, which
/// crashes swift-corelibs-foundation's dispatch on Linux now and then.
public enum OutputReader {
    /// Starts reading `pipe`. `onData` gets every chunk in order, then one empty `Data` at end of file.
    public static func start(_ pipe: Pipe, onData: @escaping @Sendable (Data) -> Void) {
        // A descriptor of the reader's own: the pipe's handle may be released (and closed) before the output ends.
        let descriptor = dup(pipe.fileHandleForReading.fileDescriptor)
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                onData(Data(buffer[0..<count]))
            }
            close(descriptor)
            onData(Data())
        }
        thread.start()
    }
}

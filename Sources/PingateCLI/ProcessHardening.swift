import CProcessControl
#if canImport(Glibc)
import Glibc
#endif

/// Process-level protections for a process that holds secrets in memory.
enum ProcessHardening {
    /// Disables core dumps (and ptrace attach by other users) so a crash cannot write the secrets to disk.
    static func disableCoreDumps() {
        _ = pingate_disable_dumpable()
        #if os(Linux)
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
        #endif
    }
}

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`: the built `xcserver`, bash running the README's curl lines,
/// apt-get, pip, ffmpeg.
///
/// Not Foundation's `Process`: on Linux its `run()` lists `/proc/self/fd` reading 256 bytes of every
/// `dirent`, past the end of glibc's buffer when a short record sits at its tail
/// (swift-corelibs-foundation PR #5472, not in Swift 6.3.1). That crashed the whole test process once
/// in a full run (SIGSEGV in `Process.run`, `ReadmeCurlTests`). This does what the tests used `Process`
/// for: stdin from /dev/null, stdout and stderr to files, the environment given, no descriptor of the
/// test process inherited (`closefrom(3)` in the child), and the exit status once the child is reaped.
final class Spawned: Sendable {
    let processIdentifier: pid_t
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    /// Starts `executable` (a path: no PATH search) with `arguments`, in `directory` when given, with
    /// exactly `environment`, its output appended to the files `stdout` and `stderr` (nil: /dev/null).
    init(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, stdout: String? = nil, stderr: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "stdin")
        try Self.check(posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644), "stdout")
        try Self.check(posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644), "stderr")
        try Self.check(Self.closeFrom(&actions, 3), "closefrom")
        if let directory { try Self.check(directory.withCString { Self.changeDirectory(&actions, $0) }, "chdir \(directory)") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, as Process does: a Ctrl-C at the terminal reaches the test runner, which
        // stops its children itself.
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP)), "setpgroup")

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        try Self.check(posix_spawn(&pid, executable, &actions, &attributes, argv, envp), "spawn \(executable)")
        processIdentifier = pid

        // One thread per child, blocked in waitpid: children are few and short-lived, and this reaps only
        // its own pid.
        Thread.detachNewThread { [self, pid] in
            var status: CInt = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f  // exit code, else the signal
            let waiters = state.withLock { state in
                state.status = code
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
    }

    var isRunning: Bool { state.withLock { $0.status == nil } }

    /// SIGTERM, unless it already ended (then its pid may be someone else's).
    func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// The exit code (or ending signal), once the child ended.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Int32? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private static func check(_ result: CInt, _ what: String) throws {
        guard result == 0 else { throw TestFailure("posix_spawn (\(what)) failed: \(String(cString: strerror(result)))") }
    }

    // glibc has both (2.34, 2.29) but Swift's Glibc module does not declare them.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> CInt
    private static let closeFrom = unsafeBitCast(symbol("posix_spawn_file_actions_addclosefrom_np"), to: CloseFrom.self)
    private static let changeDirectory = unsafeBitCast(symbol("posix_spawn_file_actions_addchdir_np"), to: ChangeDirectory.self)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer {
        guard let found = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("this C library has no \(name) (glibc 2.34 or later has it)")
        }
        return found
    }
}

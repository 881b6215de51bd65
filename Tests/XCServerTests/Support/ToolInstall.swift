import Foundation
import Synchronization

/// Runs external programs (ffmpeg, ffprobe, apt-get) from async tests without blocking the cooperative pool:
/// output goes to temporary files, the end is awaited (`Spawned.wait`), and every run is
/// bounded (SIGTERM at the timeout, SIGKILL 2 s later).
enum ExternalTool {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var elapsed: Duration

        var succeeded: Bool { status == 0 && !timedOut }
        /// The last lines of stderr, for failure messages.
        var stderrTail: String { stderr.split(separator: "\n").suffix(15).joined(separator: "\n") }
    }

    /// `name` on PATH (plus the usual system directories), or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(
        _ executable: String, _ arguments: [String], timeout: Duration, environment: [String: String] = [:]
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xctool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        let started = ContinuousClock.now
        let process = try Spawned(executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
                                  stdout: outURL.path, stderr: errURL.path)
        let state = RunState()
        let timer = Task {
            try await Task.sleep(for: timeout)
            guard process.isRunning else { return }
            state.markTimedOut()
            process.terminate()
            try await Task.sleep(for: .seconds(2))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let status = await process.wait()
        timer.cancel()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr, timedOut: state.timedOut,
                      elapsed: started.duration(to: .now))
    }

    private final class RunState: Sendable {
        private let flag = Mutex(false)
        func markTimedOut() { flag.withLock { $0 = true } }
        var timedOut: Bool { flag.withLock { $0 } }
    }

    struct FFmpeg: Sendable {
        var ffmpeg: String
        var ffprobe: String
    }

    /// ffmpeg and ffprobe, installed with apt-get (as root, non-interactive, bounded) when missing. Throws a
    /// clear error when they cannot be had: the media tests fail rather than skip.
    static func ffmpeg() async throws -> FFmpeg {
        try await ffmpegInstall.value
    }

    /// One install attempt per test process, shared by every test that needs it.
    private static let ffmpegInstall = Task<FFmpeg, any Error> {
        if let ffmpeg = find("ffmpeg"), let ffprobe = find("ffprobe") { return FFmpeg(ffmpeg: ffmpeg, ffprobe: ffprobe) }
        try await aptInstall(["ffmpeg"], missing: "ffmpeg/ffprobe are not on PATH")
        guard let ffmpeg = find("ffmpeg"), let ffprobe = find("ffprobe") else {
            throw TestFailure("apt-get installed ffmpeg, yet ffmpeg/ffprobe are not on PATH")
        }
        return FFmpeg(ffmpeg: ffmpeg, ffprobe: ffprobe)
    }

    /// `apt-get install -y --no-install-recommends PACKAGES` (as root, non-interactive, bounded), with an
    /// `apt-get update` first when the package lists are missing. Throws a clear error naming `missing`
    /// (what the caller lacks) when that is impossible: the tests that need the tool fail rather than skip.
    static func aptInstall(_ packages: [String], missing: String) async throws {
        let list = packages.joined(separator: " ")
        guard getuid() == 0 else {
            throw TestFailure("\(missing) and this test process is not root, so it cannot install them; install \(list)")
        }
        guard let aptGet = find("apt-get") else {
            throw TestFailure("\(missing) and there is no apt-get to install them with; install \(list)")
        }
        let environment = ["DEBIAN_FRONTEND": "noninteractive"]
        let installArguments = ["install", "-y", "--no-install-recommends"] + packages
        print("[ExternalTool] \(missing): apt-get install -y \(list)")
        var install = try await run(aptGet, installArguments, timeout: .seconds(900), environment: environment)
        if !install.succeeded {
            // Usually "Unable to locate package": no package lists yet.
            print("[ExternalTool] install failed (\(install.status)); apt-get update, then again")
            let update = try await run(aptGet, ["update"], timeout: .seconds(300), environment: environment)
            if !update.succeeded {
                throw TestFailure("apt-get update failed (status \(update.status), timed out \(update.timedOut)):\n\(update.stderrTail)")
            }
            install = try await run(aptGet, installArguments, timeout: .seconds(900), environment: environment)
        }
        guard install.succeeded else {
            throw TestFailure("could not install \(list) with apt-get (status \(install.status), timed out \(install.timedOut)):\n\(install.stderrTail)")
        }
    }
}

/// Turns a process-wide deadlock into a failure instead of a hang.
///
/// Every timeout a test can set (`Task.sleep`, Swift Testing's time limits, NIO-scheduled closes followed by
/// an `await`) needs a free thread of Swift's cooperative pool to act. When the code under test blocks those
/// threads (a synchronous wait on the cooperative pool, e.g. a blocking database read while the connections
/// it waits for belong to tasks that need a cooperative thread to resume), nothing async ever runs again and the
/// test process hangs forever. This watchdog is a plain OS thread: when its test reports no progress for
/// `stall`, it prints what it knows and ends the process with status 70, so the run fails with a reason.
final class HangWatchdog: Sendable {
    private struct State {
        var lastProgress = ContinuousClock.now
        var note = ""
        var stopped = false
    }

    private let state = Mutex(State())
    let label: String
    let stall: Duration

    init(_ label: String, stall: Duration) {
        self.label = label
        self.stall = stall
        Thread.detachNewThread { [self] in
            while true {
                usleep(100_000)
                let (stopped, last, note) = state.withLock { ($0.stopped, $0.lastProgress, $0.note) }
                if stopped { return }
                if last.duration(to: .now) > stall {
                    let message = """
                        [HangWatchdog] \(label): no progress for \(stall) (last: \(note.isEmpty ? "-" : note)). \
                        The process looks deadlocked: Swift's cooperative threads are blocked, so no timeout can fire. \
                        Ending the test process (status 70) instead of hanging.\n
                        """
                    FileHandle.standardError.write(Data(message.utf8))
                    FileHandle.standardOutput.write(Data(message.utf8))
                    Self.dumpThreads()
                    _exit(70)
                }
            }
        }
    }

    /// With gdb present, every thread's stack goes to a file (bounded to 60 s), which shows who blocks whom.
    private static func dumpThreads() {
        guard let gdb = ExternalTool.find("gdb"), let timeout = ExternalTool.find("timeout") else { return }
        let pid = getpid()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-hang-\(pid).txt").path
        let command = "\(timeout) 60 \(gdb) -p \(pid) -batch -ex 'thread apply all bt 30' > '\(path)' 2>&1"
        if system(command) == 0 {
            FileHandle.standardError.write(Data("[HangWatchdog] thread stacks in \(path)\n".utf8))
            FileHandle.standardOutput.write(Data("[HangWatchdog] thread stacks in \(path)\n".utf8))
        }
    }

    func progress(_ note: String = "") {
        state.withLock {
            $0.lastProgress = .now
            if !note.isEmpty { $0.note = note }
        }
    }

    func stop() { state.withLock { $0.stopped = true } }
}

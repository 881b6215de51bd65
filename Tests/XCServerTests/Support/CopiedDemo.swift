import Foundation

extension ServedBinary {
    /// `xcserver demo` as a user who copied the binary runs it: the built `xcserver` copied into a fresh
    /// temporary directory and started from another, empty one, with `XCSERVER_FIXTURES` pointing nowhere,
    /// so the demo's catalog and media can only come from inside the executable. The child is terminated
    /// and the directory removed when `body` returns.
    static func demoFromACopy<T>(_ body: (ServedBinary) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-copied-demo-\(UUID().uuidString)")
        let bin = directory.appendingPathComponent("bin")
        let work = directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = bin.appendingPathComponent("xcserver").path
        try FileManager.default.copyItem(atPath: try SyncCommandTests.executable(), toPath: binary)

        let server = try await start(
            "demo", ["--db", work.appendingPathComponent("demo.sqlite").path], in: work, executable: binary,
            environment: ["XCSERVER_FIXTURES": directory.appendingPathComponent("no-fixtures-here").path])
        defer { if server.child.process.isRunning { server.child.process.terminate() } }
        return try await body(server)
    }
}

import Foundation
import FixtureProvider
import Testing
import XCModels
@testable import XCServerKit

/// The web page in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by
/// Selenium from PyPI; all installed by the test when missing) against the built `xcserver serve` on
/// the fixture provider: `admin_browser.py` signs in and out, checks the pages are closed without a
/// session, adds an account after its provider test, watches a sync's progress and a viewing come and
/// go without reloading, hides a category and sees the XC API change, tries a CSRF call, and finds no
/// console errors. Screenshots of every page at 1280 and 360 px (where it also checks there is no
/// horizontal scrolling) are written to `.build/artifacts/admin/` (not committed).
@Suite(.serialized) struct AdminBrowserTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let artifacts = packageRoot.appendingPathComponent(".build/artifacts/admin")
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("admin_browser.py")
    static let token = "browser-test-admin-token"

    @Test(.timeLimit(.minutes(10))) func theAdminPageInARealBrowser() async throws {
        let browser = try await ExternalTool.browser()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try? FileManager.default.removeItem(at: Self.artifacts)

        let provider = try await FixtureProvider.start(accounts: [try .alpha(), try .beta()])
        defer { Task { await provider.stop() } }
        let dbPath = directory.appendingPathComponent("browser.sqlite").path
        // Only alpha to begin with: the page adds beta.
        let store = try await SyncCommandTests.fixtureDatabase(dbPath, provider: provider, beta: false)
        _ = try await store.addUser(User(username: "family", password: "tv-pass", maxConnections: 2))
        let sync = try SyncCommandTests.Child(["sync", "--db", dbPath, "--rate", "0"], in: directory)
        guard try await sync.wait(timeout: .seconds(120)) == 0 else { throw TestFailure("the fixture sync failed:\n\(sync.output)\n\(sync.errors)") }
        let action = try #require(try await store.categoryID(kind: .movie, name: "Action"))

        // A slow beta panel, so the page's sync runs long enough to be seen moving; a slow alpha stream,
        // so the viewing stays open while the page is looked at.
        provider.setFaults(FixtureFaults(firstByteDelay: .milliseconds(800), infoDelay: .milliseconds(400)), for: "beta")
        provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(500)), for: "alpha")
        let server = try await ServedBinary.start(
            "serve", ["--db", dbPath, "--sync-interval", "0", "--admin-token", Self.token, "--grace", "2"], in: directory)
        defer { if server.child.process.isRunning { server.child.process.terminate() } }

        let settings: [String: Any] = [
            "base": server.base, "port": server.port, "token": Self.token, "chromium": browser.chromium, "chromedriver": browser.chromedriver,
            "artifacts": Self.artifacts.path, "provider": provider.baseURL, "beta_password": FixtureAccount.betaPassword,
            "user": "family", "password": "tv-pass", "movie_id": 10001, "movie_ext": "mkv", "category_id": action, "search": "a",
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self)
        // Chromium at a lower CPU priority: on a busy two-core machine the suites running beside this one
        // keep the CPU they need (their watchdogs and time bounds), and the page is only slower to paint.
        let (executable, arguments) = ExternalTool.find("nice").map { ($0, ["-n", "10", browser.python]) } ?? (browser.python, [])
        let run = try await ExternalTool.run(executable, arguments + [Self.script.path, json], timeout: .seconds(480),
                                             environment: browser.environment)
        #expect(run.succeeded && run.stdout.hasSuffix("OK\n"),
                "admin_browser.py (status \(run.status), timed out \(run.timedOut)):\n\(run.stdout)\n\(run.stderrTail)\nserver:\n\(server.child.errors.suffix(3000))")
        for page in ["signin", "dashboard", "accounts", "logins", "categories", "catalog"] {
            for width in [1280, 360] {
                let shot = Self.artifacts.appendingPathComponent("\(page)-\(width).png").path
                #expect(FileManager.default.fileExists(atPath: shot), "screenshot \(shot)")
            }
        }
        #expect(try await server.stop() == 0, "serve stops cleanly with the page's event stream just closed")
    }
}

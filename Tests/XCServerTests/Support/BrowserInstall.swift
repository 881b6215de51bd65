import Foundation

extension ExternalTool {
    /// Debian's Chromium and its WebDriver, and a Python that can `import selenium` at `seleniumVersion`.
    struct Browser: Sendable {
        var chromium: String
        var chromedriver: String
        var python: String
        var pythonPath: String
        var environment: [String: String] {
            // Selenium is given both binaries, so its manager never downloads a browser or a driver.
            ["PYTHONPATH": pythonPath, "PYTHONDONTWRITEBYTECODE": "1", "SE_OFFLINE": "true", "SE_AVOID_STATS": "true"]
        }
    }

    static let seleniumVersion = "4.51.0"

    /// `chromium` and `chromium-driver` from apt-get when missing, and selenium `seleniumVersion` from PyPI
    /// (`pythonPackage`). Throws a clear error when they cannot be had: the browser tests fail rather than skip.
    static func browser() async throws -> Browser {
        try await browserInstall.value
    }

    private static let browserInstall = Task<Browser, any Error> {
        if find("chromium") == nil || find("chromedriver") == nil {
            try await aptInstall(["chromium", "chromium-driver"], missing: "chromium/chromedriver are not on PATH")
        }
        guard let chromium = find("chromium"), let chromedriver = find("chromedriver") else {
            throw TestFailure("apt-get installed chromium and chromium-driver, yet chromium/chromedriver are not on PATH")
        }
        let (python, target) = try await pythonPackage("selenium", version: seleniumVersion)
        return Browser(chromium: chromium, chromedriver: chromedriver, python: python, pythonPath: target)
    }
}

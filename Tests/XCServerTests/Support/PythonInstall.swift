import Foundation

extension ExternalTool {
    /// A Python that can `import pyxtream` at exactly `version`, and the `PYTHONPATH` that makes it so.
    struct PyXtream: Sendable {
        var python: String
        var pythonPath: String
        var environment: [String: String] { ["PYTHONPATH": pythonPath, "PYTHONDONTWRITEBYTECODE": "1"] }
    }

    static let pyxtreamVersion = "0.8.0"

    /// pyxtream `pyxtreamVersion` from PyPI (with its dependencies), installed with `pip install --target`
    /// into a directory of its own under the temporary directory (reused by later test runs, never the
    /// system's site-packages). Python 3 and pip come from apt-get when missing. Throws a clear error
    /// when they cannot be had: the client tests fail rather than skip.
    static func pyxtream() async throws -> PyXtream {
        try await pyxtreamInstall.value
    }

    private static let pyxtreamInstall = Task<PyXtream, any Error> {
        if find("python3") == nil { try await aptInstall(["python3", "python3-pip"], missing: "python3 is not on PATH") }
        guard let python = find("python3") else { throw TestFailure("apt-get installed python3, yet it is not on PATH") }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-pyxtream-\(pyxtreamVersion)").path
        let tool = PyXtream(python: python, pythonPath: target)
        let check = ["-c", "import pyxtream, sys; sys.exit(0 if pyxtream.__version__ == '\(pyxtreamVersion)' else 3)"]
        if try await run(python, check, timeout: .seconds(60), environment: tool.environment).succeeded { return tool }

        if !(try await run(python, ["-m", "pip", "--version"], timeout: .seconds(60)).succeeded) {
            try await aptInstall(["python3-pip"], missing: "\(python) has no pip")
        }
        try? FileManager.default.removeItem(atPath: target)
        let pip = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "--target", target,
                   "pyxtream==\(pyxtreamVersion)"]
        print("[ExternalTool] pyxtream \(pyxtreamVersion) missing: pip install --target \(target)")
        var install = try await run(python, pip, timeout: .seconds(600))
        if !install.succeeded, install.stderr.contains("externally-managed") {
            // Debian's system Python refuses pip unless told; --target keeps the install out of the system anyway.
            install = try await run(python, pip + ["--break-system-packages"], timeout: .seconds(600))
        }
        guard install.succeeded else {
            throw TestFailure("could not install pyxtream \(pyxtreamVersion) from PyPI (status \(install.status), timed out \(install.timedOut)):\n\(install.stderrTail)")
        }
        let verify = try await run(python, check, timeout: .seconds(60), environment: tool.environment)
        guard verify.succeeded else {
            throw TestFailure("pip installed pyxtream \(pyxtreamVersion), yet \(python) cannot import it:\n\(verify.stderrTail)")
        }
        return tool
    }
}

import Foundation

extension ExternalTool {
    /// A Python that can `import pyxtream` at exactly `version`, and the `PYTHONPATH` that makes it so.
    struct PyXtream: Sendable {
        var python: String
        var pythonPath: String
        var environment: [String: String] { ["PYTHONPATH": pythonPath, "PYTHONDONTWRITEBYTECODE": "1"] }
    }

    static let pyxtreamVersion = "0.8.0"

    /// pyxtream `pyxtreamVersion` from PyPI (with its dependencies), installed by `pythonPackage`. Throws a
    /// clear error when it cannot be had: the client tests fail rather than skip.
    static func pyxtream() async throws -> PyXtream {
        try await pyxtreamInstall.value
    }

    private static let pyxtreamInstall = Task<PyXtream, any Error> {
        let (python, target) = try await pythonPackage("pyxtream", version: pyxtreamVersion)
        return PyXtream(python: python, pythonPath: target)
    }

    /// `python3` and a directory that, as `PYTHONPATH`, makes `import MODULE` give `package` at exactly
    /// `version`: installed from PyPI (with its dependencies) with `pip install --target` into a directory
    /// of its own under the temporary directory (reused by later test runs, never the system's
    /// site-packages). Python 3 and pip come from apt-get when missing. Throws a clear error when they
    /// cannot be had.
    static func pythonPackage(_ package: String, version: String, module: String? = nil) async throws -> (python: String, target: String) {
        if find("python3") == nil { try await aptInstall(["python3", "python3-pip"], missing: "python3 is not on PATH") }
        guard let python = find("python3") else { throw TestFailure("apt-get installed python3, yet it is not on PATH") }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-\(package)-\(version)").path
        let environment = ["PYTHONPATH": target, "PYTHONDONTWRITEBYTECODE": "1"]
        let name = module ?? package
        let check = ["-c", "import \(name), sys; sys.exit(0 if \(name).__version__ == '\(version)' else 3)"]
        if try await run(python, check, timeout: .seconds(60), environment: environment).succeeded { return (python, target) }

        if !(try await run(python, ["-m", "pip", "--version"], timeout: .seconds(60)).succeeded) {
            try await aptInstall(["python3-pip"], missing: "\(python) has no pip")
        }
        try? FileManager.default.removeItem(atPath: target)
        let pip = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "--target", target,
                   "\(package)==\(version)"]
        print("[ExternalTool] \(package) \(version) missing: pip install --target \(target)")
        var install = try await run(python, pip, timeout: .seconds(600))
        if !install.succeeded, install.stderr.contains("externally-managed") {
            // Debian's system Python refuses pip unless told; --target keeps the install out of the system anyway.
            install = try await run(python, pip + ["--break-system-packages"], timeout: .seconds(600))
        }
        guard install.succeeded else {
            throw TestFailure("could not install \(package) \(version) from PyPI (status \(install.status), timed out \(install.timedOut)):\n\(install.stderrTail)")
        }
        let verify = try await run(python, check, timeout: .seconds(60), environment: environment)
        guard verify.succeeded else {
            throw TestFailure("pip installed \(package) \(version), yet \(python) cannot import it:\n\(verify.stderrTail)")
        }
        return (python, target)
    }
}

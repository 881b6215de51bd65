import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import XCServerKit

/// README.md as a user pastes it: every curl line of every code block, top to bottom, against a fresh
/// `xcserver demo` (the README's port replaced by a free one, `$TOKEN` set to the token the demo
/// prints), with real curl. No answer is 4xx/5xx unless the line's own comment announces that status.
/// The 503 body the README quotes is the one a real refusal carries.
@Suite struct ReadmeCurlTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")

    /// One command as the README has it (continuation lines joined), with the variable assignments
    /// that precede it in its block.
    struct Command: CustomStringConvertible {
        var prelude: [String]
        var line: String
        /// Statuses the line's comment announces (`# 409 once it has ended`).
        var announced: Set<Int>

        var description: String { line }
    }

    static func commands(_ text: String) -> [Command] {
        var commands: [Command] = []
        var inBlock = false
        var prelude: [String] = []
        var pending = ""
        for raw in text.components(separatedBy: "\n") {
            if raw.hasPrefix("```") {
                inBlock.toggle()
                prelude = []
                continue
            }
            guard inBlock else { continue }
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            let line = (pending + raw).trimmingCharacters(in: .whitespaces)
            pending = ""
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.range(of: #"^[A-Z_]+="#, options: .regularExpression) != nil {
                prelude.append(line)
            } else if line.contains("curl ") {
                let comment = line.range(of: " # ").map { String(line[$0.upperBound...]) } ?? ""
                let announced = comment.matches(of: /\b([45]\d\d)\b/).compactMap { Int($0.output.1) }
                commands.append(Command(prelude: prelude, line: line, announced: Set(announced)))
            }
        }
        return commands
    }

    /// Runs one command in bash with curl wrapped so that every HTTP status goes to stderr.
    static func run(_ command: Command, port: Int, token: String, in directory: URL) async throws -> (exit: Int32, statuses: [Int], output: String) {
        let wrapper = #"curl() { command curl -sS -w '%{stderr}XCSTATUS %{http_code}\n' "$@"; }"#
        let script = ([wrapper] + command.prelude + [command.line]).joined(separator: "\n")
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
        let stdout = directory.appendingPathComponent("curl-out-\(UUID().uuidString)")
        let stderr = directory.appendingPathComponent("curl-err-\(UUID().uuidString)")
        let process = try Spawned("/bin/bash", ["-c", script], environment: ProcessInfo.processInfo.environment.merging(["TOKEN": token]) { $1 },
                                  stdout: stdout.path, stderr: stderr.path)
        // Bounded: a wait loop in the README that never ends fails the test instead of hanging it.
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        process.terminate()
        let status = await process.wait()
        let errors = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        let statuses = errors.components(separatedBy: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("XCSTATUS ") else { return nil }
            return Int(line.dropFirst("XCSTATUS ".count))
        }
        let output = ((try? String(contentsOf: stdout, encoding: .utf8)) ?? "").prefix(400) + "\n" + errors.prefix(400)
        return (status, statuses, String(output))
    }

    @Test func everyCurlLineRunsInOrderAgainstAFreshDemo() async throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        let commands = Self.commands(text)
        #expect(commands.count > 30, "the README's curl lines were found: \(commands.count)")

        let directory = try FirstHourTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (child, port, token) = try await DemoCommandTests.start(in: directory, timeout: .seconds(120))
        defer { if child.process.isRunning { child.process.terminate() } }

        for command in commands {
            let result = try await Self.run(command, port: port, token: token, in: directory)
            #expect(result.exit == 0, "\(command): curl or bash failed: \(result.output)")
            #expect(!result.statuses.isEmpty, "\(command): no HTTP answer")
            for status in result.statuses where status >= 400 {
                #expect(command.announced.contains(status), "\(command): HTTP \(status) the README does not announce:\n\(result.output)")
            }
        }

        // The 503 the README quotes, as a second login gets it for a film on the one-connection
        // account while the first login's viewing there still holds the connection.
        let quoted = try #require(text.firstMatch(of: /\*\*503 "([^"]+)"\*\*/)?.output.1, "README quotes no 503 body")
        let base = "http://127.0.0.1:\(port)"
        var add = HTTPClientRequest(url: base + "/api/users")
        add.method = .POST
        add.headers.add(name: "Authorization", value: "Bearer \(token)")
        add.body = .bytes(ByteBuffer(string: #"{"username":"guest","password":"guest","max_connections":1}"#))
        #expect(try await HTTPClient.shared.execute(add, timeout: .seconds(30)).status == .created)
        // Both alpha-only films of the demo's category 1 (the README disables category 2 for alpha).
        var first = HTTPClientRequest(url: base + "/movie/demo/demo/10003.mkv")
        first.headers.add(name: "Range", value: "bytes=0-1023")
        let held = try await HTTPClient.shared.execute(first, timeout: .seconds(30))
        #expect(held.status == .partialContent)
        _ = try await held.body.collect(upTo: 1 << 20)  // ended: its slot lingers for the grace period
        let refused = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/movie/guest/guest/10007.mkv"), timeout: .seconds(30))
        let body = String(buffer: try await refused.body.collect(upTo: 1 << 20))
        #expect(refused.status == .serviceUnavailable)
        #expect(body.trimmingCharacters(in: .whitespacesAndNewlines) == String(quoted), "the README quotes what the server sends")

        child.process.terminate()
        #expect(try await child.wait(timeout: .seconds(20)) == 0, "\(child.errors)")
    }
}

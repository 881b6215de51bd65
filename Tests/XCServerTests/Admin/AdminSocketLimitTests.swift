import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// `socket_limit` (docs/sockets.md) through the admin API and the command line.
@Suite struct AdminSocketLimitTests {
    @Test func theAdminAPIReadsAndWritesSocketLimit() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let listed = try await env.callJSON("/api/accounts")["accounts"]
            #expect(listed[0]["socket_limit"].string == "tolerant", "the default")
            let created = try await env.callJSON("/api/accounts", .POST, json: """
                {"name":"gamma","url":"http://h","username":"u","password":"p","socket_limit":"strict"}
                """, expect: 201)["account"]
            #expect(created["socket_limit"].string == "strict")
            let patched = try await env.callJSON("/api/accounts/gamma", .PATCH, json: #"{"socket_limit":"tolerant"}"#)["account"]
            #expect(patched["socket_limit"].string == "tolerant")
            expectAPIError(try await env.call("/api/accounts/gamma", .PATCH, json: #"{"socket_limit":"sometimes"}"#), 400,
                           code: "invalid", field: "socket_limit")
            #expect(try await env.store.account(named: "gamma")?.socketLimit == .tolerant, "the refused PATCH wrote nothing")
            // Detection's mark is what the API shows.
            let alpha = try #require(try await env.store.account(named: "alpha"))
            #expect(try await env.store.markSocketsStrict(accountID: alpha.id!))
            #expect(try await !env.store.markSocketsStrict(accountID: alpha.id!), "marked once")
            #expect(try await env.callJSON("/api/accounts/alpha")["account"]["socket_limit"].string == "strict")
        }
    }

    @Test func theCommandLineSetsSocketLimit() async throws {
        let directory = try FirstHourTests.directory()
        let db = ["--db", directory.appendingPathComponent("xc.sqlite").path]
        defer { try? FileManager.default.removeItem(at: directory) }
        let add = try await FirstHourTests.run(["account", "add", "--name", "a", "--url", "http://127.0.0.1:1", "--username", "u",
                                                "--password", "p", "--socket-limit", "strict"] + db, in: directory)
        #expect(add.status == 0, "\(add.errors)")
        var list = try await FirstHourTests.run(["account", "list"] + db, in: directory)
        #expect(list.output.contains("sockets strict"), "\(list.output)")
        let update = try await FirstHourTests.run(["account", "update", "a", "--socket-limit", "tolerant"] + db, in: directory)
        #expect(update.status == 0, "\(update.errors)")
        list = try await FirstHourTests.run(["account", "list"] + db, in: directory)
        #expect(list.output.contains("sockets tolerant"), "\(list.output)")
        let wrong = try await FirstHourTests.run(["account", "update", "a", "--socket-limit", "maybe"] + db, in: directory)
        #expect(wrong.status != 0 && wrong.errors.contains("socket-limit"), "\(wrong.errors)")
        let missing = try await FirstHourTests.run(["account", "update", "nobody", "--socket-limit", "strict"] + db, in: directory)
        #expect(missing.status != 0 && missing.errors.contains("no account named 'nobody'"), "\(missing.errors)")
    }
}

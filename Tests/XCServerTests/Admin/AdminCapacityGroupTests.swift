import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// An account's capacity group (docs/slots.md, "Capacity groups") through the admin API and the command line:
/// set, read, clear.
@Suite struct AdminCapacityGroupTests {
    @Test func theAdminAPISetsReadsAndClearsTheGroup() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            #expect(try await env.callJSON("/api/accounts")["accounts"].items.allSatisfy { $0["group"].isNull }, "no group by default")
            let created = try await env.callJSON("/api/accounts", .POST, json: """
                {"name":"gamma","url":"http://h","username":"alpha","password":"p","group":"home"}
                """, expect: 201)["account"]
            #expect(created["group"].string == "home")
            let patched = try await env.callJSON("/api/accounts/alpha", .PATCH, json: #"{"group":"  home "}"#)["account"]
            #expect(patched["group"].string == "home", "trimmed, so it matches gamma's")
            #expect(try await env.store.account(named: "alpha")?.capacityGroup == "home")
            #expect(try await env.callJSON("/api/accounts/alpha")["account"]["group"].string == "home")
            let connections = try await env.callJSON("/api/connections")["accounts"].items
            #expect(connections.map { $0["group"].string } == ["home", nil, "home"], "alpha, beta, gamma in admission order")

            expectAPIError(try await env.call("/api/accounts/alpha", .PATCH, json: #"{"group":7}"#), 400, code: "invalid", field: "group")
            #expect(try await env.store.account(named: "alpha")?.capacityGroup == "home", "the refused PATCH wrote nothing")
            #expect(try await env.callJSON("/api/accounts/alpha", .PATCH, json: #"{"priority":11}"#)["account"]["group"].string == "home",
                    "a PATCH without the field keeps it")

            #expect(try await env.callJSON("/api/accounts/alpha", .PATCH, json: #"{"group":null}"#)["account"]["group"].isNull)
            #expect(try await env.callJSON("/api/accounts/gamma", .PATCH, json: #"{"group":""}"#)["account"]["group"].isNull)
            #expect(try await env.store.accounts().allSatisfy { $0.capacityGroup == nil })
        }
    }

    @Test func theCommandLineSetsShowsAndClearsTheGroup() async throws {
        let directory = try FirstHourTests.directory()
        let db = ["--db", directory.appendingPathComponent("xc.sqlite").path]
        defer { try? FileManager.default.removeItem(at: directory) }
        func add(_ name: String, _ options: [String]) async throws -> (status: Int32, output: String, errors: String) {
            try await FirstHourTests.run(["account", "add", "--name", name, "--url", "http://127.0.0.1:1", "--username", "u",
                                          "--password", "p"] + options + db, in: directory)
        }
        var result = try await add("main", ["--group", "provider", "--max-connections", "2"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("group provider: main share 2 connections (no other account is in it yet)"), "\(result.output)")
        result = try await add("mirror", ["--group", "provider"])
        #expect(result.output.contains("group provider: main, mirror share 1 connection"), "\(result.output)")
        result = try await add("other", [])
        #expect(result.status == 0 && !result.output.contains("group"), "\(result.output)")

        var list = try await FirstHourTests.run(["account", "list"] + db, in: directory)
        var lines = list.output.split(separator: "\n")
        #expect(lines.filter { $0.hasSuffix("\tgroup provider") }.count == 2, "\(list.output)")
        #expect(lines.filter { $0.hasSuffix("\tno group") }.count == 1, "\(list.output)")

        result = try await FirstHourTests.run(["account", "update", "other", "--group", "provider"] + db, in: directory)
        #expect(result.output.contains("group provider: main, mirror, other share 1 connection"), "\(result.output)")
        result = try await FirstHourTests.run(["account", "update", "mirror", "--group", ""] + db, in: directory)
        #expect(result.status == 0 && !result.output.contains("group"), "\(result.output)")
        list = try await FirstHourTests.run(["account", "list"] + db, in: directory)
        lines = list.output.split(separator: "\n")
        #expect(lines.first { $0.contains("\tmirror\t") }?.hasSuffix("\tno group") == true, "\(list.output)")
        #expect(lines.filter { $0.hasSuffix("\tgroup provider") }.count == 2, "\(list.output)")

        let missing = try await FirstHourTests.run(["account", "update", "nobody", "--group", "x"] + db, in: directory)
        #expect(missing.status != 0 && missing.errors.contains("no account named 'nobody'"), "\(missing.errors)")
        let bare = try await FirstHourTests.run(["account", "update", "main", "--group"] + db, in: directory)
        #expect(bare.status != 0 && bare.errors.contains("--group"), "\(bare.errors)")
    }
}

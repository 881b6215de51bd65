import ArgumentParser
import Foundation
import XCModels
import XCServerKit

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the logins your apps use.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a login.")
        @OptionGroup var common: CommonOptions
        @Option var username: String
        @Option var password: String
        @Option(help: "Simultaneous viewings for this login.") var maxConnections: Int = 1
        @Option(help: "Days until the login expires (default: never).") var expiresInDays: Int?

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
            try OptionChecks.atLeast(1, expiresInDays, "--expires-in-days")
        }

        func run() async throws {
            let store = try common.openStore()
            let expiry = expiresInDays.map { Int64(Date().timeIntervalSince1970) + Int64($0) * 86400 }
            do {
                let user = try await store.addUser(User(username: username, password: password, maxConnections: maxConnections, expiresAt: expiry))
                print("added user \(user.username) (id \(user.id!))")
            } catch let error as StoreError {
                throw UserFacingError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List logins.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            for u in try await common.openExistingStore().users() {
                print("\(u.id!)\t\(u.username)\tmax \(u.maxConnections)\t\(u.enabled ? "enabled" : "disabled")\texpires \(u.expiresAt.map(String.init) ?? "never")")
            }
        }
    }
}

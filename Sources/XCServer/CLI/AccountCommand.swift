import ArgumentParser
import XCModels
import XCServerKit

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage provider accounts.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a provider account.")
        @OptionGroup var common: CommonOptions
        @Option(help: "A name for the account, unique.") var name: String
        @Option(help: "The panel's URL, e.g. http://provider.example:8080 (a sub-path is kept).") var url: String
        @Option var username: String
        @Option var password: String
        @Option(help: "Simultaneous streams the provider allows.") var maxConnections: Int = 1
        @Option(help: "Higher wins: its ids are shown and its copy streamed first.") var priority: Int = 0
        @Option(help: "User-Agent sent upstream (default: the client's own).") var userAgent: String?

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
        }

        func run() async throws {
            let store = try common.openStore()
            do {
                let account = try await store.addAccount(Account(
                    name: name, baseURL: url, username: username, password: password,
                    maxConnections: maxConnections, priority: priority, userAgent: userAgent))
                print("added account \(account.name) (id \(account.id!))")
            } catch let error as StoreError {
                throw UserFacingError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List provider accounts, highest priority first.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let store = try common.openExistingStore()
            let accounts = try await store.accounts()
            if accounts.isEmpty { print("no accounts; add one with `xcserver account add`") }
            for a in accounts {
                print("\(a.id!)\t\(a.name)\t\(a.baseURL)\tuser \(a.username)\tpassword ****\tmax \(a.maxConnections)\tpriority \(a.priority)\t\(a.enabled ? "enabled" : "disabled")")
            }
        }
    }
}

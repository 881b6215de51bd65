import ArgumentParser
import XCModels
import XCServerKit

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage provider accounts.", subcommands: [Add.self, Update.self, List.self])

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
        @Option(help: "strict: the provider counts open sockets, one upstream socket per viewing; tolerant: one per request (docs/sockets.md).")
        var socketLimit: SocketLimit = .default

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
        }

        func run() async throws {
            try await common.add { store in
                let account = try await store.addAccount(Account(
                    name: name, baseURL: url, username: username, password: password,
                    maxConnections: maxConnections, priority: priority, userAgent: userAgent, socketLimit: socketLimit))
                return "added account \(account.name) (id \(account.id!))"
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a provider account; options not given stay as they are.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The account's name.") var name: String
        @Option(help: "Simultaneous streams the provider allows.") var maxConnections: Int?
        @Option(help: "Higher wins: its ids are shown and its copy streamed first.") var priority: Int?
        @Option(help: "strict: the provider counts open sockets, one upstream socket per viewing; tolerant: one per request (docs/sockets.md).")
        var socketLimit: SocketLimit?

        func validate() throws {
            if let maxConnections { try OptionChecks.atLeast(1, maxConnections, "--max-connections") }
        }

        func run() async throws {
            let store = try common.openExistingStore()
            guard var account = try await store.account(named: name) else {
                throw UserFacingError("no account named '\(name)'; `xcserver account list` shows them")
            }
            if let maxConnections { account.maxConnections = maxConnections }
            if let priority { account.priority = priority }
            if let socketLimit { account.socketLimit = socketLimit }
            try await store.updateAccount(account)
            print("updated account \(account.name): max \(account.maxConnections), priority \(account.priority), sockets \(account.socketLimit.rawValue)")
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
                print("\(a.id!)\t\(a.name)\t\(a.baseURL)\tuser \(a.username)\tpassword ****\tmax \(a.maxConnections)\tpriority \(a.priority)\tsockets \(a.socketLimit.rawValue)\t\(a.enabled ? "enabled" : "disabled")")
            }
        }
    }
}

extension SocketLimit: ExpressibleByArgument {}

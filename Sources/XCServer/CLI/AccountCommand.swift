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
        @Option(help: ArgumentHelp(GroupText.help, valueName: "name")) var group: String?

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
        }

        func run() async throws {
            try await common.add { store in
                let account = try await store.addAccount(Account(
                    name: name, baseURL: url, username: username, password: password,
                    maxConnections: maxConnections, priority: priority, userAgent: userAgent, socketLimit: socketLimit,
                    capacityGroup: group))
                let sharing = try await GroupText.summary(of: account, in: store)
                return "added account \(account.name) (id \(account.id!))\(sharing)"
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
        @Option(help: ArgumentHelp(GroupText.help + " --group \"\" takes the account out of its group.", valueName: "name"))
        var group: String?

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
            if let group { account.capacityGroup = Account.normalizedGroup(group) }
            try await store.updateAccount(account)
            let sharing = try await GroupText.summary(of: account, in: store)
            print("updated account \(account.name): max \(account.maxConnections), priority \(account.priority), sockets \(account.socketLimit.rawValue)\(sharing)")
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
                print("\(a.id!)\t\(a.name)\t\(a.baseURL)\tuser \(a.username)\tpassword ****\tmax \(a.maxConnections)\tpriority \(a.priority)\tsockets \(a.socketLimit.rawValue)\t\(a.enabled ? "enabled" : "disabled")\t\(GroupText.column(a))")
            }
        }
    }
}

extension SocketLimit: ExpressibleByArgument {}

/// What the account commands say about capacity groups (docs/slots.md, "Capacity groups").
enum GroupText {
    static let help = "Capacity group: accounts that are one provider login (two DNS names of one provider, or one login entered twice) share one connection limit, the smallest --max-connections of the group's enabled accounts."

    /// `account list`'s column.
    static func column(_ account: Account) -> String {
        account.capacityGroup.map { "group \($0)" } ?? "no group"
    }

    /// After an add or update of a grouped account: who shares its limit now, so a typo in the group name
    /// (a group of one) shows at once. Empty when the account has no group.
    static func summary(of account: Account, in store: Store) async throws -> String {
        guard let group = account.capacityGroup else { return "" }
        let members = try await store.accounts().filter { $0.capacityGroup == group }
        let limit = members.filter(\.enabled).map(\.maxConnections).min() ?? account.maxConnections
        let names = members.map(\.name).sorted().joined(separator: ", ")
        let alone = members.count == 1 ? " (no other account is in it yet)" : ""
        return "; group \(group): \(names) share \(limit) connection\(limit == 1 ? "" : "s")\(alone)"
    }
}

import ArgumentParser
import Foundation
import XCModels
import XCServerKit

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the logins your apps use.", subcommands: [Add.self, Update.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a login.")
        @OptionGroup var common: CommonOptions
        @Option var username: String
        @Option var password: String
        @Option(help: "Simultaneous viewings for this login.") var maxConnections: Int = 1
        @Option(help: "Days until the login expires (default: never).") var expiresInDays: Int?
        @Flag(help: "Hide live channels the provider marks adult (a child's login).") var hideAdult = false
        @OptionGroup var view: VariantOptions

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
            try OptionChecks.atLeast(1, expiresInDays, "--expires-in-days")
            _ = try view.applied(to: .all)
        }

        func run() async throws {
            let expiry = expiresInDays.map { Int64(Date().timeIntervalSince1970) + Int64($0) * 86400 }
            try await common.add { store in
                var user = User(username: username, password: password, maxConnections: maxConnections, expiresAt: expiry)
                user.variantView = try view.applied(to: .all)
                user.hideAdult = hideAdult
                user = try await store.addUser(user, allowedCategories: nil)
                return "added user \(user.username) (id \(user.id!))"
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a login (only the options given).")
        @OptionGroup var common: CommonOptions
        @Option(help: "The login to change.") var username: String
        @Option var password: String?
        @Option(help: "Simultaneous viewings for this login.") var maxConnections: Int?
        @Option(help: "true hides live channels the provider marks adult, false shows them.") var hideAdult: Bool?
        @OptionGroup var view: VariantOptions

        func validate() throws {
            try OptionChecks.atLeast(1, maxConnections, "--max-connections")
            _ = try view.applied(to: .all)
        }

        func run() async throws {
            let store = try common.openExistingStore()
            guard var user = try await store.user(named: username) else {
                throw UserFacingError("no user '\(username)' (see `xcserver user list`)")
            }
            if let password { user.password = password }
            if let maxConnections { user.maxConnections = maxConnections }
            user.variantView = try view.applied(to: user.variantView)
            if let hideAdult { user.hideAdult = hideAdult }
            do {
                try await store.updateUser(user, allowedCategories: nil)
                print("updated user \(user.username) (id \(user.id!)): variants \(VariantOptions.describe(user.variantView))")
            } catch let error as StoreError {
                throw UserFacingError(error.description)
            }
        }
    }

    /// How a login sees a title's variants (docs/variants.md, "Per-login view").
    struct VariantOptions: ParsableArguments {
        @Option(help: "all (every variant its own entry) or best (one entry per title).") var variants: String?
        @Option(help: "Preferred qualities, most preferred first, comma-separated (e.g. 2160p,1080p).") var qualities: String?
        @Option(help: "Preferred languages, most preferred first, comma-separated (e.g. FR,EN).") var languages: String?
        @Option(help: "Best quality this login may see (e.g. 1080p); `none` lifts the limit.") var maxQuality: String?

        /// `view` with the given options applied; a bad value is refused naming the option.
        func applied(to view: VariantView) throws -> VariantView {
            func list(_ text: String?, _ current: [String]) -> [String] {
                guard let text else { return current }
                return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let max = maxQuality.map { $0.lowercased() == "none" ? nil : $0 } ?? view.maxQuality?.rawValue
            do {
                return try VariantView(
                    mode: variants ?? view.mode.rawValue, qualities: list(qualities, view.qualities.map(\.rawValue)),
                    languages: list(languages, view.languages), maxQuality: max)
            } catch {
                let option = error.field == "max_quality" ? "max-quality" : error.field
                throw ValidationError("--\(option): \(error.message)")
            }
        }

        static func describe(_ view: VariantView) -> String {
            var text = view.mode.rawValue
            if !view.qualities.isEmpty { text += ", qualities \(view.qualities.map(\.rawValue).joined(separator: ","))" }
            if !view.languages.isEmpty { text += ", languages \(view.languages.joined(separator: ","))" }
            if let max = view.maxQuality { text += ", max \(max.rawValue)" }
            return text
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List logins.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            for u in try await common.openExistingStore().users() {
                print("\(u.id!)\t\(u.username)\tmax \(u.maxConnections)\t\(u.enabled ? "enabled" : "disabled")\texpires \(u.expiresAt.map(String.init) ?? "never")\tvariants \(VariantOptions.describe(u.variantView))")
            }
        }
    }
}

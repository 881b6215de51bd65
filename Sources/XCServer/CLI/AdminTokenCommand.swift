import ArgumentParser
import XCModels
import XCServerKit

struct AdminTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-token", abstract: "Print the admin API token kept in the database (creating it if needed).")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        print(try await common.openStore().adminToken().token)
    }
}

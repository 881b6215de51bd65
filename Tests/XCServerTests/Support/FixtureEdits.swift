import FixtureProvider
import Foundation
import Sync

extension FixtureProvider {
    /// Serves `account`'s fixture catalog with one list file replaced by `edit` of its items, as a
    /// provider whose catalog changed between two syncs.
    func editList(_ account: String, file: String, _ edit: ([ProviderValue]) -> [ProviderValue]) throws {
        let source = FixtureProvider.sourceFixturesDirectory.appendingPathComponent(account)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-\(account)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: copy)
        let url = copy.appendingPathComponent(file)
        let items = try ProviderValue.parse(String(contentsOf: url, encoding: .utf8)).array ?? []
        try ProviderValue.array(edit(items)).jsonText.write(to: url, atomically: true, encoding: .utf8)
        let catalog = try FixtureCatalog.directory(copy)
        try? FileManager.default.removeItem(at: copy)
        updateAccount(account) { $0.catalog = catalog }
    }
}

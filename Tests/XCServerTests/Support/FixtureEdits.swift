import FixtureProvider
import Foundation
import Sync

extension FixtureProvider {
    /// Serves `account`'s fixture catalog with one list file replaced by `edit` of its items, as a
    /// provider whose catalog changed between two syncs.
    func editList(_ account: String, file: String, _ edit: @escaping ([ProviderValue]) -> [ProviderValue]) throws {
        try editFile(account, file: file) { .array(edit($0.array ?? [])) }
    }

    /// Serves `account`'s fixture catalog with one file (a list, a `series_info/<id>.json`) replaced by
    /// `edit` of its JSON.
    func editFile(_ account: String, file: String, _ edit: @escaping (ProviderValue) -> ProviderValue) throws {
        try editFiles(account, [file: edit])
    }

    /// Serves `account`'s fixture catalog with each file named in `edits` replaced by its edit, all at
    /// once (each edit starts from the committed fixtures, not from an earlier edit).
    func editFiles(_ account: String, _ edits: [String: (ProviderValue) -> ProviderValue]) throws {
        let source = FixtureProvider.sourceFixturesDirectory.appendingPathComponent(account)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-\(account)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: copy)
        for (file, edit) in edits {
            let url = copy.appendingPathComponent(file)
            try edit(ProviderValue.parse(String(contentsOf: url, encoding: .utf8))).jsonText.write(to: url, atomically: true, encoding: .utf8)
        }
        let catalog = try FixtureCatalog.directory(copy)
        try? FileManager.default.removeItem(at: copy)
        updateAccount(account) { $0.catalog = catalog }
    }
}

import Foundation
import Testing
import XCModels

/// `xcserver user add|update --variants …` with the built binary: the view is stored, shown by
/// `user list`, and a bad value is refused with a sentence naming the option, writing nothing.
@Suite struct UserVariantsCommandTests {
    @Test func addAndUpdateSetTheLoginsVariantView() async throws {
        let directory = try FirstHourTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = ["--db", directory.appendingPathComponent("x.sqlite").path]
        let add = try await FirstHourTests.run(["user", "add", "--username", "tv", "--password", "p", "--variants", "best",
                                                "--qualities", "4K,1080p"] + db, in: directory)
        #expect(add.status == 0, "\(add.output)\(add.errors)")
        let update = try await FirstHourTests.run(["user", "update", "--username", "tv", "--languages", "fr,EN", "--max-quality", "FHD"] + db,
                                                  in: directory)
        #expect(update.status == 0, "\(update.output)\(update.errors)")
        #expect(update.output.contains("variants best, qualities 2160p,1080p, languages FR,EN, max 1080p"), "\(update.output)")
        let bad = try await FirstHourTests.run(["user", "update", "--username", "tv", "--variants", "some"] + db, in: directory)
        #expect(bad.status != 0 && bad.errors.contains("--variants") && bad.errors.contains("\"all\" or \"best\""), "\(bad.errors)")
        let store = try Store(path: db[1], create: false)
        let user = try #require(try await store.user(named: "tv"))
        #expect(user.variantView == VariantView(mode: .best, qualities: [.uhd, .fhd], languages: ["FR", "EN"], maxQuality: .fhd))
    }
}

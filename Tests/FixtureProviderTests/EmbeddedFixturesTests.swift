import Foundation
import Testing

@testable import FixtureProvider

/// The copy of `fixtures/` compiled into the binary is `fixtures/`, file for file and byte for byte,
/// and the playable media is what `FixtureMedia.playable` serves, with the usual Range rules.
@Suite struct EmbeddedFixturesTests {
    @Test func everyFixtureFileIsEmbeddedUnchanged() throws {
        var onDisk: [String] = []
        let enumerator = try #require(FileManager.default.enumerator(at: fixturesDirectory, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(fixturesDirectory.standardizedFileURL.path.count + 1))
            if relative != "README.md" { onDisk.append(relative) }
        }
        #expect(onDisk.sorted() == EmbeddedFixtures.files.keys.sorted(),
                "each file under fixtures/ needs a symlink in Sources/DemoProvider/Embedded and a line in EmbeddedFixtures.swift")
        for path in onDisk {
            #expect(EmbeddedFixtures.files[path] == (try fixtureFile(path)), "\(path): the embedded bytes differ from fixtures/")
        }
    }

    @Test func theEmbeddedCatalogIsTheDirectoryCatalog() throws {
        for account in ["alpha", "beta"] {
            let embedded = try FixtureCatalog.embedded(account)
            let directory = try FixtureCatalog.directory(fixturesDirectory.appendingPathComponent(account))
            for action in FixtureCatalog.listActions {
                #expect(embedded.listBody(action) == directory.listBody(action), "\(account) \(action)")
            }
            for id in [501, 502, 503, 601, 602, 999] { #expect(embedded.seriesInfo(id) == directory.seriesInfo(id), "\(account) series \(id)") }
            for id in [10001, 10002, 10005, 20001, 20008, 99999] { #expect(embedded.vodInfo(id) == directory.vodInfo(id), "\(account) vod \(id)") }
        }
        #expect(throws: FixtureCatalogError.self) { try FixtureCatalog.embedded("media") }
    }

    @Test func playableAccountsServeTheSampleFilesByExtension() async throws {
        let alpha = try FixtureAccount.alpha(media: .playable)
        try await withProvider([alpha, try .beta(media: .playable)]) { provider in
            for (id, ext, file, type) in [(10001, "mkv", "media/demo.mkv", "video/x-matroska"), (10004, "mp4", "media/demo.mp4", "video/mp4"),
                                          (10012, "avi", "media/demo.mkv", "application/octet-stream")] {
                let sample = try fixtureFile(file)
                let url = provider.streamURL(username: alphaUser, password: alphaPass, streamID: id, ext: ext)
                let whole = try await fetch(url)
                #expect(whole.status == 200 && whole.body == sample, "\(id).\(ext): \(whole.body.count) bytes, not \(file)")
                #expect(whole.header("Content-Type") == type)
                let tail = try await fetch(url, headers: [("Range", "bytes=-100")])
                #expect(tail.status == 206 && tail.body == Array(sample.suffix(100)))
                #expect(tail.header("Content-Range") == "bytes \(sample.count - 100)-\(sample.count - 1)/\(sample.count)")
                #expect(FixtureProvider.expectedBytes(account: alpha, streamID: id, range: 10..<20, ext: ext) == Array(sample[10..<20]))
            }
            // The first bytes are a real container: EBML for Matroska, an `ftyp` box for MP4.
            #expect(try fixtureFile("media/demo.mkv").prefix(4) == [0x1A, 0x45, 0xDF, 0xA3])
            #expect(Array(try fixtureFile("media/demo.mp4")[4..<8]) == Array("ftyp".utf8))
            let episode = try await fetch(provider.streamURL(kind: "series", username: betaUser, password: betaPass, streamID: 21006, ext: "mp4"))
            let mp4 = try fixtureFile("media/demo.mp4")
            #expect(episode.status == 200 && episode.body == mp4)
        }
    }
}

import AsyncHTTPClient
import FixtureProvider
import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The guide: read as a stream from each account's `xmltv.php` (beta's is a gzip file at −05:00,
/// alpha's plain at +01:00), served as `get_short_epg`, `get_simple_data_table` and `xmltv.php`.
@Suite struct LiveGuideTests {
    @Test func xmltvTimesHonourTheirOffsets() {
        #expect(XMLTVTime.seconds("20261201200000 +0100") == 1_796_151_600)  // 2026-12-01 19:00 UTC
        #expect(XMLTVTime.seconds("20261201140000 -0500") == 1_796_151_600)
        #expect(XMLTVTime.seconds("20261201190000") == 1_796_151_600)
        #expect(XMLTVTime.seconds("202612011900 +0000") == 1_796_151_600)
        #expect(XMLTVTime.seconds("garbage") == nil)
        #expect(CivilTime.text(1_796_151_600, in: TimeZone(identifier: "Europe/Paris")!) == "2026-12-01 20:00:00")
        #expect(CivilTime.xmltv(1_796_151_600) == "20261201190000 +0000")
    }

    static let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE tv SYSTEM "xmltv.dtd">
        <tv><!-- a <programme> in a comment is no programme -->
        <channel id="a.uk"><display-name>A</display-name></channel>
        <programme start="20261201200000 +0100" stop="20261201210000 +0100" channel="A.uk">
          <title lang="en">News &amp; Weather &#233;&#x2014;</title><title lang="fr">Autre</title>
          <desc><![CDATA[Tom & <Jerry>]]> at 8</desc><category>x</category>
        </programme>
        <programme start="bad" channel="a.uk"><title>skipped</title></programme>
        <programme start="20261201210000 +0100" stop="20261201220000 +0100" channel='a.uk' />
        </tv>
        """

    static let expected = [
        XMLTVReader.Item(channel: "a.uk", start: 1_796_151_600, stop: 1_796_155_200, title: "News & Weather é—",
                         description: "Tom & <Jerry> at 8", lang: "en"),
        XMLTVReader.Item(channel: "a.uk", start: 1_796_155_200, stop: 1_796_158_800, title: "", description: "", lang: ""),
    ]

    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func theReaderGivesTheSameProgrammesWhateverTheChunkSize(chunk: Int) {
        let (items, unreadable) = Self.read(Self.document, chunk: chunk)
        #expect(items == Self.expected)
        #expect(unreadable == 1)
    }

    /// The programmes of `document` fed to a reader `chunk` bytes at a time, and how many it could not read.
    static func read(_ document: String, chunk: Int) -> (items: [XMLTVReader.Item], unreadable: Int) {
        var reader = XMLTVReader()
        var items: [XMLTVReader.Item] = []
        let bytes = Array(document.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            reader.feed(bytes[start..<min(start + chunk, bytes.count)]) { items.append($0) }
        }
        reader.finish()
        return (items, reader.unreadable)
    }

    /// What reading the bytes in place must keep: a channel id written differently gets its own key
    /// (the previous programme's is reused only for the same bytes), element names are whole names
    /// (`<titles>`, `<description>`, `<programmes>` are other elements), values and text are decoded.
    static let tricky = """
        <tv>
        <programme start="20261201190000" channel="News.UK"><title>one</title></programme>
        <programme start="20261201200000" channel="news.uk"><titles>not a title</titles><title>two</title></programme>
        <programme start="20261201210000" channel="B&amp;W.tv"><title lang="de&amp;at">drei</title><description>x</description><desc>d &lt;3 &#x1F600;&#233; &bogus; &amp</desc></programme>
        <programme start="20261201220000" channel=""><title>no channel</title></programme>
        <programme start="20261201230000" stop="20261201233000" channel="B&amp;W.tv"><title/><title>four</title></programme>
        <programmes start="20261201230000" channel="x"></programmes>
        </tv>
        """

    @Test(arguments: [1, 5, 100_000])
    func theReaderComparesNamesAndChannelIdsAsWritten(chunk: Int) {
        let (items, unreadable) = Self.read(Self.tricky, chunk: chunk)
        let t = Int64(1_796_151_600)
        #expect(items == [
            XMLTVReader.Item(channel: "news.uk", start: t, stop: t + 1800, title: "one", description: "", lang: ""),
            XMLTVReader.Item(channel: "news.uk", start: t + 3600, stop: t + 5400, title: "two", description: "", lang: ""),
            XMLTVReader.Item(channel: "b&w.tv", start: t + 7200, stop: t + 9000, title: "drei", description: "d <3 😀é &bogus; &amp", lang: "de&at"),
            XMLTVReader.Item(channel: "b&w.tv", start: t + 14400, stop: t + 16200, title: "four", description: "", lang: ""),
        ])
        #expect(unreadable == 1)
    }

    /// A guide far larger than the reader's bound: what it holds between chunks stays the size of one element.
    @Test func theReaderHoldsOneElementNotTheDocument() {
        var reader = XMLTVReader()
        let programme = Array("<programme start=\"20261201200000 +0000\" stop=\"20261201210000 +0000\" channel=\"c\"><title>\(String(repeating: "t", count: 200))</title></programme>\n".utf8)
        var count = 0
        var largest = 0
        reader.feed(Array("<tv>".utf8)) { _ in }
        for _ in 0..<20_000 {  // 4 MB
            reader.feed(programme) { _ in count += 1 }
            largest = max(largest, reader.bufferedBytes)
        }
        #expect(count == 20_000)
        #expect(largest < 1024, "buffered \(largest) bytes")
    }

    @Test func shortEPGAndDataTableComeFromTheGuidesWithTheirOffsetsAndBase64() async throws {
        let fixture = try LiveFixture()
        var config = ServerConfig()
        config.timeZone = TimeZone(identifier: "Europe/Paris")!
        try await TestEnvironment.with(accounts: fixture.accounts, config: config) { env in
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            let guide = try #require(report.accounts.first { $0.account == "beta" }?.kinds["guide"])
            #expect(guide.skipReasons["channel not listed"] == fixture.beta.live.programmesPerChannel, "unlisted.example dropped")

            // BBC One HD: alpha's guide (preferred relation), +01:00, 7 days of archive: all past programmes kept.
            let short = try await env.api("action=get_short_epg&stream_id=3001")
            let listings = short["epg_listings"].items
            #expect(listings.count == 4)
            let now = Int64(Date().timeIntervalSince1970)
            let expected = fixture.programmes(fixture.alpha, "bbc1.uk").filter { $0.stop > now }.prefix(4)
            #expect(listings.map { $0["start_timestamp"].string } == expected.map { String($0.start) })
            #expect(listings.map { base64Text($0["title"]) } == expected.map { $0.title })
            #expect(listings.map { base64Text($0["description"]) } == expected.map { $0.description })
            let paris = TimeZone(identifier: "Europe/Paris")!
            #expect(listings.first?["start"].string == CivilTime.text(expected.first!.start, in: paris))
            #expect(listings.first?["channel_id"].string == "bbc1.uk")
            #expect(nullPaths(in: short).isEmpty)
            #expect(try await env.api("action=get_short_epg&stream_id=3001&limit=2")["epg_listings"].items.count == 2)

            let table = try await env.api("action=get_simple_data_table&stream_id=3001")["epg_listings"].items
            #expect(table.count == fixture.programmes(fixture.alpha, "bbc1.uk").filter { $0.start < now + 7 * 86400 }.count)
            #expect(table.filter { $0["now_playing"].int == 1 }.count == 1)
            #expect(table.first?["has_archive"].int == 1)
            #expect(table.last?["has_archive"].int == 0)

            // Eurosport 1: beta only, a gzip guide at −05:00, no archive: from now on only; same UTC instants.
            let euro = try #require(try await env.liveByName()["Eurosport 1"]?["stream_id"].int)
            let euroTable = try await env.api("action=get_simple_data_table&stream_id=\(euro)")["epg_listings"].items
            let euroExpected = fixture.programmes(fixture.beta, "eurosport1.eu").filter { $0.stop > now && $0.start < now + 7 * 86400 }
            #expect(euroTable.map { $0["start_timestamp"].string } == euroExpected.map { String($0.start) })
            #expect(euroTable.allSatisfy { $0["has_archive"].int == 0 })

            // A channel without a guide id, and an unknown id: the empty answer.
            #expect(try await env.api("action=get_short_epg&stream_id=3003") == .object(["epg_listings": .array([])]))
            #expect(try await env.api("action=get_short_epg&stream_id=999999") == .object(["epg_listings": .array([])]))
        }
    }

    /// Collects `<channel id>`s and the programmes' channels of an XMLTV document.
    final class GuideCollector: NSObject, XMLParserDelegate {
        var channels: [String] = []
        var programmes: [String: Int] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "channel", let id = attributes["id"] { channels.append(id) }
            if name == "programme", let id = attributes["channel"] { programmes[id, default: 0] += 1 }
        }
    }

    @Test func xmltvIsValidXMLWhoseChannelsAreTheListedGuideIdsAndGzipsWhenAsked() async throws {
        let fixture = try LiveFixture()
        // The guide keeps 7 days ahead of the instant it was imported, which lies between these two.
        let beforeImport = Int64(Date().timeIntervalSince1970)
        try await TestEnvironment.with(accounts: fixture.accounts) { env in
            let path = "/xmltv.php?username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))"
            let reply = try await env.request(path)
            #expect(reply.status == 200)
            let parser = XMLParser(data: Data(reply.body))
            let collector = GuideCollector()
            parser.delegate = collector
            #expect(parser.parse(), "\(parser.parserError.map { String(describing: $0) } ?? "")")
            let listed = Set(try await env.api("action=get_live_streams").items.compactMap { $0["epg_channel_id"].string }.filter { !$0.isEmpty })
            #expect(Set(collector.channels) == listed)
            #expect(collector.channels.count == listed.count, "a guide id shared by two entries is listed once")
            let now = Int64(Date().timeIntervalSince1970)
            let ahead = { (from: Int64) in fixture.programmes(fixture.alpha, "bbc1.uk").filter { $0.start < from + 7 * 86400 }.count }
            let served = collector.programmes["bbc1.uk"] ?? 0
            #expect(served > 0 && (ahead(beforeImport)...ahead(now)).contains(served),
                    "the 7 days archive and the 7 days ahead: \(served) programmes, \(ahead(beforeImport))–\(ahead(now)) expected")
            #expect(collector.programmes["nightowl.tv"] ?? 0 > 0)

            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))
            var request = HTTPClientRequest(url: env.baseURL + path)
            request.headers.add(name: "Accept-Encoding", value: "gzip")
            let zipped = try await client.execute(request, timeout: .seconds(30))
            #expect(zipped.headers.first(name: "Content-Encoding") == "gzip")
            let body = try await zipped.body.collect(upTo: 64 << 20)
            try await client.shutdown()
            #expect(try gunzip(Array(body.readableBytesView)) == reply.body)

            let wrong = try await env.request("/xmltv.php?username=x&password=y")
            #expect(wrong.status == 401)
        }
    }
}

import Testing
@testable import XCServerKit

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("24h", Int64(86400)), ("30m", 1800), ("90s", 90), ("0", 0), ("7d", 604_800), ("1h30m", 5400),
        ("2w", 1_209_600), ("45", 45), (" 10M ", 600), ("1d12h", 129_600), ("0s", 0),
    ])
    func parses(text: String, seconds: Int64) throws {
        #expect(try DurationText.seconds(text) == seconds)
        #expect(try DurationText.parse(text) == .seconds(seconds))
    }

    @Test(arguments: ["", "h", "24x", "-5", "1.5h", "10 m", "h24", "5m3", "99999999999999999999d", "9223372036854775807d"])
    func refusesWhatIsNotADuration(text: String) {
        #expect(throws: DurationText.Invalid.self) { try DurationText.seconds(text) }
    }

    @Test func formatsTheShortestExactSpelling() {
        #expect(DurationText.format(seconds: 86400) == "1d")
        #expect(DurationText.format(seconds: 5400) == "1h30m")
        #expect(DurationText.format(seconds: 90) == "1m30s")
        #expect(DurationText.format(seconds: 0) == "0")
    }
}

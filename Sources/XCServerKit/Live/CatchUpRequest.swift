import Foundation
import XCModels

/// A catch-up request as clients send it, in one of the three forms, START read in the server's zone:
/// `/timeshift/U/P/DURATION/START/ID.ts` (START `YYYY-MM-DD:HH-MM`, DURATION in minutes),
/// `/streaming/timeshift.php?username=U&password=P&stream=ID&start=START&duration=DURATION`, and
/// `/live/U/P/ID.ts?utc=EPOCH&lutc=EPOCH` (TiviMate in M3U mode; the duration is `lutc − utc`).
struct CatchUpRequest: Sendable, Equatable {
    var username: String
    var password: String
    var channelID: Int64
    /// UTC seconds.
    var start: Int64
    var minutes: Int
}

extension CatchUpRequest {
    /// `/timeshift/…` path segments after `timeshift`.
    init?(timeshiftSegments segments: [Substring], zone: TimeZone) {
        guard segments.count >= 5, let minutes = Int(segments[segments.count - 3]), minutes > 0,
              let start = Self.start(String(segments[segments.count - 2]), zone: zone),
              let id = segments.last.flatMap({ Int64($0.split(separator: ".")[0]) }), id > 0,
              let user = segments[0].removingPercentEncoding,
              let pass = segments[1..<(segments.count - 3)].joined(separator: "/").removingPercentEncoding
        else { return nil }
        self.init(username: user, password: pass, channelID: id, start: start, minutes: minutes)
    }

    /// `YYYY-MM-DD:HH-MM` (also `YYYY-MM-DD HH:MM[:SS]`, which some apps send) in `zone`, as UTC seconds.
    static func start(_ text: String, zone: TimeZone) -> Int64? {
        let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
        guard numbers.count >= 5, (1...12).contains(numbers[1]), (1...31).contains(numbers[2]), numbers[3] < 24, numbers[4] < 60
        else { return nil }
        return CivilTime.seconds(year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
                                 second: numbers.count > 5 ? numbers[5] : 0, in: zone)
    }

    /// START as a provider in `zone` expects it: `YYYY-MM-DD:HH-MM`.
    static func providerStart(_ seconds: Int64, zone: TimeZone) -> String {
        let text = CivilTime.text(seconds, in: zone)  // YYYY-MM-DD HH:MM:SS
        let date = text.prefix(10)
        let hour = text.dropFirst(11).prefix(2)
        let minute = text.dropFirst(14).prefix(2)
        return "\(date):\(hour)-\(minute)"
    }
}

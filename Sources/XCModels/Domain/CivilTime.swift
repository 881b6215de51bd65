import Foundation

/// Calendar arithmetic on UTC seconds without `Calendar` or `DateFormatter` (the guide formats and
/// parses millions of times): days ↔ dates by H. Hinnant's algorithms, and the `YYYY-MM-DD HH:MM:SS`
/// text XC answers carry, in a given time zone.
public enum CivilTime {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Year, month, day of a day count since 1970-01-01.
    public static func date(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The parts of `seconds` shifted by `offset` seconds: date, hour, minute, second.
    public static func parts(_ seconds: Int64, offset: Int64 = 0) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let local = seconds + offset
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let (y, m, d) = date(days: days)
        let rest = local - days * 86400
        return (y, m, d, rest / 3600, rest / 60 % 60, rest % 60)
    }

    static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }

    /// `YYYY-MM-DD HH:MM:SS` of `seconds` in `zone` (its offset at that instant).
    public static func text(_ seconds: Int64, in zone: TimeZone) -> String {
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        let p = parts(seconds, offset: offset)
        return "\(p.year)-\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute)):\(two(p.second))"
    }

    /// `YYYYMMDDhhmmss +0000` of `seconds` (the XMLTV form, in UTC).
    public static func xmltv(_ seconds: Int64) -> String {
        let p = parts(seconds)
        return "\(p.year)\(two(p.month))\(two(p.day))\(two(p.hour))\(two(p.minute))\(two(p.second)) +0000"
    }

    /// UTC seconds of a wall-clock time in `zone` (for a time that a change of offset makes ambiguous,
    /// the offset in force just before it).
    public static func seconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64 = 0, in zone: TimeZone) -> Int64 {
        let wall = days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second
        var guess = wall - Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(wall))))
        guess = wall - Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess))))
        return guess
    }
}

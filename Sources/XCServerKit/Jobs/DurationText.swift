import Foundation

/// Durations as people type them on the command line: `90s`, `30m`, `24h`, `7d`, `1h30m`, or a bare
/// number of seconds (`0` is zero, which `--sync-interval` reads as "off").
public enum DurationText {
    public struct Invalid: Error, CustomStringConvertible {
        var text: String
        public var description: String {
            "'\(text)' is not a duration; use a number with a unit, e.g. 90s, 30m, 24h, 7d or 1h30m (0 for none)"
        }
    }

    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]

    public static func parse(_ text: String) throws(Invalid) -> Duration {
        .seconds(try seconds(text))
    }

    public static func seconds(_ text: String) throws(Invalid) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let plain = Int64(trimmed), plain >= 0 { return plain }
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for character in trimmed {
            if character.isASCII, character.isNumber {
                number.append(character)
            } else if let unit = units[character], let value = Int64(number) {
                let (product, overflow1) = value.multipliedReportingOverflow(by: unit)
                let (sum, overflow2) = total.addingReportingOverflow(product)
                guard !overflow1, !overflow2 else { throw Invalid(text: text) }
                total = sum
                number = ""
                sawUnit = true
            } else {
                throw Invalid(text: text)
            }
        }
        guard sawUnit, number.isEmpty else { throw Invalid(text: text) }
        return total
    }

    /// The shortest exact spelling: `86400` → `1d`, `5400` → `1h30m`, `0` → `0`.
    static func format(seconds: Int64) -> String {
        guard seconds > 0 else { return "0" }
        var left = seconds
        var text = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where left >= size {
            text += "\(left / size)\(unit)"
            left %= size
        }
        return text
    }
}

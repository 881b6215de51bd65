/// The fixture guide's text, written straight into bytes.
///
/// The benchmark's guide is a million programmes (~300 MB). Built with `String` interpolation and
/// Foundation's `replacingOccurrences`, writing it cost ~100 µs a programme: the fixture, not the
/// importer it feeds, was what a guide import measured (60 % of the CPU of a bench run went there).
struct GuideText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `text` escaped for XML content and attribute values (`& < > "`).
    mutating func appendEscaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case 0x26: append("&amp;")
            case 0x3C: append("&lt;")
            case 0x3E: append("&gt;")
            case 0x22: append("&quot;")
            default: bytes.append(byte)
            }
        }
    }

    /// `value` (not negative) in decimal, zero-padded to `width` digits.
    mutating func append(_ value: Int64, width: Int = 1) {
        var divisor: Int64 = 1
        var length = 1
        while divisor <= value / 10 {
            divisor *= 10
            length += 1
        }
        for _ in length..<max(width, length) { bytes.append(48) }
        while divisor > 0 {
            bytes.append(UInt8(48 + value / divisor % 10))
            divisor /= 10
        }
    }

    /// `YYYYMMDDhhmmss ±hhmm` of `seconds`, written in the offset `offsetMinutes`.
    mutating func appendTime(_ seconds: Int64, offsetMinutes: Int) {
        let local = seconds + Int64(offsetMinutes) * 60
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let (y, m, d) = FixtureLive.civil(days)
        let rest = local - days * 86400
        append(y)
        append(m, width: 2)
        append(d, width: 2)
        append(rest / 3600, width: 2)
        append(rest / 60 % 60, width: 2)
        append(rest % 60, width: 2)
        append(offsetMinutes < 0 ? " -" : " +")
        append(Int64(abs(offsetMinutes) / 60), width: 2)
        append(Int64(abs(offsetMinutes) % 60), width: 2)
    }
}

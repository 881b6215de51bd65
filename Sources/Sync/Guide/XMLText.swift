import XCModels

/// Entity decoding and attribute reading for ``XMLTVReader``, and escaping for the guide xcserver serves.
public enum XMLText {
    static func isNameEnd(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x2F || byte == 0x3E
    }

    /// Calls `body` with the name and the (undecoded) value of each `name="value"` pair of a start
    /// tag's inside `start..<end` (after `<`, before `>`), in order.
    static func attributes(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        var i = start
        while i < end, !isNameEnd(b[i]) { i += 1 }  // the element name
        while i < end {
            while i < end, isNameEnd(b[i]) { i += 1 }
            let nameStart = i
            while i < end, b[i] != 0x3D, !isNameEnd(b[i]) { i += 1 }  // '='
            let name = nameStart..<i
            while i < end, b[i] == 0x20 { i += 1 }
            guard i < end, b[i] == 0x3D else { continue }
            i += 1
            while i < end, b[i] == 0x20 { i += 1 }
            guard i < end, b[i] == 0x22 || b[i] == 0x27 else { continue }
            let quote = b[i]
            i += 1
            let valueStart = i
            while i < end, b[i] != quote { i += 1 }
            if !name.isEmpty { body(name, valueStart..<i) }
            i += 1
        }
    }

    /// The text at `range`, entities decoded.
    static func string(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let raw = UnsafeBufferPointer(rebasing: b[range])
        guard raw.contains(0x26) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        decode(b, range.lowerBound, range.upperBound, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The XMLTV time written at `range` (an attribute value), in UTC seconds.
    static func time(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        let raw = UnsafeBufferPointer(rebasing: b[range])
        guard raw.contains(0x26) else { return XMLTVTime.seconds(utf8: raw) }
        var out: [UInt8] = []
        decode(b, range.lowerBound, range.upperBound, into: &out)
        return XMLTVTime.seconds(utf8: out)
    }

    /// Appends `b[start..<end]` to `out` with `&amp; &lt; &gt; &quot; &apos; &#N; &#xH;` decoded; an
    /// unknown entity is kept as written.
    static func decode(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) {
        var i = start
        while i < end {
            var run = i
            while run < end, b[run] != 0x26 { run += 1 }
            if run > i { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<run])) }
            guard run < end else { return }
            i = run
            var semicolon = i + 1
            while semicolon < min(end, i + 12), b[semicolon] != 0x3B { semicolon += 1 }
            guard semicolon < min(end, i + 12) else {
                out.append(0x26)
                i += 1
                continue
            }
            let entity = (i + 1)..<semicolon
            if let replacement = named(b, entity) {
                out.append(replacement)
            } else if let scalar = numeric(b, entity) {
                UTF8.encode(scalar) { out.append($0) }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i...semicolon]))
            }
            i = semicolon + 1
        }
    }

    private static func named(_ b: UnsafeBufferPointer<UInt8>, _ entity: Range<Int>) -> UInt8? {
        if Bytes.equal(b, entity, "amp") { return 0x26 }
        if Bytes.equal(b, entity, "lt") { return 0x3C }
        if Bytes.equal(b, entity, "gt") { return 0x3E }
        if Bytes.equal(b, entity, "quot") { return 0x22 }
        if Bytes.equal(b, entity, "apos") { return 0x27 }
        return nil
    }

    /// The character of `#N` or `#xH`.
    private static func numeric(_ b: UnsafeBufferPointer<UInt8>, _ entity: Range<Int>) -> Unicode.Scalar? {
        guard entity.count >= 2, b[entity.lowerBound] == 0x23 else { return nil }  // '#'
        var i = entity.lowerBound + 1
        let hex = b[i] == 0x78 || b[i] == 0x58  // 'x', 'X'
        if hex { i += 1 }
        guard i < entity.upperBound else { return nil }
        var value: UInt32 = 0
        while i < entity.upperBound {
            let byte = b[i]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x61...0x66 where hex: digit = UInt32(byte - 0x61 + 10)
            case 0x41...0x46 where hex: digit = UInt32(byte - 0x41 + 10)
            default: return nil
            }
            value = value * (hex ? 16 : 10) + digit
            if value > 0x10FFFF { return nil }
            i += 1
        }
        return Unicode.Scalar(value)
    }

    /// `text` escaped for XML content and attribute values.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 < 0x20 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                // Control characters are not allowed in XML 1.0.
                if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

/// XMLTV times: `YYYYMMDDhhmmss ±hhmm` (seconds, and the offset, optional; no offset means UTC).
public enum XMLTVTime {
    public static func seconds(_ text: String) -> Int64? {
        seconds(utf8: Array(text.utf8))
    }

    /// The time written in `bytes` (UTF-8), in UTC seconds; nil when it is no XMLTV time.
    static func seconds<Text: RandomAccessCollection<UInt8>>(utf8 bytes: Text) -> Int64? where Text.Index == Int {
        let base = bytes.startIndex
        let count = bytes.count
        func at(_ k: Int) -> UInt8 { bytes[base + k] }
        func isDigit(_ k: Int) -> Bool { (48...57).contains(at(k)) }
        var digits = 0
        while digits < count, isDigit(digits) { digits += 1 }
        guard digits >= 12 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int64 {
            var value: Int64 = 0
            for k in from..<(from + length) { value = value * 10 + Int64(at(k) - 48) }
            return value
        }
        let year = number(0, 4), month = number(4, 2), day = number(6, 2)
        let hour = number(8, 2), minute = number(10, 2), second = digits >= 14 ? number(12, 2) : 0
        guard (1...12).contains(month), (1...31).contains(day), hour < 25, minute < 60, second < 61 else { return nil }
        var offset: Int64 = 0
        var i = digits
        while i < count, at(i) == 0x20 { i += 1 }
        if i + 5 <= count, at(i) == 0x2B || at(i) == 0x2D, ((i + 1)..<(i + 5)).allSatisfy(isDigit) {
            let hours = Int64(at(i + 1) - 48) * 10 + Int64(at(i + 2) - 48)
            let minutes = Int64(at(i + 3) - 48) * 10 + Int64(at(i + 4) - 48)
            offset = (hours * 3600 + minutes * 60) * (at(i) == 0x2D ? -1 : 1)
        }
        return CivilTime.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
    }
}

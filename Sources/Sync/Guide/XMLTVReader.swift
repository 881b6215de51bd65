import XCModels

/// Reads an XMLTV document fed in byte chunks of any size and hands over each `<programme>` as it
/// closes: the guide is never held whole (guides are 10–500 MB).
///
/// A small hand-written tokenizer instead of Foundation's `XMLParser`: it knows the few elements
/// XMLTV programmes need (`programme`, `title`, `desc`), skips everything else (declarations,
/// doctype, comments, other elements), decodes the five named entities, numeric references and
/// CDATA, and keeps only the unfinished tail of a chunk between calls. See docs/live.md for the
/// measurement that chose it.
public struct XMLTVReader {
    /// A `<programme>` as read, times already in UTC seconds, its channel id normalized.
    public typealias Item = Programme

    private var pending: [UInt8] = []
    private var current: Item?
    private var capture: Capture?
    private var captured: [UInt8] = []
    /// Programmes skipped because their times or channel could not be read.
    public private(set) var unreadable = 0

    private enum Capture { case title, desc }

    public init() {}

    /// Bytes held between calls (the unfinished element and the text being captured): one element's worth.
    public var bufferedBytes: Int { pending.count + captured.count }

    /// Feeds the next bytes; `emit` gets each programme completed by them, in document order.
    public mutating func feed(_ bytes: some Collection<UInt8>, emit: (Item) throws -> Void) rethrows {
        pending.append(contentsOf: bytes)
        var position = 0
        let count = pending.count
        while position < count {
            guard let open = index(of: 0x3C, from: position) else {  // '<'
                // Text being captured waits for its end (an entity may be cut by the chunk); other text goes.
                if capture == nil { position = count }
                break
            }
            if open > position { text(position, open) }
            guard let end = tagEnd(from: open) else {
                position = open
                break
            }
            try tag(open, end, emit: emit)
            position = end
        }
        pending.removeFirst(position)
    }

    /// Ends the document (whatever unfinished element is left is dropped).
    public mutating func finish() {
        pending.removeAll()
        current = nil
        capture = nil
    }

    // MARK: tokens

    private func index(of byte: UInt8, from start: Int) -> Int? {
        var i = start
        let count = pending.count
        while i < count {
            if pending[i] == byte { return i }
            i += 1
        }
        return nil
    }

    private func hasPrefix(_ prefix: StaticString, at index: Int) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard index + length <= pending.count else { return false }
        return prefix.withUTF8Buffer { buffer in
            for k in 0..<length where pending[index + k] != buffer[k] { return false }
            return true
        }
    }

    /// The index after the markup starting at `open` (a tag, comment, CDATA section or declaration);
    /// nil when it is not complete yet.
    private func tagEnd(from open: Int) -> Int? {
        if hasPrefix("<!--", at: open) { return find("-->", from: open + 4) }
        if hasPrefix("<![CDATA[", at: open) { return find("]]>", from: open + 9) }
        var quote: UInt8 = 0
        var i = open + 1
        while i < pending.count {
            let byte = pending[i]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == 0x22 || byte == 0x27 {
                quote = byte
            } else if byte == 0x3E {
                return i + 1
            }
            i += 1
        }
        return nil
    }

    private func find(_ marker: StaticString, from start: Int) -> Int? {
        var i = start
        while i < pending.count {
            if pending[i] == marker.utf8Start[0], hasPrefix(marker, at: i) { return i + marker.utf8CodeUnitCount }
            i += 1
        }
        return nil
    }

    private mutating func text(_ start: Int, _ end: Int) {
        guard capture != nil else { return }
        captured.append(contentsOf: XMLText.decode(pending[start..<end]))
    }

    private mutating func tag(_ open: Int, _ end: Int, emit: (Item) throws -> Void) rethrows {
        if hasPrefix("<![CDATA[", at: open) {
            if capture != nil { captured.append(contentsOf: pending[(open + 9)..<(end - 3)]) }
            return
        }
        let second = pending[open + 1]
        if second == 0x21 || second == 0x3F { return }  // `<!…>`, `<?…?>`
        if second == 0x2F {  // '/'
            let name = tagName(open + 2, end)
            switch name {
            case "title" where capture == .title:
                if current?.title.isEmpty == true { current?.title = String(decoding: captured, as: UTF8.self) }
                capture = nil
            case "desc" where capture == .desc:
                if current?.description.isEmpty == true { current?.description = String(decoding: captured, as: UTF8.self) }
                capture = nil
            case "programme":
                if let item = current { try emit(item) }
                current = nil
                capture = nil
            default: break
            }
            return
        }
        let selfClosing = pending[end - 2] == 0x2F
        let name = tagName(open + 1, end)
        switch name {
        case "programme":
            let attributes = XMLText.attributes(pending[(open + 1)..<(end - 1)])
            guard let channel = attributes["channel"], !channel.isEmpty,
                  let start = attributes["start"].flatMap(XMLTVTime.seconds),
                  let stop = attributes["stop"].flatMap(XMLTVTime.seconds) ?? attributes["start"].flatMap(XMLTVTime.seconds).map({ $0 + 1800 })
            else {
                unreadable += 1
                current = nil
                return
            }
            let item = Item(channel: ChannelIdentity.epgKey(channel), start: start, stop: max(stop, start), title: "", description: "", lang: "")
            if selfClosing { try emit(item) } else { current = item }
        case "title" where current != nil && !selfClosing && current?.title.isEmpty == true:
            if current?.lang.isEmpty == true {
                current?.lang = XMLText.attributes(pending[(open + 1)..<(end - 1)])["lang"] ?? ""
            }
            capture = .title
            captured.removeAll(keepingCapacity: true)
        case "desc" where current != nil && !selfClosing && current?.description.isEmpty == true:
            capture = .desc
            captured.removeAll(keepingCapacity: true)
        default:
            break
        }
    }

    private func tagName(_ start: Int, _ end: Int) -> String {
        var i = start
        while i < end, !XMLText.isNameEnd(pending[i]) { i += 1 }
        return String(decoding: pending[start..<i], as: UTF8.self)
    }
}

/// Entity decoding and attribute reading for ``XMLTVReader``, and escaping for the guide xcserver serves.
public enum XMLText {
    static func isNameEnd(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x2F || byte == 0x3E
    }

    /// `name="value"` pairs of a start tag's inside (after `<`), values decoded.
    static func attributes(_ bytes: ArraySlice<UInt8>) -> [String: String] {
        var result: [String: String] = [:]
        var i = bytes.startIndex
        while i < bytes.endIndex, !isNameEnd(bytes[i]) { i += 1 }  // the element name
        while i < bytes.endIndex {
            while i < bytes.endIndex, isNameEnd(bytes[i]) { i += 1 }
            let nameStart = i
            while i < bytes.endIndex, bytes[i] != 0x3D, !isNameEnd(bytes[i]) { i += 1 }  // '='
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
            while i < bytes.endIndex, bytes[i] == 0x20 { i += 1 }
            guard i < bytes.endIndex, bytes[i] == 0x3D else { continue }
            i += 1
            while i < bytes.endIndex, bytes[i] == 0x20 { i += 1 }
            guard i < bytes.endIndex, bytes[i] == 0x22 || bytes[i] == 0x27 else { continue }
            let quote = bytes[i]
            i += 1
            let valueStart = i
            while i < bytes.endIndex, bytes[i] != quote { i += 1 }
            if !name.isEmpty { result[name] = String(decoding: decode(bytes[valueStart..<i]), as: UTF8.self) }
            i += 1
        }
        return result
    }

    /// Decodes `&amp; &lt; &gt; &quot; &apos; &#N; &#xH;`; an unknown entity is kept as written.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.contains(0x26) else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            guard byte == 0x26, let semicolon = bytes[i...].prefix(12).firstIndex(of: 0x3B) else {
                out.append(byte)
                i += 1
                continue
            }
            let entity = String(decoding: bytes[(i + 1)..<semicolon], as: UTF8.self)
            if let replacement = named[entity] {
                out.append(replacement)
            } else if entity.hasPrefix("#"), let scalar = codePoint(entity.dropFirst()).flatMap(Unicode.Scalar.init) {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            } else {
                out.append(contentsOf: bytes[i...semicolon])
            }
            i = semicolon + 1
        }
        return out
    }

    private static let named: [String: UInt8] = ["amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27]

    private static func codePoint(_ text: Substring) -> UInt32? {
        if text.first == "x" || text.first == "X" { return UInt32(text.dropFirst(), radix: 16) }
        return UInt32(text)
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
        let bytes = Array(text.utf8)
        var digits = 0
        while digits < bytes.count, (48...57).contains(bytes[digits]) { digits += 1 }
        guard digits >= 12 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int64 {
            var value: Int64 = 0
            for k in from..<(from + length) { value = value * 10 + Int64(bytes[k] - 48) }
            return value
        }
        let year = number(0, 4), month = number(4, 2), day = number(6, 2)
        let hour = number(8, 2), minute = number(10, 2), second = digits >= 14 ? number(12, 2) : 0
        guard (1...12).contains(month), (1...31).contains(day), hour < 25, minute < 60, second < 61 else { return nil }
        var offset: Int64 = 0
        var i = digits
        while i < bytes.count, bytes[i] == 0x20 { i += 1 }
        if i + 5 <= bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D,
           bytes[(i + 1)..<(i + 5)].allSatisfy({ (48...57).contains($0) }) {
            let hours = Int64(bytes[i + 1] - 48) * 10 + Int64(bytes[i + 2] - 48)
            let minutes = Int64(bytes[i + 3] - 48) * 10 + Int64(bytes[i + 4] - 48)
            offset = (hours * 3600 + minutes * 60) * (bytes[i] == 0x2D ? -1 : 1)
        }
        return CivilTime.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
    }
}

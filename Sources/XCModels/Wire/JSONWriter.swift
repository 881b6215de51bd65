/// Writes JSON by hand, field by field, into a byte buffer.
///
/// XC clients are strict about *types* (which fields are strings, which numbers) and crash on `null`;
/// writing each field explicitly makes the wire format exactly what clients expect (docs/xc-wire.md), and is
/// far cheaper than `JSONEncoder` for a 100,000-title list streamed in chunks.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 64 * 1024) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separator()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    /// Starts a member; the value written next belongs to it.
    /// Byte by byte, no array literal: a literal is an allocation, and a 30,000-channel list writes
    /// 400,000 keys.
    public mutating func key(_ key: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A member whose name is only known at run time (season numbers as keys).
    public mutating func dynamicKey(_ key: String) {
        separator()
        writeQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separator()
        writeQuoted(value)
        needsComma = true
    }

    public mutating func int(_ value: Int64) {
        separator()
        appendDigits(value)
        needsComma = true
    }

    public mutating func int(_ value: Int) { int(Int64(value)) }

    /// A number as clients expect it: `4.35`, or `4` for a whole value; never NaN or infinity.
    public mutating func double(_ value: Double) {
        separator()
        if !value.isFinite {
            bytes.append(UInt8(ascii: "0"))
        } else if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separator()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// Pre-encoded JSON (a stored `[1,2]` or `{}`), trusted to be valid.
    public mutating func raw(_ json: String) {
        separator()
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    public mutating func member(_ key: StaticString, _ value: String) {
        self.key(key)
        string(value)
    }

    public mutating func member(_ key: StaticString, _ value: Int64) {
        self.key(key)
        int(value)
    }

    public mutating func member(_ key: StaticString, _ value: Int) {
        self.key(key)
        int(Int64(value))
    }

    public mutating func member(_ key: StaticString, _ value: Double) {
        self.key(key)
        double(value)
    }

    public mutating func member(_ key: StaticString, raw json: String) {
        self.key(key)
        raw(json)
    }

    // Renderers of precomposed runs: a list renderer that knows its members writes the constant JSON
    // between two values (`","name":"`, keys, quotes and commas) in one append, and the values from
    // the database's bytes (`LiveListRowView`), with no `String` per value. These write exactly what
    // they are given: no separator, no quotes.

    /// Constant JSON, as is.
    public mutating func verbatim(_ run: StaticString) {
        run.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Stored JSON text (a `[1,2]`) or text known to need no escaping (digits), as is; invalid UTF-8 is
    /// repaired as a `String` of it would be.
    public mutating func verbatim(text: UnsafeBufferPointer<UInt8>) {
        if Self.isValidUTF8(text) {
            bytes.append(contentsOf: text)
        } else {
            bytes.append(contentsOf: String(decoding: text, as: UTF8.self).utf8)
        }
    }

    /// The decimal digits of `value`.
    public mutating func digits(_ value: Int64) {
        appendDigits(value)
    }

    /// `text` escaped for inside quotes, as `string` escapes a `String` of it: invalid UTF-8 (which a
    /// `String` cannot hold) repaired first, so the output is the same.
    public mutating func escaped(_ text: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        guard appendEscapedRuns(text), !Self.isValidUTF8(text) else { return }
        bytes.removeSubrange(start...)
        var repaired = String(decoding: text, as: UTF8.self)
        repaired.withUTF8 { _ = appendEscapedRuns($0) }
    }

    /// Whether `utf8` is well-formed UTF-8, which is what `String(decoding:as:)` keeps as is. The
    /// standard library's validation (`UTF8Span`), without the copy a `String(validating:)` would make.
    static func isValidUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        (try? UTF8Span(validating: utf8.span)) != nil
    }

    /// Continues a list begun in an earlier chunk: the next value gets its separating comma.
    public mutating func continueList() {
        needsComma = true
    }

    /// Empties the buffer (after handing it to the response), keeping its capacity.
    public mutating func drain() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    private mutating func separator() {
        if needsComma {
            bytes.append(UInt8(ascii: ","))
            needsComma = false
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// The decimal digits of `value`, without the `String` that `String(value)` would allocate (two
    /// numbers a row of a 30,000-channel list).
    private mutating func appendDigits(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// `value` in quotes, escaped.
    private mutating func writeQuoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { _ = appendEscapedRuns($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `utf8` escaped for inside quotes: the runs between characters to escape are copied whole (most
    /// strings have none), not byte by byte. True when it holds a byte outside ASCII.
    private mutating func appendEscapedRuns(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        var seen: UInt8 = 0
        for index in utf8.indices {
            let byte = utf8[index]
            seen |= byte
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            appendEscaped(byte)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        return seen >= 0x80
    }

    /// `\"`, `\\`, `\n`, `\r`, `\t`, or `\u00XX` for another control character.
    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        default: bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
        }
    }
}

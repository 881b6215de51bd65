/// Reads JSON text into a `ProviderValue` in one pass over the bytes.
///
/// A list sync reads every item of a provider's list (100,000 films and more). Going through
/// `JSONDecoder` and `ProviderValue`'s `Decodable` init tried each JSON type in turn, and every miss
/// built and threw a `DecodingError` (several per item: numbers, `category_ids` arrays), which cost more
/// than the rest of the item's import. This reads the type from the first byte instead. It accepts what
/// `JSONDecoder` accepted (RFC 8259 JSON in valid UTF-8, a value followed by nothing but white space, and
/// as `JSONDecoder` a trailing comma in an object or array, and the first of duplicate keys) and refuses the
/// rest, so what a sync skips as "not a JSON object" is unchanged (`ProviderJSONTests` holds both to it).
enum ProviderJSON {
    /// Why a text is not JSON, with the byte offset where reading stopped.
    struct Invalid: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "not valid JSON at byte \(offset): \(reason)" }
    }

    /// Nesting deeper than this is refused, as `JSONDecoder` does, instead of overflowing the stack.
    static let maxDepth = 512

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Invalid) -> ProviderValue {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.invalid("unexpected text after the value") }
        return value
    }

    static func parse(_ bytes: some Collection<UInt8>) throws(Invalid) -> ProviderValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in Result { () throws(Invalid) in try parse(buffer) } }
        if let result { return try result.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer throws(Invalid) in try parse(buffer) }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func invalid(_ reason: String) -> Invalid { Invalid(offset: index, reason: reason) }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(Invalid) -> ProviderValue {
            guard index < bytes.count else { throw invalid("the text ended where a value was expected") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw invalid("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(Invalid) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw invalid("unexpected end in a literal") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw invalid("unexpected character in a literal")
            }
            index += count
        }

        mutating func object(depth: Int) throws(Invalid) -> ProviderValue {
            guard depth <= ProviderJSON.maxDepth else { throw invalid("nested too deeply") }
            index += 1
            var fields: [String: ProviderValue] = [:]
            if closes(UInt8(ascii: "}")) { return .object(fields) }
            repeat {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw invalid("expected a key") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw invalid("expected ':'") }
                index += 1
                skipSpace()
                let value = try value(depth: depth)
                if fields.index(forKey: key) == nil { fields[key] = value }
            } while try !ends(UInt8(ascii: "}"), inside: "an object")
            return .object(fields)
        }

        mutating func array(depth: Int) throws(Invalid) -> ProviderValue {
            guard depth <= ProviderJSON.maxDepth else { throw invalid("nested too deeply") }
            index += 1
            var values: [ProviderValue] = []
            if closes(UInt8(ascii: "]")) { return .array(values) }
            repeat {
                skipSpace()
                values.append(try value(depth: depth))
            } while try !ends(UInt8(ascii: "]"), inside: "an array")
            return .array(values)
        }

        /// Skips white space and the `close` byte when it comes next.
        private mutating func closes(_ close: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == close else { return false }
            index += 1
            return true
        }

        /// After a member or element: true when the object or array ends there, also after a trailing
        /// comma (`JSONDecoder` allows one); false after a comma another member or element follows.
        private mutating func ends(_ close: UInt8, inside what: String) throws(Invalid) -> Bool {
            if closes(close) { return true }
            guard index < bytes.count else { throw invalid("the text ended inside \(what)") }
            guard bytes[index] == UInt8(ascii: ",") else { throw invalid("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
            index += 1
            return closes(close)
        }

        /// A string starting at the opening quote; a string without escapes is one copy of its bytes.
        mutating func string() throws(Invalid) -> String {
            index += 1
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = try utf8(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { return try escapedString(start: start) }
                guard byte >= 0x20 else { throw invalid("a control character inside a string") }
                index += 1
            }
            throw invalid("the text ended inside a string")
        }

        private mutating func escapedString(start: Int) throws(Invalid) -> String {
            var text = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try text.withUnsafeBufferPointer { buffer throws(Invalid) in try utf8(buffer) }
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw invalid("the text ended inside an escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"): text.append(contentsOf: try unicodeEscape())
                    default: throw invalid("an unknown escape")
                    }
                default:
                    guard byte >= 0x20 else { throw invalid("a control character inside a string") }
                    text.append(byte)
                }
            }
            throw invalid("the text ended inside a string")
        }

        /// `\uXXXX` (the `\u` read), joining a surrogate pair; a lone surrogate is refused.
        private mutating func unicodeEscape() throws(Invalid) -> String.UTF8View {
            let high = try hex4()
            var scalar: Unicode.Scalar?
            if (0xD800...0xDBFF).contains(high) {
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw invalid("a lone surrogate escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw invalid("a lone surrogate escape") }
                scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            } else {
                scalar = Unicode.Scalar(high)
            }
            guard let scalar else { throw invalid("a lone surrogate escape") }
            return String(Character(scalar)).utf8
        }

        private mutating func hex4() throws(Invalid) -> UInt32 {
            guard bytes.count - index >= 4 else { throw invalid("the text ended inside an escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw invalid("a bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        func utf8(_ buffer: UnsafeBufferPointer<UInt8>) throws(Invalid) -> String {
            guard let text = String(validating: buffer, as: UTF8.self) else { throw invalid("a string that is not UTF-8") }
            return text
        }

        /// A number as RFC 8259 writes it; plain integers of up to 15 digits skip the text conversion.
        mutating func number() throws(Invalid) -> Double {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            var integer: Int64 = 0
            while index < bytes.count, let digit = Self.digit(bytes[index]) {
                integer = integer &* 10 &+ Int64(digit)
                index += 1
            }
            let digits = index - digitsStart
            guard digits > 0 else { throw invalid("a number without digits") }
            guard digits == 1 || bytes[digitsStart] != UInt8(ascii: "0") else { throw invalid("a number with a leading zero") }
            var plain = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                plain = false
                index += 1
                guard skipDigits() > 0 else { throw invalid("a number without digits after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                plain = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard skipDigits() > 0 else { throw invalid("a number without exponent digits") }
            }
            if plain && digits <= 15 {
                return Double(bytes[start] == UInt8(ascii: "-") ? -integer : integer)
            }
            guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
                  value.isFinite
            else { throw invalid("a number out of range") }
            return value
        }

        private mutating func skipDigits() -> Int {
            let start = index
            while index < bytes.count, Self.digit(bytes[index]) != nil { index += 1 }
            return index - start
        }

        static func digit(_ byte: UInt8) -> UInt8? {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
        }
    }
}

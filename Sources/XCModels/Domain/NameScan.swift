/// ASCII fast paths of the name scans `VariantKey` and `TitleIdentity` run on every provider item.
///
/// Splitting a name by `Character.isLetter`/`isNumber` looks up a Unicode property per character, and
/// Foundation's `trimmingCharacters(in:)` goes through `NSString`: at 100,000 items per list that was a
/// fifth of a sync's CPU. Most names are plain ASCII, where one byte is one `Character`, a letter is
/// `A-Z`/`a-z`, a number is `0-9` and `.whitespaces` is space and tab; these scans read the UTF-8 bytes
/// for such names and return nil for any other, so the caller runs the general code, and both give the
/// same result (`NameScanTests` compares them).
enum NameScan {
    /// ASCII without CR: CR LF is the one ASCII pair that makes a single `Character`.
    static func isPlainASCII(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 && $0 != 0x0D }
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A || (0x30...0x39).contains(byte)
    }

    /// `text` without leading and trailing spaces and tabs, as `trimmingCharacters(in: .whitespaces)`;
    /// nil unless `text` is plain ASCII.
    static func trimmedASCII(_ text: String) -> Substring? {
        let bytes = text.utf8
        guard isPlainASCII(bytes) else { return nil }
        // Every UTF-8 index of an ASCII string is a character boundary.
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// The runs of letters and digits of `text`, lowercased, as
    /// `text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) })`; nil unless `text`
    /// is plain ASCII.
    static func lowercasedWordsASCII(_ text: Substring) -> [String]? {
        let bytes = text.utf8
        guard isPlainASCII(bytes) else { return nil }
        var words: [String] = []
        var start = bytes.startIndex
        while start != bytes.endIndex {
            guard isASCIILetterOrDigit(bytes[start]) else {
                bytes.formIndex(after: &start)
                continue
            }
            var end = start
            while end != bytes.endIndex, isASCIILetterOrDigit(bytes[end]) { bytes.formIndex(after: &end) }
            let word = bytes[start..<end]
            words.append(String(unsafeUninitializedCapacity: word.count) { buffer in
                var count = 0
                for byte in word {
                    buffer[count] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                    count += 1
                }
                return count
            })
            start = end
        }
        return words
    }

    /// `text` is non-empty and all ASCII digits (then `allSatisfy(\.isNumber)` holds too).
    static func isASCIIDigits(_ text: Substring) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

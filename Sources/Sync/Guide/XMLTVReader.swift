import XCModels

/// Reads an XMLTV document fed in byte chunks of any size and hands over each `<programme>` as it
/// closes: the guide is never held whole (guides are 10–500 MB).
///
/// A small hand-written tokenizer instead of Foundation's `XMLParser`: it knows the few elements
/// XMLTV programmes need (`programme`, `title`, `desc`), skips everything else (declarations,
/// doctype, comments, other elements), decodes the five named entities, numeric references and
/// CDATA, and keeps only the unfinished tail of a chunk between calls. See docs/live.md for the
/// measurement that chose it.
///
/// It works on the bytes in place: names are compared as bytes, the attributes a programme needs
/// are read without a dictionary, times are parsed from the bytes, and the channel id of the last
/// programme is kept with its key (a guide lists a channel's programmes together), so a programme
/// costs the strings it is made of and little else (docs/live.md, "Guide import speed").
public struct XMLTVReader {
    /// A `<programme>` as read, times already in UTC seconds, its channel id normalized.
    public typealias Item = Programme

    private var pending: [UInt8] = []
    private var current: Item?
    private var capture: Capture?
    private var captured: [UInt8] = []
    /// The `channel` attribute of the last programme as written, and its ``ChannelIdentity/epgKey(_:)``.
    private var lastChannel: [UInt8] = []
    private var lastChannelKey = ""
    /// Programmes skipped because their times or channel could not be read.
    public private(set) var unreadable = 0

    private enum Capture { case title, desc }

    public init() {}

    /// Bytes held between calls (the unfinished element and the text being captured): one element's worth.
    public var bufferedBytes: Int { pending.count + captured.count }

    /// Feeds the next bytes; `emit` gets each programme completed by them, in document order.
    public mutating func feed(_ bytes: some Collection<UInt8>, emit: (Item) throws -> Void) rethrows {
        var data = pending
        pending = []
        data.append(contentsOf: bytes)
        let consumed = try data.withUnsafeBufferPointer { try scan($0, emit: emit) }
        data.removeFirst(consumed)
        pending = data
    }

    /// Ends the document (whatever unfinished element is left is dropped).
    public mutating func finish() {
        pending.removeAll()
        current = nil
        capture = nil
    }

    /// Reads the complete tokens of `b`; returns how many bytes they took (the rest waits for more).
    private mutating func scan(_ b: UnsafeBufferPointer<UInt8>, emit: (Item) throws -> Void) rethrows -> Int {
        var position = 0
        let count = b.count
        while position < count {
            guard let open = Bytes.index(of: 0x3C, in: b, from: position) else {  // '<'
                // Text being captured waits for its end (an entity may be cut by the chunk); other text goes.
                if capture == nil { position = count }
                break
            }
            if open > position, capture != nil { XMLText.decode(b, position, open, into: &captured) }
            guard let end = Self.tagEnd(b, from: open) else {
                position = open
                break
            }
            try tag(b, open, end, emit: emit)
            position = end
        }
        return position
    }

    /// The index after the markup starting at `open` (a tag, comment, CDATA section or declaration);
    /// nil when it is not complete yet.
    private static func tagEnd(_ b: UnsafeBufferPointer<UInt8>, from open: Int) -> Int? {
        if Bytes.has(b, "<!--", at: open) { return Bytes.find(b, "-->", from: open + 4) }
        if Bytes.has(b, "<![CDATA[", at: open) { return Bytes.find(b, "]]>", from: open + 9) }
        var quote: UInt8 = 0
        var i = open + 1
        while i < b.count {
            let byte = b[i]
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

    private mutating func tag(_ b: UnsafeBufferPointer<UInt8>, _ open: Int, _ end: Int, emit: (Item) throws -> Void) rethrows {
        if Bytes.has(b, "<![CDATA[", at: open) {
            if capture != nil { captured.append(contentsOf: UnsafeBufferPointer(rebasing: b[(open + 9)..<(end - 3)])) }
            return
        }
        let second = b[open + 1]
        if second == 0x21 || second == 0x3F { return }  // `<!…>`, `<?…?>`
        if second == 0x2F {  // '/'
            if Bytes.isName(b, "title", at: open + 2) {
                guard capture == .title else { return }
                if current?.title.isEmpty == true { current?.title = String(decoding: captured, as: UTF8.self) }
                capture = nil
            } else if Bytes.isName(b, "desc", at: open + 2) {
                guard capture == .desc else { return }
                if current?.description.isEmpty == true { current?.description = String(decoding: captured, as: UTF8.self) }
                capture = nil
            } else if Bytes.isName(b, "programme", at: open + 2) {
                if let item = current { try emit(item) }
                current = nil
                capture = nil
            }
            return
        }
        let selfClosing = b[end - 2] == 0x2F
        if Bytes.isName(b, "programme", at: open + 1) {
            guard let item = programme(b, open + 1, end - 1) else {
                unreadable += 1
                current = nil
                return
            }
            if selfClosing { try emit(item) } else { current = item }
        } else if Bytes.isName(b, "title", at: open + 1) {
            guard current?.title.isEmpty == true, !selfClosing else { return }
            if current?.lang.isEmpty == true {
                var lang: Range<Int>?
                XMLText.attributes(b, open + 1, end - 1) { name, value in
                    if Bytes.equal(b, name, "lang") { lang = value }
                }
                if let lang { current?.lang = XMLText.string(b, lang) }
            }
            capture = .title
            captured.removeAll(keepingCapacity: true)
        } else if Bytes.isName(b, "desc", at: open + 1) {
            guard current?.description.isEmpty == true, !selfClosing else { return }
            capture = .desc
            captured.removeAll(keepingCapacity: true)
        }
    }

    /// The programme a `<programme …>` start tag (its inside, `start..<end`) describes; nil without a
    /// channel or a readable start (a missing stop is start + 30 minutes).
    private mutating func programme(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Item? {
        var channel: Range<Int>?, begins: Range<Int>?, ends: Range<Int>?
        XMLText.attributes(b, start, end) { name, value in
            if Bytes.equal(b, name, "channel") {
                channel = value
            } else if Bytes.equal(b, name, "start") {
                begins = value
            } else if Bytes.equal(b, name, "stop") {
                ends = value
            }
        }
        guard let channel, let from = begins.flatMap({ XMLText.time(b, $0) }) else { return nil }
        let to = ends.flatMap { XMLText.time(b, $0) } ?? from + 1800
        guard let key = channelKey(b, channel) else { return nil }
        return Item(channel: key, start: from, stop: max(to, from), title: "", description: "", lang: "")
    }

    /// The key of the channel id written at `range`: the last one's when it is written the same.
    private mutating func channelKey(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        let raw = UnsafeBufferPointer(rebasing: b[range])
        if !raw.isEmpty, raw.elementsEqual(lastChannel) { return lastChannelKey }
        let id = XMLText.string(b, range)
        guard !id.isEmpty else { return nil }
        lastChannel = Array(raw)
        lastChannelKey = ChannelIdentity.epgKey(id)
        return lastChannelKey
    }
}

/// Byte comparisons over a chunk for ``XMLTVReader``.
enum Bytes {
    static func index(of byte: UInt8, in b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        while i < b.count {
            if b[i] == byte { return i }
            i += 1
        }
        return nil
    }

    static func has(_ b: UnsafeBufferPointer<UInt8>, _ prefix: StaticString, at index: Int) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard index + length <= b.count else { return false }
        return prefix.withUTF8Buffer { p in
            for k in 0..<length where b[index + k] != p[k] { return false }
            return true
        }
    }

    /// Whether the element name at `index` is `name` (and not a longer name starting with it).
    static func isName(_ b: UnsafeBufferPointer<UInt8>, _ name: StaticString, at index: Int) -> Bool {
        let after = index + name.utf8CodeUnitCount
        return after < b.count && has(b, name, at: index) && XMLText.isNameEnd(b[after])
    }

    /// Whether the bytes at `range` are `text`.
    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && has(b, text, at: range.lowerBound)
    }

    /// The index after the first `marker` at or after `start`.
    static func find(_ b: UnsafeBufferPointer<UInt8>, _ marker: StaticString, from start: Int) -> Int? {
        var i = start
        let first = marker.utf8Start[0]
        while i < b.count {
            if b[i] == first, has(b, marker, at: i) { return i + marker.utf8CodeUnitCount }
            i += 1
        }
        return nil
    }
}

/// Cuts a provider's list answer into the raw bytes of each item while it downloads.
///
/// A `get_vod_streams` answer is 30–130 MB; splitting it as bytes arrive keeps memory bounded, and keeps
/// each item's exact JSON (stored as the relation's `extra`, and hashed to skip unchanged items).
/// Accepts a top-level array of objects, and an object whose values are the items (some panels key
/// lists by index). Anything else is reported as not being a list.
public struct JSONItemSplitter: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        /// The body does not start like a JSON list; carries the first bytes to show the user.
        case notAList(prefix: String)
        /// The body ended inside an item.
        case truncated
    }

    private enum TopLevel { case unknown, array, object }

    private var topLevel = TopLevel.unknown
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var itemStart: Int?       // index in `pending` where the current depth-2 item began
    private var pending: [UInt8] = []
    private var leadingBytes: [UInt8] = []
    /// True once the top-level value has closed.
    public private(set) var finished = false

    public init() {}

    /// Feeds the next chunk; returns the items completed by it, each a complete JSON value.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(Failure) -> [[UInt8]] {
        let result = chunk.withContiguousStorageIfAvailable { bytes in Result { () throws(Failure) in try feed(bytes: bytes) } }
        if let result { return try result.get() }
        return try Array(chunk).withUnsafeBufferPointer { bytes throws(Failure) in try feed(bytes: bytes) }
    }

    /// Scans the chunk's bytes in place; an item's bytes are copied once, as whole runs, when it ends
    /// (or when the chunk ends inside it), not byte by byte: a list is tens of megabytes.
    private mutating func feed(bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> [[UInt8]] {
        var items: [[UInt8]] = []
        /// Where the open item's bytes begin in this chunk.
        var runStart: Int? = itemStart != nil ? 0 : nil
        var index = 0
        while index < bytes.count, !finished {
            let byte = bytes[index]
            defer { index += 1 }
            if topLevel == .unknown {
                if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0xEF || byte == 0xBB || byte == 0xBF {
                    continue
                }
                if byte == UInt8(ascii: "[") {
                    topLevel = .array
                } else if byte == UInt8(ascii: "{") {
                    topLevel = .object
                } else {
                    leadingBytes.append(byte)
                    throw .notAList(prefix: String(decoding: leadingBytes, as: UTF8.self))
                }
                depth = 1
                continue
            }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1 && itemStart == nil {
                    pending = []
                    itemStart = 0
                    runStart = index
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 1, itemStart != nil, let start = runStart {
                    pending.append(contentsOf: bytes[start...index])
                    items.append(pending)
                    pending = []
                    itemStart = nil
                    runStart = nil
                } else if depth == 0 {
                    finished = true
                }
            default:
                break
            }
        }
        if let start = runStart { pending.append(contentsOf: bytes[start..<bytes.count]) }
        return items
    }

    /// Call at the end of the body: throws when the list never closed.
    public func finish() throws(Failure) {
        if topLevel == .unknown { throw .notAList(prefix: String(decoding: leadingBytes, as: UTF8.self)) }
        if !finished { throw .truncated }
    }

    /// Whether the top level was an object (an error answer such as `{"user_info":{"auth":0}}` is one).
    public var topLevelIsObject: Bool { topLevel == .object }
}

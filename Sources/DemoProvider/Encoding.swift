import Foundation

/// Percent-decoding and form parsing as PHP does it (what a real panel sees).
package enum URLText {
    /// Percent-decodes `text`; with `plusAsSpace` a `+` is a space (query strings and form bodies, as PHP's
    /// `urldecode`), without it a `+` stays literal (path segments, as `rawurldecode`).
    /// Malformed escapes are kept literally, as PHP does.
    package static func decode(_ text: Substring, plusAsSpace: Bool) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else if byte == UInt8(ascii: "+"), plusAsSpace {
                out.append(UInt8(ascii: " "))
                index += 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `a=1&b=2` -> dictionary (last value wins, as PHP).
    package static func form(_ text: Substring, into result: inout [String: String]) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: "=") {
                result[decode(pair[..<equals], plusAsSpace: true)] = decode(pair[pair.index(after: equals)...], plusAsSpace: true)
            } else {
                result[decode(pair, plusAsSpace: true)] = ""
            }
        }
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters (safe in a query value and a path segment).
    package static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
                 UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// A parsed `Range` header against a known total length.
package enum ByteRangeRequest: Equatable {
    /// No Range header, or one this server ignores (not `bytes=`, several ranges, malformed): answer 200 in full
    /// (RFC 9110 lets a server ignore a Range it does not support; nginx does the same for garbage).
    case full
    /// A satisfiable range, `lower ..< upper` clamped to the length.
    case partial(Range<Int>)
    /// 416.
    case unsatisfiable

    package static func parse(_ header: String?, total: Int) -> ByteRangeRequest {
        guard let header else { return .full }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .full }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .full }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ text: String) -> Int? {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(text) ?? Int.max  // absurdly long numbers: treat as beyond the end
        }
        if first.isEmpty {
            // Suffix: the last K bytes.
            guard let suffix = number(last) else { return .full }
            guard suffix > 0, total > 0 else { return .unsatisfiable }
            return .partial(max(0, total - suffix) ..< total)
        }
        guard let start = number(first) else { return .full }
        if last.isEmpty {
            return start < total ? .partial(start ..< total) : .unsatisfiable
        }
        guard let end = number(last), end >= start else { return .full }
        guard start < total else { return .unsatisfiable }
        return .partial(start ..< (end >= total - 1 ? total : end + 1))
    }
}


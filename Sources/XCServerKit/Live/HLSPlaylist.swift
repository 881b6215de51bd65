import Foundation

/// Rewrites a provider's HLS playlist so that every URI in it points at xcserver.
///
/// A client must never see the provider's address or credentials (they sit in the provider's segment
/// URLs), and every segment fetch must pass through xcserver so the viewing holds its slot while the
/// player fetches. So each URI (segment lines, variant playlists, and the `URI="…"` attributes of
/// `EXT-X-KEY`, `EXT-X-MAP`, `EXT-X-MEDIA`, `EXT-X-I-FRAME-STREAM-INF`) is resolved against the
/// playlist's own URL and replaced by whatever `link` returns for it (an opaque token URL).
/// docs/live-streaming.md, "HLS".
struct HLSPlaylist: Sendable {
    enum Link: Sendable, Equatable {
        /// A media segment (or key, or init section): fetched and passed on, cacheable.
        case segment
        /// Another playlist (a variant or rendition): fetched and rewritten in turn.
        case playlist
    }

    enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAPlaylist
        var description: String { "the provider answered something that is not an HLS playlist (no #EXTM3U)" }
    }

    /// The playlist text with every URI replaced. `base`: the URL the playlist was fetched from (after
    /// redirects), against which relative URIs resolve.
    static func rewrite(_ text: String, base: URL, link: (URL, Link) -> String) throws -> String {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let first = lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }),
              first.trimmingCharacters(in: .whitespaces).hasPrefix("#EXTM3U")
        else { throw ParseError.notAPlaylist }
        // A master playlist's URI lines are variants (each after an EXT-X-STREAM-INF); a media playlist's are segments.
        var nextIsPlaylist = false
        for index in lines.indices {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line.hasPrefix("#EXT-X-STREAM-INF") { nextIsPlaylist = true }
                if line.contains("URI=\"") {
                    let kind: Link = line.hasPrefix("#EXT-X-MEDIA") || line.hasPrefix("#EXT-X-I-FRAME-STREAM-INF")
                        ? .playlist : .segment
                    lines[index] = rewriteAttributes(line, base: base, kind: kind, link: link)
                }
                continue
            }
            guard let url = URL(string: line, relativeTo: base)?.absoluteURL else { continue }
            lines[index] = link(url, nextIsPlaylist || url.path.lowercased().hasSuffix(".m3u8") ? .playlist : .segment)
            nextIsPlaylist = false
        }
        return lines.joined(separator: "\n")
    }

    /// `#EXT-X-TARGETDURATION` of a media playlist (the longest segment, whole seconds); nil for a master.
    static func targetDuration(_ text: String) -> Int? {
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXT-X-TARGETDURATION:") { return Int(line.dropFirst("#EXT-X-TARGETDURATION:".count)) }
        }
        return nil
    }

    private static func rewriteAttributes(_ line: String, base: URL, kind: Link, link: (URL, Link) -> String) -> String {
        var out = ""
        var rest = Substring(line)
        while let range = rest.range(of: "URI=\"") {
            out += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            guard let close = rest.firstIndex(of: "\"") else { break }
            let value = String(rest[..<close])
            if let url = URL(string: value, relativeTo: base)?.absoluteURL {
                out += link(url, kind)
            } else {
                out += value
            }
            rest = rest[close...]
        }
        return out + rest
    }
}

/// Opaque, short-lived names for provider URLs handed to clients in rewritten playlists.
///
/// A token stands for one upstream URL within one viewing; it expires `ttl` after it was last issued or
/// used, and the table holds at most `capacity` tokens (the least recently used go first), so a client
/// that keeps a playlist open for hours cannot grow it. Time comes in as an argument.
struct HLSTokens<Target: Sendable & Hashable>: Sendable {
    struct Entry: Sendable {
        var target: Target
        var lastUse: ContinuousClock.Instant
    }

    let ttl: Duration
    let capacity: Int
    private(set) var entries: [String: Entry] = [:]
    private var byTarget: [Target: String] = [:]

    init(ttl: Duration, capacity: Int) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The token for `target` (the same one while it lives), made by `make` when new.
    mutating func issue(_ target: Target, now: ContinuousClock.Instant, make: () -> String) -> String {
        if let token = byTarget[target], entries[token] != nil {
            entries[token]?.lastUse = now
            return token
        }
        expire(now: now)
        while entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            remove(oldest.key)
        }
        var token = make()
        while entries[token] != nil { token = make() }
        entries[token] = Entry(target: target, lastUse: now)
        byTarget[target] = token
        return token
    }

    /// What `token` stands for, if it is still alive; a use keeps it alive.
    mutating func resolve(_ token: String, now: ContinuousClock.Instant) -> Target? {
        guard let entry = entries[token] else { return nil }
        guard now - entry.lastUse <= ttl else {
            remove(token)
            return nil
        }
        entries[token]?.lastUse = now
        return entry.target
    }

    mutating func expire(now: ContinuousClock.Instant) {
        for (token, entry) in entries where now - entry.lastUse > ttl { remove(token) }
    }

    /// Drops every token whose target matches (the tokens of a viewing that ended).
    mutating func removeAll(where matches: (Target) -> Bool) {
        for (token, entry) in entries where matches(entry.target) { remove(token) }
    }

    private mutating func remove(_ token: String) {
        if let entry = entries.removeValue(forKey: token) { byTarget[entry.target] = nil }
    }

    /// A random URL-safe token (128 bits).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

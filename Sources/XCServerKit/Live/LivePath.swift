import Foundation

/// A live stream path: `/live/U/P/ID.EXT` or the short form `/U/P/ID[.EXT]` panels also answer.
///
/// As for films (`StreamPath`), the username is the first segment and `ID.EXT` the last, so a password
/// holding an unencoded `/` is everything between them. EXT: `ts` (or none) for MPEG-TS, `m3u8` for HLS.
struct LivePath: Sendable, Equatable {
    var username: String
    var password: String
    var id: Int64
    var ext: String

    /// `prefixed`: the path starts with `/live/`; else it must be exactly the short form.
    init?(path rawPath: String) {
        let path = rawPath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rawPath
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()  // leading ""
        if segments.first == "live" { segments = segments.dropFirst() }
        guard segments.count >= 3, let file = segments.last else { return nil }
        let stem = file.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let id = Int64(stem[0]), id > 0 else { return nil }
        self.id = id
        ext = stem.count > 1 ? stem[1].lowercased() : ""
        guard ext.isEmpty || ext == "ts" || ext == "m3u8" else { return nil }
        guard let user = segments.first?.removingPercentEncoding, !user.isEmpty,
              let pass = segments.dropFirst().dropLast().joined(separator: "/").removingPercentEncoding
        else { return nil }
        username = user
        password = pass
    }

    var isHLS: Bool { ext == "m3u8" }
}

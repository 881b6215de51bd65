import Foundation

/// `/movie/U/P/ID.EXT`, `/series/U/P/ID.EXT` and `/live/U/P/ID.EXT`: parsed from a request's raw path, and built for the
/// URLs xcserver hands out (to providers upstream, to clients in the admin API).
///
/// Credentials are percent-decoded per segment. A password may hold a `/` that the client did not
/// encode; since the username is the first segment and `ID.EXT` the last, everything between them is
/// the password. `EXT` is advisory: clients sometimes ask for another extension than the one listed.
struct StreamPath: Sendable, Equatable {
    var kind: ContentKind
    var username: String
    var password: String
    var id: Int64
    var ext: String
}

extension StreamPath {
    /// The path, credentials percent-encoded as path segments (what `init?(path:)` reads back).
    var path: String {
        let segment = switch kind {
        case .movie: "movie"
        case .episode: "series"
        case .live, .hls, .catchUp: "live"
        }
        return "/\(segment)/\(PlaylistController.pathEncode(username))/\(PlaylistController.pathEncode(password))/\(id).\(ext)"
    }

    init?(path rawPath: String) {
        let path = rawPath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rawPath
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()   // leading ""
        guard segments.count >= 4 else { return nil }
        switch segments.first {
        case "movie": kind = .movie
        case "series": kind = .episode
        case "live": kind = .live
        default: return nil
        }
        let file = segments.last!
        let stem = file.split(separator: ".", maxSplits: 1)
        guard let id = Int64(stem[0]), id > 0 else { return nil }
        self.id = id
        ext = stem.count > 1 ? String(stem[1]) : ""
        let credentials = segments.dropFirst().dropLast()
        guard let user = credentials.first?.removingPercentEncoding, !user.isEmpty,
              let pass = credentials.dropFirst().joined(separator: "/").removingPercentEncoding
        else { return nil }
        username = user
        password = pass
    }
}

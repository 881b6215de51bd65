import Foundation
import Sync

/// Upstream URLs carry the provider account's credentials in the path or the query; every URL that
/// reaches a log line goes through here first.
enum Redaction {
    static func url(_ url: String) -> String {
        var result = url
        for kind in ["/movie/", "/series/", "/live/"] {
            guard let range = result.range(of: kind) else { continue }
            let rest = result[range.upperBound...]
            let segments = rest.split(separator: "/", omittingEmptySubsequences: false)
            if segments.count >= 3 {
                result = String(result[..<range.upperBound]) + "***/***/" + segments.dropFirst(2).joined(separator: "/")
            }
        }
        for key in ["username=", "password="] {
            while let range = result.range(of: key), !result[range.upperBound...].hasPrefix("***") {
                let end = result[range.upperBound...].firstIndex(of: "&") ?? result.endIndex
                result.replaceSubrange(range.upperBound..<end, with: "***")
            }
        }
        return result
    }

    /// `url` redacted as above, and the account's username and password masked wherever else they appear,
    /// as sent or percent-encoded (an HLS segment URL may carry them anywhere).
    static func url(_ url: String, hiding target: StreamTarget) -> String {
        var result = Self.url(url)
        for secret in [target.password, target.username] where !secret.isEmpty {
            for form in Set([secret, PlaylistController.pathEncode(secret), ProviderClient.percentEncode(secret)]) {
                result = result.replacingOccurrences(of: form, with: "***")
            }
        }
        return result
    }
}

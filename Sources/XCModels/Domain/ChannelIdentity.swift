import Foundation

/// What makes two provider items the same live channel (docs/live.md): the normalized
/// `epg_channel_id`, or without one the normalized name, and an equal ``VariantKey``.
///
/// `UK: BBC One HD` (epg `bbc1.uk`) and `|UK| BBC ONE HD` (epg `BBC1.uk`) are one channel with two
/// relations (failover); `UK: BBC One FHD` is another quality, so its own entry. Two stream ids of one
/// account are never one channel (the store enforces that), so no copy becomes unreachable.
public struct ChannelIdentity: Sendable, Hashable {
    /// `epg:<lowercased id>` or `name:<normalized name>`.
    public var mergeKey: String
    /// ``VariantKey/key`` of the name.
    public var variant: String
    /// The lowercased, trimmed `epg_channel_id` ("" for none): how programmes of the account's guide
    /// are matched to this relation.
    public var epgKey: String

    public init(epgChannelID: String, name: String) {
        epgKey = Self.epgKey(epgChannelID)
        let variantKey = VariantKey(name: name)
        variant = variantKey.key
        mergeKey = epgKey.isEmpty ? "name:" + Self.normalizedName(name) : "epg:" + epgKey
    }

    /// A guide channel id as it is compared: trimmed and lowercased (panels differ in case).
    public static func epgKey(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The name without its leading region tag and quality words, lowercased, words joined by one space:
    /// `UK: ITV 1 HD` and `|UK| itv 1` both give `itv 1`.
    public static func normalizedName(_ raw: String) -> String {
        let (_, rest) = VariantKey.leadingTag(raw.trimmingCharacters(in: .whitespaces))
        let words = rest.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) })
            .map(String.init).filter { VariantKey.qualityWords[$0] == nil }
        return words.joined(separator: " ")
    }
}

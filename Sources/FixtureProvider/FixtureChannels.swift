import DemoProvider

extension FixtureCatalog {
    /// Live channels only, in one category: stream ids `ids`, named "`prefix` ID", guide ids
    /// "`prefix`ID.tv" (lower-cased), no archive. What the live tests and the live benchmark watch.
    public static func channels(_ ids: [Int], prefix: String) throws -> FixtureCatalog {
        let items = ids.map { id in
            #"{"num":\#(id),"name":"\#(prefix) \#(id)","stream_type":"live","stream_id":\#(id),"stream_icon":"","epg_channel_id":"\#(prefix.lowercased())\#(id).tv","category_id":"1","tv_archive":0}"#
        }
        return try FixtureCatalog(lists: [
            "get_live_categories": Array(#"[{"category_id":"1","category_name":"\#(prefix)","parent_id":0}]"#.utf8),
            "get_live_streams": Array("[\(items.joined(separator: ","))]".utf8),
        ])
    }
}

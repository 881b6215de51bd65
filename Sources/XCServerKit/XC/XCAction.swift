/// The `player_api.php` actions xcserver answers; any other action gets `[]`, as XC panels do.
/// One list for the router's switch (which the compiler holds to every case) and the metrics' labels.
enum XCAction: String, CaseIterable, Sendable {
    /// No `action`: the login answer (`user_info`, `server_info`).
    case login = ""
    case vodCategories = "get_vod_categories"
    case vodStreams = "get_vod_streams"
    case vodInfo = "get_vod_info"
    case seriesCategories = "get_series_categories"
    case series = "get_series"
    case seriesInfo = "get_series_info"
    case liveCategories = "get_live_categories"
    case liveStreams = "get_live_streams"
    case shortEPG = "get_short_epg"
    case simpleDataTable = "get_simple_data_table"
}

/// `fixtures/` compiled into the binary, so `xcserver demo` works from the executable alone, wherever it
/// is copied (nothing is looked up through the build machine's source path).
///
/// SwiftPM embeds the files of `Sources/FixtureProvider/Embedded/`, which are symlinks into `fixtures/`
/// (the source of truth) named `<path with / as .>`, because embedded resources need unique file names
/// and every account has a `get_vod_streams.json`. A new fixture file needs a symlink there and a line
/// here; `EmbeddedFixturesTests` fails until both exist and the bytes match `fixtures/`.
public enum EmbeddedFixtures {
    /// Path relative to `fixtures/` -> the file's bytes.
    public static let files: [String: [UInt8]] = [
        "alpha/get_live_categories.json": PackageResources.alpha_get_live_categories_json,
        "alpha/get_live_streams.json": PackageResources.alpha_get_live_streams_json,
        "alpha/get_series.json": PackageResources.alpha_get_series_json,
        "alpha/get_series_categories.json": PackageResources.alpha_get_series_categories_json,
        "alpha/get_vod_categories.json": PackageResources.alpha_get_vod_categories_json,
        "alpha/get_vod_streams.json": PackageResources.alpha_get_vod_streams_json,
        "alpha/series_info/501.json": PackageResources.alpha_series_info_501_json,
        "alpha/series_info/502.json": PackageResources.alpha_series_info_502_json,
        "alpha/series_info/503.json": PackageResources.alpha_series_info_503_json,
        "alpha/vod_info/10001.json": PackageResources.alpha_vod_info_10001_json,
        "alpha/vod_info/10002.json": PackageResources.alpha_vod_info_10002_json,
        "beta/get_live_categories.json": PackageResources.beta_get_live_categories_json,
        "beta/get_live_streams.json": PackageResources.beta_get_live_streams_json,
        "beta/get_series.json": PackageResources.beta_get_series_json,
        "beta/get_series_categories.json": PackageResources.beta_get_series_categories_json,
        "beta/get_vod_categories.json": PackageResources.beta_get_vod_categories_json,
        "beta/get_vod_streams.json": PackageResources.beta_get_vod_streams_json,
        "beta/series_info/601.json": PackageResources.beta_series_info_601_json,
        "beta/series_info/602.json": PackageResources.beta_series_info_602_json,
        "beta/vod_info/20001.json": PackageResources.beta_vod_info_20001_json,
        "media/demo.mkv": PackageResources.media_demo_mkv,
        "media/demo.mp4": PackageResources.media_demo_mp4,
        "media/live.ts": PackageResources.media_live_ts,
    ]

    /// The files of one folder (`alpha`), keyed by their path inside it (`series_info/501.json`).
    public static func folder(_ name: String) -> [String: [UInt8]] {
        let prefix = name + "/"
        var result: [String: [UInt8]] = [:]
        for (path, bytes) in files where path.hasPrefix(prefix) { result[String(path.dropFirst(prefix.count))] = bytes }
        return result
    }
}

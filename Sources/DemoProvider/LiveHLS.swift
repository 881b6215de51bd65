import Foundation
import Hummingbird
import NIOCore

/// How a fixture account serves its live channels as HLS, the way XC panels do for `.m3u8` requests.
///
/// Every channel is the same endless broadcast (`LiveTS` over `media/live.ts`), cut into segments of one
/// lap of the clip (2.1 s; each starts with a PAT and a keyframe). A live media playlist lists a sliding
/// window of the newest `windowSegments`, `EXT-X-MEDIA-SEQUENCE` moving on with wall time.
///
/// - `/live/U/P/ID.m3u8` of a channel in `masterChannels`: a master playlist with one variant, the relative
///   `ID/index.m3u8` (so `/live/U/P/ID/index.m3u8`), whose segments are relative too (`/live/U/P/ID/SEQ.ts`).
/// - `/live/U/P/ID.m3u8` of any other channel: the media playlist itself, its segment URIs absolute
///   (`http://HOST:PORT/hlsr/U/P/ID/SEQ.ts`).
///
/// Both carry the account's credentials in every URI, as real panels do. A segment outside what the
/// window lists, give or take a window, is 404; wrong credentials are 401 everywhere.
public struct FixtureHLS: Sendable {
    /// Channels whose `.m3u8` is a master playlist (the others answer the media playlist directly).
    public var masterChannels: Set<Int> = [3002, 7002]
    /// Segments a media playlist lists.
    public var windowSegments = 5

    public init() {}

    /// The bit rate of the fixture's HLS channels (the clip's own rate plus a little padding).
    public static let bitsPerSecond = 160_000

    /// The broadcast the segments are cut from; nil only if the embedded clip were broken (then 500).
    static let source: LiveTS? = try? LiveTS(clip: EmbeddedFixtures.files["media/live.ts"] ?? [], bitsPerSecond: bitsPerSecond)

    /// Length of one segment: one lap of the clip.
    public static var segmentSeconds: Double { Double(source?.lapTicks ?? 189_000) / 90_000 }

    /// The bytes of segment `sequence` (the same for every channel and account): what a test compares with.
    public static func segment(_ sequence: Int) -> [UInt8] {
        guard let source else { return [] }
        let length = source.packetsPerLap * Int64(LiveTS.packetSize)
        return source.bytes(Int64(sequence) * length ..< Int64(sequence + 1) * length)
    }

    /// The `.m3u8`/segment paths this file answers under `/live/` (after `live`): `U/P/ID.m3u8`,
    /// `U/P/ID/index.m3u8` and `U/P/ID/SEQ.ts`. Plain `/live/U/P/ID.ts` is the TS stream, not HLS.
    static func handles(_ segments: ArraySlice<Substring>) -> Bool {
        guard let last = segments.last else { return false }
        return last.hasSuffix(".m3u8") || segments.count == 4
    }
}

extension ProviderResponder {
    /// `/live/…` HLS paths (`segments` after `live`) and `/hlsr/U/P/ID/SEQ.ts` (`absolute`).
    func hls(_ request: Request, segments: [Substring], absolute: Bool) throws -> Response {
        guard request.method == .get || request.method == .head else { return Self.text(.methodNotAllowed, "method not allowed") }
        guard segments.count == 3 || segments.count == 4 else { return Self.text(.notFound, "not found") }
        let username = URLText.decode(segments[0], plusAsSpace: false)
        let password = URLText.decode(segments[1], plusAsSpace: false)
        let idText = segments[2].split(separator: ".", maxSplits: 1).first ?? ""
        let answer = RecordedAnswer(backend: backend, request: request, kind: "hls", streamID: Int(idText), username: username)
        let account: any ProviderAccount
        switch try admitStream(answer, password: password, channel: nil) {
        case .answered(let response): return response
        case .admitted(let admitted): account = admitted
        }
        guard let channel = Int(idText), account.catalog.liveCheck(channel) else {
            return answer(Self.text(.notFound, "stream not found"))
        }
        let config = account.hls
        let isGet = request.method == .get
        let newest = newestSegment(window: config.windowSegments)
        let file = segments.count == 4 ? segments[3] : ""

        if segments.count == 3 || file == "index.m3u8" {
            guard !absolute, segments.count == 4 || segments[2].hasSuffix(".m3u8") else { return answer(Self.text(.notFound, "not found")) }
            if isGet { backend.fetchedHLS(username: username, channel: channel, segment: nil) }
            let text: String
            if segments.count == 3, config.masterChannels.contains(channel) {
                text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=\(FixtureHLS.bitsPerSecond),RESOLUTION=160x90\n\(channel)/index.m3u8\n"
            } else {
                // Relative below a master's variant; absolute, under another path, when answered directly.
                let origin = request.head.authority.map { "http://\($0)\(backend.pathPrefix)" } ?? backend.baseURL
                let prefix = segments.count == 4 ? "" : "\(origin)/hlsr/\(segments[0])/\(segments[1])/\(channel)/"
                text = Self.mediaPlaylist(newest: newest, window: config.windowSegments, prefix: prefix)
            }
            return answer(Response(status: .ok, headers: [.contentType: "application/vnd.apple.mpegurl"],
                                   body: isGet ? .init(byteBuffer: ByteBuffer(string: text)) : .init()))
        }

        guard file.hasSuffix(".ts"), let sequence = Int(file.dropLast(3)),
              sequence <= newest, sequence > newest - 2 * config.windowSegments
        else { return answer(Self.text(.notFound, "segment not found")) }
        guard FixtureHLS.source != nil else { return answer(Self.text(.internalServerError, "the embedded live clip is broken")) }
        let bytes = FixtureHLS.segment(sequence)
        if isGet {
            backend.fetchedHLS(username: username, channel: channel, segment: sequence)
            backend.addBytes(bytes.count, username: username)
        }
        return answer(Response(status: .ok, headers: [.contentType: "video/mp2t", .contentLength: String(bytes.count)],
                               body: isGet ? .init(byteBuffer: ByteBuffer(bytes: bytes)) : .init()))
    }

    /// The newest segment a playlist lists now. The broadcast is taken to have started a window before
    /// the provider did, so the first playlist is already full.
    func newestSegment(window: Int, at now: ContinuousClock.Instant = .now) -> Int {
        Int((now - broadcast.epoch).seconds / FixtureHLS.segmentSeconds) + window - 1
    }

    /// A live media playlist: the window ending at `newest`, each URI `prefix` + `SEQ.ts`.
    static func mediaPlaylist(newest: Int, window: Int, prefix: String) -> String {
        let first = max(0, newest - window + 1)
        let duration = FixtureHLS.segmentSeconds
        var text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:\(Int(duration.rounded()))\n#EXT-X-MEDIA-SEQUENCE:\(first)\n"
        for sequence in first...max(first, newest) {
            text += "#EXTINF:\(String(format: "%.3f", duration)),\n\(prefix)\(sequence).ts\n"
        }
        return text
    }
}

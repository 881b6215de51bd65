/// Misbehaviour of one provider account, changeable while the provider runs (``FixtureProvider/setFaults(_:for:)``).
public struct FixtureFaults: Sendable, Equatable {
    /// `player_api.php` answers this HTTP status (e.g. 500) with an nginx-style HTML error page, for every action.
    public var apiStatus: Int?
    /// `player_api.php` answers 200 with an HTML body (`<html>garbage`), as a panel behind a broken proxy does.
    public var apiGarbage: Bool
    /// List actions (`get_*_categories`, `get_vod_streams`, `get_series`, `get_live_streams`) answer 200 `[]`.
    public var emptyLists: Bool
    /// Stream paths refuse with this status (403, 404, 458, 509, 503...) and a short text body.
    public var streamStatus: Int?
    /// `HEAD` on stream paths answers 405.
    public var rejectHead: Bool
    /// A GET stream response is cut (connection closed) after this many body bytes.
    public var dropAfterBytes: Int?
    /// How many responses get cut before the account behaves normally again (counted from `setFaults`).
    public var dropCount: Int
    /// Stream paths answer 302 to `/lb/<token>/movie|series/...` (a load-balancer node) which serves the bytes.
    public var redirectStreams: Bool
    /// Refuse a stream request that would make more than `maxConnections` distinct titles open at once for
    /// the account: answer 403 with body `max connections`. Requests for a title already open are allowed
    /// (the provider counts per client+title loosely, so a player's probe/index/playback requests of one
    /// title pass). `HEAD` is checked the same way but holds nothing, since it has no body.
    public var enforceMaxConnections: Bool
    /// Delay before answering API list actions (a busy panel's slow first byte).
    public var firstByteDelay: Duration?
    /// Delay before answering `get_series_info` / `get_vod_info` (to observe a client's concurrency and rate limits).
    public var infoDelay: Duration?
    /// Delay after each 64 KiB chunk of a stream body (a slow provider; keeps streams open in tests).
    /// Read before every chunk, so changing it also changes responses already open.
    public var chunkDelay: Duration?

    public init(
        apiStatus: Int? = nil,
        apiGarbage: Bool = false,
        emptyLists: Bool = false,
        streamStatus: Int? = nil,
        rejectHead: Bool = false,
        dropAfterBytes: Int? = nil,
        dropCount: Int = 1,
        redirectStreams: Bool = false,
        enforceMaxConnections: Bool = false,
        firstByteDelay: Duration? = nil,
        infoDelay: Duration? = nil,
        chunkDelay: Duration? = nil
    ) {
        self.apiStatus = apiStatus
        self.apiGarbage = apiGarbage
        self.emptyLists = emptyLists
        self.streamStatus = streamStatus
        self.rejectHead = rejectHead
        self.dropAfterBytes = dropAfterBytes
        self.dropCount = dropCount
        self.redirectStreams = redirectStreams
        self.enforceMaxConnections = enforceMaxConnections
        self.firstByteDelay = firstByteDelay
        self.infoDelay = infoDelay
        self.chunkDelay = chunkDelay
    }

    /// No faults.
    public static let none = FixtureFaults()
}

/// One request on a stream path, as the provider saw it.
public struct FixtureStreamRequest: Sendable, Equatable {
    public var method: String
    /// `movie` or `series`.
    public var kind: String
    public var streamID: Int?
    /// The `Range` header as sent, nil when absent.
    public var range: String?
    public var userAgent: String?
    /// Status answered (200, 206, 302, 401, 403, 404, 405, 416, or the injected fault status).
    public var status: Int
    /// True when the request came through the `/lb/<token>/` redirect target.
    public var viaLoadBalancer: Bool
    /// The START a catch-up request asked for (`kind` `timeshift`), as sent.
    public var timeshiftStart: String?
}

/// One `player_api.php` request.
public struct FixtureAPIRequest: Sendable, Equatable {
    /// The `action` parameter ("" = authentication).
    public var action: String
    /// `series_id` / `vod_id` / `category_id` when given.
    public var parameters: [String: String]
    public var at: ContinuousClock.Instant
}

/// What a provider account has seen since start (or the last ``FixtureProvider/resetStats()``).
public struct FixtureStats: Sendable {
    /// Requests per action ("" = auth).
    public var apiRequests: [String: Int] = [:]
    /// Every API request in arrival order (for rate and ordering assertions).
    public var apiLog: [FixtureAPIRequest] = []
    /// API requests being answered right now, and the highest number seen at once
    /// (counted from arrival to the end of the handler, delays included).
    public var openAPIRequests = 0
    public var maxOpenAPIRequests = 0
    /// Stream responses currently open (admitted, body not finished).
    public var openStreams = 0
    /// Highest number of simultaneously open stream responses seen.
    public var maxOpenStreams = 0
    /// Distinct (kind, stream id) currently open.
    public var openTitles = 0
    /// Highest number of distinct titles open at once.
    public var maxOpenTitles = 0
    /// Method, path kind, stream id, Range header, User-Agent and status answered, in arrival order.
    public var streamRequests: [FixtureStreamRequest] = []
    /// Sockets (TCP connections) that carried a stream request of the account and still count: open, or
    /// closed less than `FixtureSocketLimit.countsClosedFor` ago.
    public var openSockets = 0
    /// Highest `openSockets` seen.
    public var maxOpenSockets = 0
    /// Stream requests refused by a `FixtureSocketLimit`.
    public var refusedSockets = 0
    /// Stream body bytes written (API bodies not included).
    public var bytesServed = 0
    /// Stream responses cut by the `dropAfterBytes` fault.
    public var droppedResponses = 0

    public init() {}
}

import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /api/events?seconds=N`: server-sent events (`text/event-stream`) for the web page's live views.
///
/// Each event's `data` is exactly what the matching GET answers: `event: connections` is
/// `GET /api/connections`, `event: jobs` is `GET /api/sync/jobs`. Both are sent at once, then again
/// whenever the slot core or the sync jobs change (a viewing starts, lingers, ends or moves; a job is
/// queued, makes progress or ends), at most every `coalesce`, and every `refresh` while anything may
/// have moved without an event (bytes sent, ages). An unchanged answer is not sent again; a comment
/// line keeps idle connections open. The stream ends after `seconds` (default 300, at most 3600;
/// 0: the current state, then the end): browsers' `EventSource` reconnects by itself (`retry:`), so
/// a phone that went to sleep never holds a stream forever, and `curl -N` gets a bounded answer.
struct EventsController: RouteGroup {
    let services: AppServices
    static let defaultSeconds = 300
    static let secondsRange = 0...3600
    /// Changes closer together than this are sent as one (a sync reports progress per batch).
    static let coalesce: Duration = .milliseconds(250)
    static let refresh: Duration = .seconds(5)

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("events") { request, _ in
            let seconds = try AdminInput.intQuery(request, "seconds", in: Self.secondsRange) ?? Self.defaultSeconds
            return events(for: .seconds(seconds))
        }
    }

    private func events(for lifetime: Duration) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { [services] writer in
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let signals = [services.slots.changes, services.jobs.changes].compactMap { $0 }
            let ids = signals.map { $0.add(wake) }
            defer { for (signal, id) in zip(signals, ids) { signal.remove(id) } }
            let deadline = ContinuousClock.now + lifetime
            let ticker = Task {
                while ContinuousClock.now < deadline {
                    try await Task.sleep(for: min(Self.refresh, ContinuousClock.now.duration(to: deadline)))
                    wake.yield()
                }
                wake.finish()
            }
            defer { ticker.cancel() }
            var sent = EventFrames()
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await send(&sent, to: &writer)
                guard lifetime > .zero else { return }
                for await _ in wakes {
                    if ContinuousClock.now >= deadline { break }
                    try await Task.sleep(for: Self.coalesce)
                    try await send(&sent, to: &writer)
                }
            } onGracefulShutdown: {
                wake.finish()
            }
            try await writer.finish(nil)
        })
    }

    /// Writes the events whose data changed since the last write, or a keep-alive comment.
    private func send(_ sent: inout EventFrames, to writer: inout any ResponseBodyWriter) async throws {
        let connections = try AdminJSON.encode(try await ConnectionsController(services: services).answer())
        let jobs = try AdminJSON.encode(SyncController.JobsAnswer(jobs: services.jobs.jobs()))
        let text = sent.frames(["connections": connections, "jobs": jobs])
        try await writer.write(ByteBuffer(string: text.isEmpty ? ": idle\n\n" : text))
    }
}

/// The server-sent-event framing, and what was last sent per event name (to skip repeats).
struct EventFrames: Sendable {
    private(set) var last: [String: [UInt8]] = [:]

    /// `event: NAME\ndata: JSON\n\n` for each event whose data differs from what was last sent, in name order.
    mutating func frames(_ events: [String: [UInt8]]) -> String {
        var text = ""
        for (name, data) in events.sorted(by: { $0.key < $1.key }) where last[name] != data {
            last[name] = data
            text += "event: \(name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
        }
        return text
    }
}

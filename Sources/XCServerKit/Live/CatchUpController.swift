import Foundation
import Hummingbird
import XCModels

/// Catch-up: `/timeshift/U/P/DURATION/START/ID.ts`, `/streaming/timeshift.php?…` and `?utc=&lutc=` on
/// `/live/U/P/ID.ts`, proxied to a relation of the channel whose account keeps an archive.
///
/// START is read in the server's zone and written upstream in the provider's (its `server_info.timezone`,
/// kept at sync). A recording is bounded, so it is served like a film through `StreamController`: Range
/// passes, the viewing is pinned to one relation, one slot per viewer. Leading non-TS bytes are skipped.
struct CatchUpController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("timeshift/**") { request, context in try await timeshiftPath(request, context, head: false) }
        router.head("timeshift/**") { request, context in try await timeshiftPath(request, context, head: true) }
        router.get("streaming/timeshift.php") { request, context in try await timeshiftQuery(request, context, head: false) }
        router.head("streaming/timeshift.php") { request, context in try await timeshiftQuery(request, context, head: true) }
    }

    static let usage = "not a catch-up request; expected /timeshift/USER/PASS/MINUTES/YYYY-MM-DD:HH-MM/ID.ts"

    func timeshiftPath(_ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        let segments = request.uri.path.split(separator: "/").dropFirst()  // "timeshift"
        guard let catchUp = CatchUpRequest(timeshiftSegments: Array(segments), zone: services.config.timeZone) else {
            return .text(Self.usage, status: .notFound)
        }
        return try await serve(catchUp, request, context, head: head)
    }

    func timeshiftQuery(_ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard let id = query.int("stream"), let minutes = query.int("duration"), minutes > 0,
              let start = query["start"].flatMap({ CatchUpRequest.start($0, zone: services.config.timeZone) })
        else {
            return .text("not a catch-up request; expected ?username=&password=&stream=ID&start=YYYY-MM-DD:HH-MM&duration=MINUTES",
                         status: .notFound)
        }
        return try await serve(CatchUpRequest(username: query.username, password: query.password, channelID: id, start: start,
                                              minutes: Int(clamping: minutes)), request, context, head: head)
    }

    /// `/live/U/P/ID.ts?utc=&lutc=` (`LiveStreamController` hands these over).
    func live(_ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        let segments = request.uri.path.split(separator: "/").dropFirst()
        guard let utc = query.int("utc") else {
            return .text("not a catch-up request; expected ?utc=START&lutc=END (seconds since 1970)", status: .notFound)
        }
        let lutc = query.int("lutc") ?? utc + 7200
        guard segments.count >= 3, let id = segments.last.flatMap({ Int64($0.split(separator: ".")[0]) }),
              let user = segments.first?.removingPercentEncoding,
              let pass = segments.dropFirst().dropLast().joined(separator: "/").removingPercentEncoding
        else { return .text("not a live path; expected /live/USER/PASS/ID.ts", status: .notFound) }
        let minutes = max(1, Int((lutc - utc + 59) / 60))
        return try await serve(CatchUpRequest(username: user, password: pass, channelID: id, start: utc, minutes: minutes),
                               request, context, head: head)
    }

    func serve(_ catchUp: CatchUpRequest, _ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        guard let login = try await services.store.authenticate(username: catchUp.username, password: catchUp.password) else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let rows = try await services.store.channelCandidates(publicID: catchUp.channelID, scope: CatalogScope(login))
        guard let first = rows.first else { return .text("no channel with id \(catchUp.channelID)", status: .notFound) }
        let archived = rows.filter(\.tvArchive)
        guard !archived.isEmpty else {
            return .text("channel \(catchUp.channelID) has no catch-up on any provider account", status: .notFound)
        }
        let targets = archived.map { row in
            let zone = TimeZone(identifier: row.providerTimeZone) ?? TimeZone(identifier: "UTC")!
            let start = CatchUpRequest.providerStart(catchUp.start, zone: zone)
            let c = row.candidate
            let path = "/timeshift/\(PlaylistController.pathEncode(c.username))/\(PlaylistController.pathEncode(c.password))/\(catchUp.minutes)/\(start)/\(c.streamID).ts"
            return StreamTarget(c, kind: .catchUp, containerExtension: "ts", upstreamPath: path)
        }
        let title = StreamTitle(contentID: first.candidate.contentID, targets: targets)
        return try await StreamController(services: services).serve(request, context, head: head, login: login, title: title,
                                                                    kind: .catchUp, kindName: "catch-up")
    }
}

import Foundation
import Hummingbird
import Sync
import XCModels

/// Sync jobs and pruning:
///
/// - `POST /api/sync` `{"account": "name"?, "force": bool?, "prune": bool?, "episodes": bool?}` (body
///   optional: every enabled account) → 202 `{"job": {...}}`; 404 unknown account, 422 disabled account,
///   409 when an account is already syncing.
/// - `GET /api/sync/jobs` → `{"jobs": [...]}` newest first; `GET /api/sync/jobs/{id}` → `{"job": {...}}`.
/// - `POST /api/sync/jobs/{id}/cancel` → 202 `{"job": {...}}`; 409 when the job already ended.
/// - `POST /api/vod/prune` `{"stale_for_seconds": N?}` → `{"deleted": N}`; 409 while a sync runs.
struct SyncController: RouteGroup {
    let services: AppServices

    /// A misspelt key would otherwise turn "sync alpha" into "sync every account"; unknown keys are refused.
    struct StartBody: Decodable {
        var account: String?
        var force: Bool?
        var prune: Bool?
        var episodes: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case account, force, prune, episodes }

        init() {}

        init(from decoder: any Decoder) throws {
            try AdminInput.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            account = try c.decodeIfPresent(String.self, forKey: .account)
            force = try c.decodeIfPresent(Bool.self, forKey: .force)
            prune = try c.decodeIfPresent(Bool.self, forKey: .prune)
            episodes = try c.decodeIfPresent(Bool.self, forKey: .episodes)
        }
    }

    struct PruneBody: Decodable {
        var staleForSeconds: Int64?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case staleForSeconds = "stale_for_seconds"
        }

        init() {}

        init(from decoder: any Decoder) throws {
            try AdminInput.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            staleForSeconds = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int64.self, forKey: .staleForSeconds)
        }
    }

    struct JobAnswer: Encodable {
        var job: SyncJob
    }

    struct JobsAnswer: Encodable {
        var jobs: [SyncJob]
    }

    struct PruneAnswer: Encodable {
        var deleted: Int
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.post("sync") { request, context in try await start(request, context) }
        api.get("sync/jobs") { _, _ in try AdminJSON.response(JobsAnswer(jobs: services.jobs.jobs())) }
        api.get("sync/jobs/:id") { _, context in
            try AdminJSON.response(JobAnswer(job: try job(context)))
        }
        api.post("sync/jobs/:id/cancel") { _, context in
            let id = try job(context).id
            guard let job = services.jobs.cancel(id) else { throw APIError.notFound("no sync job \(id)") }
            if job.phase.isFinal { throw APIError.conflict("sync job \(id) already ended (\(job.phase.rawValue))") }
            return try AdminJSON.response(JobAnswer(job: job), status: .accepted)
        }
        api.post("vod/prune") { request, context in try await prune(request, context) }
    }

    private func job(_ context: XCRequestContext) throws -> SyncJob {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int(text), let job = services.jobs.job(id) else { throw APIError.notFound("no sync job '\(text)'") }
        return job
    }

    private func start(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let body = try await AdminInput.optionalBody(StartBody.self, request, context) ?? StartBody()
        if let account = body.account, account.trimmingCharacters(in: .whitespaces).isEmpty {
            throw APIError.invalid("account", "must be an account name, or left out to sync every account")
        }
        let options = SyncOptions(force: body.force ?? false, prune: body.prune ?? false, episodes: body.episodes ?? true)
        do {
            let job = try await services.jobs.start(account: body.account, options: options, trigger: .api)
            var response = try AdminJSON.response(JobAnswer(job: job), status: .accepted)
            response.headers[.location] = "/api/sync/jobs/\(job.id)"
            return response
        } catch let error as SyncJobs.StartError {
            switch error {
            case .unknownAccount: throw APIError.notFound(error.description)
            case .accountDisabled: throw APIError.unprocessable(error.description)
            case .busy: throw APIError.conflict(error.description)
            }
        }
    }

    private func prune(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let body = try await AdminInput.optionalBody(PruneBody.self, request, context) ?? PruneBody()
        let seconds = body.staleForSeconds ?? 0
        guard seconds >= 0 else { throw APIError.invalid("stale_for_seconds", "must be 0 or more") }
        // A running sync holds the ids of stale relations it may bring back; pruning under it would lose them.
        if services.jobs.isRunning { throw APIError.conflict("a sync job is running; prune when it has ended") }
        let deleted = try await services.sync.prune(staleFor: seconds)
        services.logger.info("[sync] pruned \(deleted) relations stale for \(seconds) s or more")
        return try AdminJSON.response(PruneAnswer(deleted: deleted))
    }
}

import Foundation
import NIOHTTP1
import Sync
import Testing
@testable import XCServerKit

/// The admin token the job and metrics tests start their servers with.
let jobTestToken = "t"

extension TestEnvironment {
    static func withAdmin<T>(
        accounts: [ProviderAccount]? = nil, sync: Bool = false, syncInterval: Duration? = nil,
        _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        var config = ServerConfig(adminToken: jobTestToken)
        config.syncInterval = syncInterval
        return try await with(accounts: accounts, sync: sync, config: config, body)
    }

    /// An admin API call with this file's test token (or none), held to the OpenAPI document like `call`.
    func admin(_ path: String, method: HTTPMethod = .GET, json: String? = nil, token: String? = jobTestToken,
               sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        try await call(path, method, json: json, token: token, sourceLocation: sourceLocation)
    }

    /// `POST /api/sync`, expecting 202; returns the job.
    func startSync(_ json: String? = nil) async throws -> ProviderValue {
        let reply = try await admin("/api/sync", method: .POST, json: json)
        guard reply.status == 202, let job = try reply.json().object?["job"] else {
            throw TestFailure("POST /api/sync \(json ?? ""): HTTP \(reply.status): \(reply.text)")
        }
        return job
    }

    func syncJob(_ id: Int) async throws -> ProviderValue {
        let reply = try await admin("/api/sync/jobs/\(id)")
        guard reply.status == 200, let job = try reply.json().object?["job"] else {
            throw TestFailure("GET /api/sync/jobs/\(id): HTTP \(reply.status): \(reply.text)")
        }
        return job
    }

    /// Polls a job until `condition` holds (bounded), returning every state seen, the last one satisfying it.
    @discardableResult
    func pollJob(_ id: Int, timeout: Duration = .seconds(120), every: Duration = .milliseconds(20),
                 until condition: (ProviderValue) -> Bool) async throws -> [ProviderValue] {
        var seen: [ProviderValue] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let job = try await syncJob(id)
            seen.append(job)
            if condition(job) { return seen }
            try await Task.sleep(for: every)
        }
        throw TestFailure("job \(id) did not reach the expected state in \(timeout); last: \(seen.last.map { $0.jsonText } ?? "none")")
    }

    /// Waits for a job to reach done, failed or cancelled.
    @discardableResult
    func waitForJob(_ id: Int, timeout: Duration = .seconds(120)) async throws -> ProviderValue {
        try await pollJob(id, timeout: timeout) { SyncJob.Phase(rawValue: $0.jobPhase).map(\.isFinal) ?? false }.last!
    }
}

/// Reading job JSON (names chosen not to collide with other tests' helpers).
extension ProviderValue {
    var jobPhase: String { object?["phase"]?.text ?? "" }
    var jobID: Int { object?["id"]?.int ?? -1 }
    func member(_ key: String) -> ProviderValue? { object?[key] }
    func jobFigure(_ kind: String, _ field: String) -> Int { member("progress")?.member(kind)?.member(field)?.int ?? -1 }
    func jobAccount(_ name: String) -> ProviderValue? { member("accounts")?.array?.first { $0.member("name")?.text == name } }
}

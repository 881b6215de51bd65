import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import XCModels

/// Why a provider call failed, worded for the person reading the sync report.
public enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(String)
    case httpStatus(Int)
    case authRejected
    case notAList(prefix: String)
    case truncated
    case notAnObject(prefix: String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .unreachable(let why): return "provider unreachable: \(why)"
        case .httpStatus(let status): return "provider answered HTTP \(status)"
        case .authRejected: return "provider rejected the account's username or password (auth 0)"
        case .notAList(let prefix): return "provider answered something that is not a JSON list: '\(prefix.prefix(60))'"
        case .truncated: return "provider's answer ended in the middle of the list (connection cut?)"
        case .notAnObject(let prefix): return "provider answered something that is not a JSON object: '\(prefix.prefix(60))'"
        case .tooLarge(let limit): return "provider's answer is larger than \(limit) bytes"
        }
    }
}

/// An XC client for one provider account: the sync worker's and the lazy fetchers' way upstream.
/// Every request passes the account's `ProviderGate`.
public struct ProviderClient: Sendable {
    public let account: Account
    public let http: HTTPClient
    public let gate: ProviderGate
    /// Catalog lists can take tens of seconds to start on busy panels.
    public var listTimeout: TimeAmount = .seconds(600)
    public var objectTimeout: TimeAmount = .seconds(60)

    /// The client for provider API calls. Unlike `HTTPClient.shared`, a refused or failed connection
    /// fails at once instead of being retried with back-off until the connect timeout: a panel that is
    /// down should make "test account" answer in milliseconds and a sync fail fast with a clear error,
    /// not hold an admin's curl for 15 s. Catalog answers are gzip-friendly JSON, so decompression may
    /// expand 100-fold; the collectors' byte limits bound the result.
    public static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(10), read: .seconds(90)),
            decompression: .enabled(limit: .ratio(100)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(account: Account, http: HTTPClient, gate: ProviderGate) {
        self.account = account
        self.http = http
        self.gate = gate
    }

    /// `{base}/player_api.php?username=…&password=…&action=…`, every value percent-encoded (credentials
    /// may hold `+ & / space`).
    public func apiURL(action: String?, parameters: [(String, String)] = []) -> String {
        var query = [("username", account.username), ("password", account.password)]
        if let action { query.append(("action", action)) }
        query += parameters
        let encoded = query.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        return "\(account.baseURL)/player_api.php?\(encoded)"
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func percentEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    private func request(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: account.userAgent ?? "xcserver")
        request.headers.add(name: "Accept", value: "application/json")
        return request
    }

    /// Streams a list action, handing over the raw bytes of each item in batches as they arrive.
    /// Returns the number of items seen.
    @discardableResult
    public func streamList(
        action: String, batchSize: Int = 2000, onBatch: ([[UInt8]]) async throws -> Void
    ) async throws -> Int {
        try await gate.run {
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request(apiURL(action: action)), timeout: listTimeout)
            } catch {
                throw ProviderError.unreachable(String(describing: error))
            }
            guard response.status == .ok else { throw ProviderError.httpStatus(Int(response.status.code)) }
            var splitter = JSONItemSplitter()
            var batch: [[UInt8]] = []
            var count = 0
            var head: [UInt8] = []
            do {
                for try await buffer in response.body {
                    if head.count < 256 { head += buffer.readableBytesView.prefix(256 - head.count) }
                    let items: [[UInt8]]
                    do throws(JSONItemSplitter.Failure) {
                        items = try splitter.feed(buffer.readableBytesView)
                    } catch {
                        throw Self.listFailure(error, head: head)
                    }
                    batch += items
                    if batch.count >= batchSize {
                        count += batch.count
                        try await onBatch(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            } catch let error as ProviderError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                throw ProviderError.unreachable(String(describing: error))
            }
            do throws(JSONItemSplitter.Failure) { try splitter.finish() } catch { throw Self.listFailure(error, head: head) }
            if splitter.topLevelIsObject, String(decoding: head, as: UTF8.self).contains("\"user_info\"") {
                throw ProviderError.authRejected
            }
            if !batch.isEmpty {
                count += batch.count
                try await onBatch(batch)
            }
            return count
        }
    }

    private static func listFailure(_ failure: JSONItemSplitter.Failure, head: [UInt8]) -> ProviderError {
        switch failure {
        case .notAList: return .notAList(prefix: String(decoding: head.prefix(80), as: UTF8.self))
        case .truncated: return .truncated
        }
    }

    /// Fetches an action answering one JSON object (`get_series_info`, `get_vod_info`, auth).
    /// `proceed`: see `ProviderGate.run`.
    public func fetchObject(
        action: String?, parameters: [(String, String)] = [], urgent: Bool = false, limit: Int = 32 << 20,
        proceed: @Sendable () -> Bool = { true }
    ) async throws -> ProviderObject {
        let bytes: [UInt8] = try await gate.run(urgent: urgent, proceed: proceed) {
            let response: HTTPClientResponse
            do {
                response = try await http.execute(
                    request(apiURL(action: action, parameters: parameters)), timeout: objectTimeout)
            } catch {
                throw ProviderError.unreachable(String(describing: error))
            }
            guard response.status == .ok else { throw ProviderError.httpStatus(Int(response.status.code)) }
            do {
                let body = try await response.body.collect(upTo: limit)
                return Array(body.readableBytesView)
            } catch is NIOTooManyBytesError {
                throw ProviderError.tooLarge(limit: limit)
            } catch {
                throw ProviderError.unreachable(String(describing: error))
            }
        }
        // `[]` is how PHP panels spell an empty object (unknown id): treat it as one.
        let trimmed = bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        if trimmed.starts(with: Array("[]".utf8)) { return ProviderObject([:]) }
        do {
            return try ProviderObject(json: bytes)
        } catch {
            throw ProviderError.notAnObject(prefix: String(decoding: bytes.prefix(80), as: UTF8.self))
        }
    }

    /// The provider's `user_info` for this account (auth, status, expiry, connections).
    public func authenticate() async throws -> ProviderObject {
        let answer = try await fetchObject(action: nil)
        guard let info = answer["user_info"]?.object, ProviderValue.int(info["auth"]) == 1 else {
            throw ProviderError.authRejected
        }
        return ProviderObject(info)
    }
}

extension ProviderValue {
    static func int(_ value: ProviderValue?) -> Int? { value?.int }
}

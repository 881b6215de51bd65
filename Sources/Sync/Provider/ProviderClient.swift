import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import XCModels

/// Why a provider call failed, worded for the person reading the sync report: which address or
/// which call, and what happened, never a library's error text alone.
public enum ProviderError: Error, Sendable, CustomStringConvertible {
    /// No connection could be made to `endpoint` (`host:port`); `cause` is the transport's own error.
    case unreachable(endpoint: String, cause: any Error)
    /// Connected and asked, but no answer started within `waited`.
    case noAnswer(action: String, waited: Duration)
    /// The answer started, then nothing more arrived for `waited`.
    case stalled(action: String, waited: Duration)
    /// The connection broke before or while the answer arrived; `cause` is the transport's own error.
    case connectionLost(action: String, cause: any Error)
    case httpStatus(Int)
    case authRejected
    case notAList(prefix: String)
    case truncated
    case notAnObject(prefix: String)
    case tooLarge(limit: Int)
    /// Every call of a step failed (each one was logged as it failed).
    case everyCallFailed(action: String, count: Int)

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let cause): return "cannot connect to \(endpoint) (\(TransportFailure.reason(cause)))"
        case .noAnswer(let action, let waited): return "no answer to \(action) within \(Self.seconds(waited))"
        case .stalled(let action, let waited): return "the answer to \(action) stopped arriving (nothing for \(Self.seconds(waited)))"
        case .connectionLost(let action, let cause): return "the connection broke during \(action) (\(TransportFailure.reason(cause)))"
        case .httpStatus(let status): return "provider answered HTTP \(status)"
        case .authRejected: return "provider rejected the account's username or password (auth 0)"
        case .notAList(let prefix): return "provider answered something that is not a JSON list: '\(prefix.prefix(60))'"
        case .truncated: return "provider's answer ended in the middle of the list (connection cut?)"
        case .notAnObject(let prefix): return "provider answered something that is not a JSON object: '\(prefix.prefix(60))'"
        case .tooLarge(let limit): return "provider's answer is larger than \(limit) bytes"
        case .everyCallFailed(let action, let count): return "every \(action) call failed (\(count))"
        }
    }

    /// Whole seconds, as a person counts a wait: `90 s`.
    static func seconds(_ duration: Duration) -> String {
        "\(max(1, Int(duration.inSeconds.rounded()))) s"
    }
}

/// An XC client for one provider account: the sync worker's and the lazy fetchers' way upstream.
/// Every request passes the account's `ProviderGate`.
public struct ProviderClient: Sendable {
    public let account: Account
    public let http: HTTPClient
    public let gate: ProviderGate
    /// How long a catalog list may take to start answering: busy panels take tens of seconds.
    public var listTimeout: Duration = Self.defaultReadTimeout
    /// The same for one object (`get_series_info`, `get_vod_info`, the login).
    public var objectTimeout: Duration = .seconds(60)
    /// The default wait for a provider's answer to start, and for its next bytes once it did.
    public static let defaultReadTimeout: Duration = .seconds(90)

    /// The client for provider API calls. Unlike `HTTPClient.shared`, a refused or failed connection
    /// fails at once instead of being retried with back-off until the connect timeout: a panel that is
    /// down should make "test account" answer in milliseconds and a sync fail fast with a clear error,
    /// not hold an admin's curl for 15 s. Catalog answers are gzip-friendly JSON, so decompression may
    /// expand 100-fold; the collectors' byte limits bound the result.
    public static let sharedHTTP = makeHTTP()

    /// A client like `sharedHTTP` whose wait for a provider's next bytes is `readTimeout` (`sync
    /// --timeout`): pair it with the same `listTimeout`, so a silent provider is reported in those terms.
    public static func makeHTTP(readTimeout: Duration = defaultReadTimeout) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(10), read: .nanoseconds(Int64(readTimeout.inSeconds * 1e9))),
            decompression: .enabled(limit: .ratio(100)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

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

    func request(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: account.userAgent ?? "xcserver")
        request.headers.add(name: "Accept", value: "application/json")
        return request
    }

    /// Streams a list action, handing over the raw bytes of each item in batches as they arrive.
    /// Returns the number of items seen. `onAnswer` is called when the provider's answer starts (the
    /// wait before it is what a sync shows as "waiting for …").
    @discardableResult
    public func streamList(
        action: String, batchSize: Int = 2000, onAnswer: () -> Void = {}, onBatch: ([[UInt8]]) async throws -> Void
    ) async throws -> Int {
        try await gate.run {
            let response = try await send(request(apiURL(action: action)), action: action, timeout: listTimeout)
            onAnswer()
            guard response.status == .ok else { throw ProviderError.httpStatus(Int(response.status.code)) }
            var lastBytes = ContinuousClock.now
            var splitter = JSONItemSplitter()
            var batch: [[UInt8]] = []
            var count = 0
            var head: [UInt8] = []
            do {
                for try await buffer in response.body {
                    lastBytes = .now
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
                throw Self.bodyFailure(error, action: action, since: lastBytes)
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

    /// Sends a request and waits for the answer's head, turning transport errors into `ProviderError`s
    /// that name the address or the call and the time waited.
    func send(_ request: HTTPClientRequest, action: String, timeout: Duration) async throws -> HTTPClientResponse {
        let started = ContinuousClock.now
        do {
            return try await http.execute(request, deadline: .now() + .nanoseconds(Int64(timeout.inSeconds * 1e9)))
        } catch let error as CancellationError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw ProviderError.noAnswer(action: action, waited: timeout)
        } catch let error as HTTPClientError where error == .readTimeout {
            throw ProviderError.noAnswer(action: action, waited: started.duration(to: .now))
        } catch let error as HTTPClientError where error == .cancelled && Task.isCancelled {
            throw CancellationError()
        } catch {
            if TransportFailure.isConnectFailure(error) {
                throw ProviderError.unreachable(endpoint: Self.endpoint(account.baseURL), cause: error)
            }
            throw ProviderError.connectionLost(action: action, cause: error)
        }
    }

    static func bodyFailure(_ error: any Error, action: String, since lastBytes: ContinuousClock.Instant) -> ProviderError {
        if let error = error as? HTTPClientError, error == .readTimeout {
            return .stalled(action: action, waited: lastBytes.duration(to: .now))
        }
        return .connectionLost(action: action, cause: error)
    }

    /// `host:port` of a panel URL, the port filled in from the scheme when the URL has none.
    static func endpoint(_ baseURL: String) -> String {
        guard let url = URL(string: baseURL), let host = url.host else { return baseURL }
        return "\(host):\(url.port ?? (url.scheme == "https" ? 443 : 80))"
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
        let name = action ?? "the login"
        let bytes: [UInt8] = try await gate.run(urgent: urgent, proceed: proceed) {
            let response = try await send(request(apiURL(action: action, parameters: parameters)), action: name, timeout: objectTimeout)
            guard response.status == .ok else { throw ProviderError.httpStatus(Int(response.status.code)) }
            let started = ContinuousClock.now
            do {
                let body = try await response.body.collect(upTo: limit)
                return Array(body.readableBytesView)
            } catch is NIOTooManyBytesError {
                throw ProviderError.tooLarge(limit: limit)
            } catch let error as CancellationError {
                throw error
            } catch {
                throw Self.bodyFailure(error, action: name, since: started)
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

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import FixtureProvider

struct Fetched: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(name: name) }

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }
}

/// One HTTP exchange on loopback; the body is collected (up to 64 MB).
func fetch(
    _ url: String,
    method: HTTPMethod = .GET,
    headers: [(String, String)] = [],
    body: String? = nil,
    client: HTTPClient = .shared
) async throws -> Fetched {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await client.execute(request, timeout: .seconds(30))
    let buffer = try await response.body.collect(upTo: 64 << 20)
    return Fetched(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
}

/// Runs `body` against a fresh provider (alpha + beta unless given) and always stops it.
func withProvider<T>(
    _ accounts: [FixtureAccount]? = nil,
    pathPrefix: String = "",
    _ body: (FixtureProvider) async throws -> T
) async throws -> T {
    let provider = try await FixtureProvider.start(accounts: try accounts ?? [.alpha(), .beta()], pathPrefix: pathPrefix)
    do {
        let result = try await body(provider)
        await provider.stop()
        return result
    } catch {
        await provider.stop()
        throw error
    }
}

/// Polls `condition` every 20 ms for at most `seconds`; returns whether it became true.
func eventually(seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

let fixturesDirectory = FixtureProvider.sourceFixturesDirectory

func fixtureFile(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixturesDirectory.appendingPathComponent(relative)))
}

let alphaUser = "alpha"
let alphaPass = FixtureAccount.alphaPassword
let betaUser = "beta"
let betaPass = FixtureAccount.betaPassword

import Hummingbird
import Logging
import NIOCore
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The listener behind a provider on loopback (the demo's panel and the test fixture): a Hummingbird
/// application running ``ProviderResponder`` until ``stop()``.
package final class ProviderServer: Sendable {
    /// The bound port.
    package let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let stopped = NIOLockedValueBox(false)

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// Starts serving and returns once the listener is bound (`port` 0 picks a free port).
    package static func start(_ responder: ProviderResponder, host: String, port: Int, logger: Logger) async throws -> ProviderServer {
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let actualPort = await iterator.next(), actualPort > 0 else {
            task.cancel()
            try await task.value
            throw ProviderServerError.didNotStart
        }
        return ProviderServer(port: actualPort, group: group, task: task)
    }

    /// A `warning`-level logger: a provider on loopback has nothing to say unless something breaks.
    package static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// Shuts the server down: graceful first (in-flight responses may finish), then, after 2 s, cancellation,
    /// which ends stalled responses too. Never hangs; calling it twice is harmless.
    package func stop() async {
        let alreadyStopped = stopped.withLockedValue { value in
            defer { value = true }
            return value
        }
        guard !alreadyStopped else {
            _ = await task.result
            return
        }
        await group.triggerGracefulShutdown()
        let task = self.task
        await withTaskGroup(of: Void.self) { waiters in
            waiters.addTask { _ = await task.result }
            waiters.addTask {
                do {
                    try await Task.sleep(for: .seconds(2))
                    task.cancel()
                } catch {}
            }
            await waiters.next()
            waiters.cancelAll()
        }
        _ = await task.result
    }
}

/// The request context of a provider's server: the basic one plus the connection the request came on, so
/// a provider that counts sockets can.
package struct ProviderRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

public enum ProviderServerError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String {
        switch self {
        case .didNotStart: "the provider on loopback did not start listening"
        }
    }
}

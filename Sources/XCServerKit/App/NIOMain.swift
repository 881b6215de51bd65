import Foundation
import NIOCore
import NIOPosix

/// The process entry of `xcserver` and `xcserver-bench`. Before any task exists, SwiftNIO's event loops
/// become Swift Concurrency's global executor: a proxied chunk then goes from the upstream socket through
/// the stream loop to the client socket without hopping between NIO's threads and the cooperative pool.
/// Measured with `xcserver-bench --streams-only`: serve CPU per proxied GB 0.53 s instead of 0.69–0.78 s,
/// and one stream's throughput +37%. The price is that a blocking call in a task would stall I/O on that
/// event loop, so nothing in xcserver blocks (GRDB's async reads and writes run on its own queues).
public enum NIOMain {
    /// Runs `body` on that executor, then exits 0 (`body` exits by itself with another status).
    public static func run(_ body: @escaping @Sendable () async -> Void) -> Never {
        // Only possible from the main thread before Swift Concurrency starts, hence this synchronous entry.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        Task {
            await body()
            exit(0)
        }
        dispatchMain()
    }
}

import ServiceLifecycle

/// Ends lingering slots whose grace period ran out, once a second, so `[slots] ended` is logged near
/// the moment it happens. Decisions never wait for it: expired slots already count as ended.
struct SlotSweeper: Service {
    let slots: any SlotCore
    /// Closes the upstream sockets of the slots that ended (docs/sockets.md).
    var sockets: ViewingSockets?

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await slots.sweep()
            await sockets?.closeEnded()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

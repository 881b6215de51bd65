import ServiceLifecycle

/// Ends lingering slots whose grace period ran out, once a second, so `[slots] ended` is logged near
/// the moment it happens. Decisions never wait for it: expired slots already count as ended.
struct SlotSweeper: Service {
    let slots: any SlotCore

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await slots.sweep()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

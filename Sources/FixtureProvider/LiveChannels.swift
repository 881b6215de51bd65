import DemoProvider
import NIOConcurrencyHelpers

/// The controls a test has over the fixture provider's live channels (served by DemoProvider's
/// `LiveBroadcast`): how many upstream connections each channel has had and has open, and dropping or
/// stalling a channel's open streams on command. Each open stream is watched through a ``LiveWatch``.
public final class LiveChannels: Sendable {
    private struct Channel {
        var opened = 0
        var open = 0
        var mostOpen = 0
        /// Bumped by `drop`: open streams of an older generation end.
        var generation = 0
        var stalled = false
    }

    private let channels = NIOLockedValueBox<[Int: Channel]>([:])

    init() {}

    /// Connections a channel has had since the provider started.
    public func opened(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.opened ?? 0 } }
    /// Connections of a channel open now.
    public func open(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.open ?? 0 } }
    /// The most connections a channel ever had open at once.
    public func mostOpen(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.mostOpen ?? 0 } }

    /// Ends every open stream of the channel now (the connection closes mid-stream).
    public func drop(_ channel: Int) {
        channels.withLockedValue { $0[channel, default: Channel()].generation += 1 }
    }

    /// Stops (or resumes) sending on the channel's open streams while keeping their connections open.
    public func stall(_ channel: Int, _ stalled: Bool) {
        channels.withLockedValue { $0[channel, default: Channel()].stalled = stalled }
    }

    /// Counts a stream of `channel` opening and watches it for drops and stalls until it ends.
    func watch(_ channel: Int) -> LiveWatch {
        let generation = channels.withLockedValue { channels -> Int in
            var state = channels[channel, default: Channel()]
            state.opened += 1
            state.open += 1
            state.mostOpen = max(state.mostOpen, state.open)
            channels[channel] = state
            return state.generation
        }
        return LiveWatch(
            tick: { [channels] in
                channels.withLockedValue { channels in
                    guard (channels[channel]?.generation ?? 0) == generation else { return .drop }
                    return channels[channel]?.stalled == true ? .stall : .send
                }
            },
            ended: { [channels] in channels.withLockedValue { $0[channel]?.open -= 1 } })
    }
}

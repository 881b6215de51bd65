import HTTPTypes
import Hummingbird
import NIOCore
import XCModels

/// The stream proxy on accounts that count sockets (docs/sockets.md): every request of a viewing goes over the
/// viewing's one upstream socket, and detection turns a tolerant account strict when it refuses a second one.
extension StreamController {
    enum StrictOutcome {
        /// `bodyOwnsLease`: the response body releases the lease (and the read-budget entry) when it ends.
        case response(Response, bodyOwnsLease: Bool)
        /// The upstream failed before the head: fail over.
        case failed(FailoverReason)
        /// A sibling request moved the slot meanwhile: follow it.
        case moved
    }

    func strictResponse(_ target: StreamTarget, range: ByteRange?, head: Bool, lease: SlotLease,
                        flowing: StreamReadBudget.Entry, clientUserAgent: String?) async -> StrictOutcome {
        let socket = await services.sockets.socket(slotID: lease.slotID, target: target)
        let reader = StrictReader(socket: socket, clientUserAgent: clientUserAgent)
        switch await reader.open(range: range, head: head) {
        case .failed(let reason):
            reader.leave()
            return .failed(reason)
        case .passThrough(let response):
            reader.leave()
            guard lease.headDelivered() else { return .moved }
            if head { return .response(Self.headResponse(response, headViaGet: true, clientRange: range), bodyOwnsLease: false) }
            // `streamResponse` counts the response as holding a socket of its own and ends that when its body ends.
            services.sockets.ownSocketOpened(lease.slotID)
            return .response(streamResponse(response, target: target, lease: lease, flowing: flowing), bodyOwnsLease: true)
        case .answer(let status, let headers, let span, let pending):
            guard lease.headDelivered() else {
                reader.leave()
                return .moved
            }
            guard !head, let span else {
                reader.leave()
                return .response(Response(status: status, headers: headers, body: ResponseBody()), bodyOwnsLease: false)
            }
            let maxResumes = services.config.maxResumes
            let bytesCounter = services.metrics.upstreamBytesCounter(account: target.candidate.accountName)
            let logger = services.logger
            let body = ResponseBody { writer in
                defer { reader.leave(); lease.release(); flowing.leave() }
                var unreported = 0
                defer {
                    lease.addBytes(unreported)
                    bytesCounter.increment(by: unreported)
                }
                do {
                    try await reader.stream(span, pending: pending, maxResumes: maxResumes) { bytes in
                        try await writer.write(bytes)
                        unreported += bytes.readableBytes
                        if unreported >= Self.reportEvery {
                            lease.addBytes(unreported)
                            bytesCounter.increment(by: unreported)
                            unreported = 0
                        }
                    }
                } catch StreamError.upstreamDropped {
                    logger.warning("[slots] \(target.candidate.accountName) stopped answering on the viewing's socket; ending the response short")
                    throw StreamError.upstreamDropped
                }
                try await writer.finish(nil)
            }
            return .response(Response(status: status, headers: headers, body: body), bodyOwnsLease: true)
        }
    }

    /// Detection: a tolerant account refused this request while another request of the same viewing streams on
    /// its own socket, so it counts sockets. From then on the account is strict (stored, logged once) and this
    /// viewing moves onto one socket; the caller retries the request there instead of failing over.
    func detectedStrict(_ reason: FailoverReason, target: StreamTarget, lease: SlotLease) async -> Bool {
        guard reason.isSocketRefusal, services.sockets.hasOwnSockets(lease.slotID) else { return false }
        services.sockets.makeStrict(lease.slotID)
        if (try? await services.store.markSocketsStrict(accountID: target.candidate.accountID)) == true {
            services.logger.notice("[slots] \(target.candidate.accountName) refused a second socket of one viewing (\(reason)): it counts sockets, socket_limit is now strict")
        }
        return true
    }
}

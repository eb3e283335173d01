import KeyportServices
import KeyportStore
import Logging
import MatrixModel

/// Sending one destination's queues: read, send, split on refusal, delete after a 200.
extension FederationSender {
    /// Starts sending to `destination` unless it is being sent to or backing off; past
    /// ``maxConcurrentDestinations`` it waits for a drain to end.
    func startDrain(_ destination: String) {
        guard !inFlight.contains(destination) else { return }
        if let retry = retries[destination], retry.retryAt > clock.now() { return }
        guard inFlight.count < maxConcurrentDestinations else {
            if waitingNames.insert(destination).inserted { waiting.append(destination) }
            return
        }
        inFlight.insert(destination)
        Task { await self.drain(destination) }
    }

    /// A drain ended: the destinations waiting for a turn take the free places, oldest first.
    private func startWaiting() {
        while inFlight.count < maxConcurrentDestinations, waitingHead < waiting.count {
            let next = waiting[waitingHead]
            waitingHead += 1
            waitingNames.remove(next)
            startDrain(next)
        }
        if waitingHead == waiting.count || waitingHead > 4096 {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    /// Sends transactions to one destination, under its lease, until its queues are empty or a
    /// send fails. Each transaction takes the oldest queued PDUs and EDUs of the destination.
    private func drain(_ destination: String) async {
        defer {
            inFlight.remove(destination)
            startWaiting()
        }
        while !Task.isCancelled {
            guard let lease = await lease(for: destination) else { return }
            let pdus: [QueuedPDU]
            let edus: [QueuedEDU]
            do {
                pdus = try await store.queuedPDUs(destination: destination, limit: OutboundTransaction.maxPDUs)
                edus = try await store.queuedEDUs(destination: destination, limit: OutboundTransaction.maxEDUs)
            } catch {
                logger.error("cannot read the outbound queue", metadata: ["error": "\(error)"])
                return
            }
            // An entry whose event is no longer stored (or was stored without a PDU, before rooms
            // were PDUs) has nothing to send: it only leaves the queue.
            let gone = pdus.filter { $0.pdu == nil }
            if !gone.isEmpty {
                logger.warning(
                    "queued events without a stored PDU; dropped",
                    metadata: ["destination": "\(destination)", "event_ids": "\(gone.map(\.eventID))"])
                guard await remove(OutboundTransaction(pdus: gone, edus: []), from: destination, under: lease) else {
                    return
                }
            }
            let sendable = pdus.filter { $0.pdu != nil }
            // Device-list EDUs wait for a transaction without PDUs: a receiver such as Synapse drops
            // an update about a user it does not yet share a room with, and the join that makes the
            // room shared may be among these PDUs.
            let carried = sendable.isEmpty ? edus : edus.filter { !Self.waitsForPDUs($0.type) }
            let transaction = OutboundTransaction(pdus: sendable, edus: carried)
            if transaction.isEmpty {
                guard gone.isEmpty else { continue }
                await giveUpLease(destination)
                return
            }
            guard await deliver(transaction, to: destination, under: lease) else { return }
        }
    }

    /// Sends `transaction`, splitting any part the destination refuses for its content until the
    /// refused PDU or EDU stands alone, and drops that one. Returns false after a failure that is
    /// not about the content (the destination is backed off) or when the queue cannot be updated.
    private func deliver(_ transaction: OutboundTransaction, to destination: String, under lease: Lease) async
        -> Bool
    {
        // A stack of parts still to send: the first part on top, so the order is kept.
        var parts = [transaction]
        while let part = parts.popLast() {
            let answer: JSONObject?
            let outcome: TransactionOutcome
            switch await send(part, to: destination, under: lease) {
            case .success(let body):
                (answer, outcome) = (body, .delivered)
            case .failure(let error):
                (answer, outcome) = (nil, TransactionOutcome(error))
            }
            switch outcome {
            case .delivered: metrics.transaction(destination: destination, result: "sent")
            case .refused: metrics.transaction(destination: destination, result: "refused")
            case .failed: metrics.transaction(destination: destination, result: "failed")
            }
            switch outcome {
            case .delivered:
                logRefusedPDUs(in: answer ?? [:], from: destination)
                guard await remove(part, from: destination, under: lease) else { return false }
                await clearBackoff(destination)
            case .refused(let error) where part.count == 1:
                if let pdu = part.pdus.first {
                    logger.warning(
                        "destination refused a PDU for its content; dropped",
                        metadata: ["destination": "\(destination)", "event_id": "\(pdu.eventID)", "error": "\(error)"])
                } else if let edu = part.edus.first {
                    logger.warning(
                        "destination refused an EDU for its content; dropped",
                        metadata: ["destination": "\(destination)", "edu_type": "\(edu.type)", "error": "\(error)"])
                }
                guard await remove(part, from: destination, under: lease) else { return false }
            case .refused:
                let halves = part.halves()
                parts.append(halves.second)
                parts.append(halves.first)
            case .failed(let error):
                let delay = await recordFailure(destination)
                logger.warning(
                    "transaction failed; will retry",
                    metadata: ["destination": "\(destination)", "error": "\(error)", "retry_in": "\(delay)"])
                await signal.signal()
                return false
            }
        }
        return true
    }

    /// The answer's per-PDU errors: the destination judged those PDUs and would judge them the same
    /// again, so they are deleted with the rest, after a warning each.
    private func logRefusedPDUs(in answer: JSONObject, from destination: String) {
        for refused in OutboundTransaction.refusedPDUs(in: answer) {
            logger.warning(
                "destination did not accept a PDU; not sent again",
                metadata: [
                    "destination": "\(destination)", "event_id": "\(refused.eventID)", "error": "\(refused.error)",
                ])
        }
    }

    /// One `PUT /send` carrying `transaction`; the answer's body when the destination answered 200.
    /// Its ID is unique for the destination: no other holding of the lease has this fence, and the
    /// counter is this process's; the time keeps it unique even for a database started afresh.
    private func send(_ transaction: OutboundTransaction, to destination: String, under lease: Lease) async
        -> Result<JSONObject, FederationError>
    {
        transactionCounter += 1
        let transactionID = "\(clock.now())-\(lease.fence)-\(transactionCounter)"
        let body = transaction.body(origin: identity.serverName.rawValue, now: clock.now())
        do {
            return .success(
                try await client.request(
                    destination, method: "PUT", path: "/_matrix/federation/v1/send/\(transactionID)", body: body,
                    timeout: .seconds(60), maxResponseBytes: FederationResponseLimit.transaction))
        } catch {
            return .failure(error)
        }
    }

    /// Deletes sent or dropped PDUs and EDUs from the queues while the lease is held; false
    /// (logged) when the lease was lost (the new holder sends them again) or the store fails.
    private func remove(_ transaction: OutboundTransaction, from destination: String, under lease: Lease) async
        -> Bool
    {
        do {
            let pdus = transaction.pdus.map(\.id)
            let edus = transaction.edus.map(\.id)
            if !pdus.isEmpty, try await !store.deleteQueuedPDUs(ids: pdus, under: lease) {
                return leaseLost(destination, lease)
            }
            if !edus.isEmpty, try await !store.deleteQueuedEDUs(ids: edus, under: lease) {
                return leaseLost(destination, lease)
            }
            return true
        } catch {
            logger.error(
                "cannot delete sent PDUs or EDUs from the outbound queue",
                metadata: ["destination": "\(destination)", "error": "\(error)"])
            return false
        }
    }

    /// Another process holds the destination now; it sends what this one could not delete.
    private func leaseLost(_ destination: String, _ lease: Lease) -> Bool {
        logger.warning(
            "lost the lease of a destination while sending; its new holder sends the rest",
            metadata: ["destination": "\(destination)", "fence": "\(lease.fence)"])
        held[destination] = nil
        return false
    }

    /// EDU types sent only in transactions that carry no PDUs.
    static func waitsForPDUs(_ type: String) -> Bool {
        ["m.device_list_update", "m.signing_key_update", "org.matrix.signing_key_update"].contains(type)
    }
}

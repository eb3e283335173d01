public import KeyportStore
public import MatrixModel

/// Wakes the federation sender when something was queued for other servers (a to-device message
/// for a remote user, a local device-list change). Signals are never lost: a signal sent while
/// nobody waits is kept until the next wait.
public actor OutboundSignal {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func signal() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    /// Returns at the next signal (at once if one came since the last wait), after `timeout`, or
    /// when the calling task is cancelled.
    public func wait(timeout: Duration) async {
        if pending || Task.isCancelled {
            pending = false
            return
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.signal()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiter = continuation }
        } onCancel: {
            Task { await self.signal() }
        }
        pending = false
        timer.cancel()
    }
}

/// Asks other servers for keys of their users (implemented by the federation module).
public protocol RemoteKeyQuerying: Sendable {
    /// `/keys/query` for remote users: `{device_keys, master_keys, self_signing_keys}` merged over
    /// every server that answered, and `failures` keyed by server for those that did not.
    func queryRemote(_ request: [String: [String]], timeout: Duration) async -> (keys: JSONObject, failures: JSONObject)
    /// `/keys/claim` for remote users: `one_time_keys` and `failures` keyed by server.
    func claimRemote(_ targets: [ClaimTarget], timeout: Duration) async -> (
        oneTimeKeys: JSONObject, failures: JSONObject
    )
}

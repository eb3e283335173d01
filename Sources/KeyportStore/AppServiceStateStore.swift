/// Where each application service's transactions stand (issue 12): the stream positions it has
/// been sent up to, the last transaction ID, the transaction built and not yet acknowledged, and
/// the backoff after failures. Nothing is stored per namespace user: what a transaction carries is
/// read from the streams between positions when it is built, then kept here as the exact body, so
/// a retry, a restart or another process sends the same transaction again.
///
/// Every write is a compare-and-set, so two processes that both built a transaction (one lost the
/// service's lease meanwhile) record only one of them.
public protocol AppServiceStateStore: Sendable {
    /// The service's state; nil for a service never started.
    func appServiceState(serviceID: String) async throws -> AppServiceState?

    /// The service's state, recording `positions` as its start when it has none (so a new service
    /// is sent what happens from now on, never the history before it).
    func startAppService(serviceID: String, at positions: AppServicePositions) async throws -> AppServiceState

    /// Stores a transaction for the service, its ID one more than the service's last, when nothing
    /// is pending and the service's positions are still `from` (what it was built from). Returns
    /// the stored transaction, or nil, storing nothing, when either no longer holds.
    func storePendingAppServiceTransaction(
        serviceID: String, from: AppServicePositions, body: String, positions: AppServicePositions,
        deliveredToDevice: [Int64]
    ) async throws -> AppServiceTransaction?

    /// The service acknowledged transaction `transactionID`: in one transaction, the positions move
    /// to the transaction's, it is no longer pending, the backoff is cleared and the inbox messages
    /// it delivered are deleted. False, changing nothing, when it is not the pending transaction
    /// (another process completed it already).
    func completeAppServiceTransaction(serviceID: String, transactionID: Int64) async throws -> Bool

    /// Moves the positions from `from` to `to` with nothing sent (nothing between them interests the
    /// service), when nothing is pending and the positions are still `from`; false otherwise.
    func advanceAppServicePositions(serviceID: String, from: AppServicePositions, to: AppServicePositions)
        async throws -> Bool

    /// Records that sending the pending transaction failed: `failures` in a row, no attempt before
    /// `retryAt` (milliseconds). The pending transaction stays as it is.
    func recordAppServiceFailure(serviceID: String, failures: Int, retryAt: Int64) async throws
}

import MatrixModel
import NIOCore

/// The `/sync` loop. One call is one round: the answer is applied in one transaction that also
/// stores the new `since`; then one-time keys are topped up, outdated device lists queried and
/// pending key requests answered, each of which a crash leaves to the next round.
extension MatrixClient {
    /// Up to 1000 timeline events per room per answer (Keyport's cap) so a new device sees history.
    static let syncFilter = #"{"room":{"timeline":{"limit":1000}}}"#

    public struct SyncResult: Sendable {
        public var summary: SyncSummary
        /// One line per key request answered or refused in this round.
        public var keyRequestReports: [JSONObject]
    }

    /// One sync round, waiting up to `timeout` milliseconds for news.
    public func sync(timeout: Int) async throws -> SyncResult {
        let since = try await store.read { try $0.meta("since") }
        var query: [(String, String)] = [("timeout", String(max(0, timeout))), ("filter", Self.syncFilter)]
        if let since { query.append(("since", since)) }
        let answer: JSONObject
        do {
            answer = try await api.call(
                .get, "/sync", query: query, timeout: .milliseconds(Int64(max(0, timeout)) + 60_000))
        } catch let error as HomeserverError {
            throw error.clientError
        }
        let processor = SyncProcessor(userID: userID, deviceID: deviceID)
        let summary = try await store.write { tx in try processor.apply(answer, in: tx) }
        try await uploadKeys(serverCount: summary.oneTimeKeyCount, fallbackKeyPresent: summary.fallbackKeyPresent)
        try await updateOutdatedDevices()
        let reports = try await answerKeyRequests()
        return SyncResult(summary: summary, keyRequestReports: reports)
    }

    /// Syncs forever (or until the task is cancelled), calling `onRound` after each round.
    public func syncLoop(timeout: Int = 30_000, onRound: @Sendable (SyncResult) async -> Void) async throws {
        while !Task.isCancelled {
            await onRound(try await sync(timeout: timeout))
        }
    }
}

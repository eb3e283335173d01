/// What the answer to a `PUT /send` means for the EDUs it carried.
enum TransactionOutcome: Equatable {
    /// 200: the EDUs are the destination's now.
    case delivered
    /// A 4xx about what the transaction carries (400 `M_BAD_JSON`, 413 `M_TOO_LARGE`, …): the
    /// same EDUs would be refused again, so they are split or dropped, never retried as they are.
    case refused(FederationError)
    /// Anything else (no answer, 5xx, 429, or a 4xx about us rather than the content): the same
    /// transaction may succeed later, so it waits for the retry schedule.
    case failed(FederationError)

    /// 4xx answers that say nothing about the content: 401 (our signature or key not accepted
    /// yet), 403 (this server is not allowed), 404 and 405 (nothing serves `/send` there), 408
    /// (too slow) and 429 (too many). Splitting would only send the same EDUs to the same refusal.
    static let notAboutContent: Set<Int> = [401, 403, 404, 405, 408, 429]

    init(_ error: FederationError?) {
        guard let error else {
            self = .delivered
            return
        }
        if case .status(let code, _) = error, (400..<500).contains(code), !Self.notAboutContent.contains(code) {
            self = .refused(error)
        } else {
            self = .failed(error)
        }
    }

    static func == (lhs: TransactionOutcome, rhs: TransactionOutcome) -> Bool {
        switch (lhs, rhs) {
        case (.delivered, .delivered): true
        case (.refused(let left), .refused(let right)), (.failed(let left), .failed(let right)):
            left.description == right.description
        default: false
        }
    }
}

public import KeyportStore
public import MatrixModel

/// User-interactive authentication (spec "User-interactive authentication API"): a request that
/// needs it is answered 401 with the flows and a session until its `auth` completes a flow.
///
/// Sessions live in the store (`AuthStateStore`), so a client may continue one on any process
/// serving the same database; they expire 10 minutes after they were created.
public struct UserInteractiveAuth: Sendable {
    /// The stages one flow needs, e.g. `["m.login.password"]`.
    public typealias Flow = [String]

    let store: any AuthStateStore
    let clock: ServerClock
    /// Milliseconds a session lives.
    static let lifetime: Int64 = 600_000

    public init(store: any AuthStateStore, clock: ServerClock) {
        self.store = store
        self.clock = clock
    }

    /// The 401 a client gets while a flow is incomplete, with a session to continue in.
    public func challenge(
        flows: [Flow], session: String? = nil, error: MatrixError? = nil
    ) async throws -> MatrixError {
        let now = clock.now()
        var id = SecureTokens.random(length: 24)
        var completed: [String] = []
        if let session, let stages = try await store.authSessionStages(id: session, notBefore: now - Self.lifetime) {
            id = session
            completed = stages.sorted()
        } else {
            try await store.createAuthSession(id: id, now: now)
        }
        var extra: JSONObject = [
            "flows": .array(flows.map { .object(["stages": .array($0.map(JSONValue.string))]) }),
            "params": .object([:]),
            "session": .string(id),
            "completed": .array(completed.map(JSONValue.string)),
        ]
        if let error {
            extra["errcode"] = .string(error.errcode)
            extra["error"] = .string(error.message)
            return MatrixError(status: 401, errcode: error.errcode, error.message, extra: extra)
        }
        return MatrixError(
            status: 401, errcode: "M_UNAUTHORIZED", "User-interactive authentication required", extra: extra)
    }

    /// Records a completed stage in a session the client named (if it exists).
    public func complete(stage: String, session: String?) async throws {
        guard let session else { return }
        try await store.completeAuthStage(id: session, stage: stage)
    }
}

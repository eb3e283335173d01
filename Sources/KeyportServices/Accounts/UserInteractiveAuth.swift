public import MatrixModel

/// User-interactive authentication (spec "User-interactive authentication API"): a request that
/// needs it is answered 401 with the flows and a session until its `auth` completes a flow.
public actor UserInteractiveAuth {
    /// The stages one flow needs, e.g. `["m.login.password"]`.
    public typealias Flow = [String]

    private struct Session {
        var created: ContinuousClock.Instant
        var completed: Set<String>
    }

    private var sessions: [String: Session] = [:]
    private let clock = ContinuousClock()
    private let lifetime: Duration = .seconds(600)

    public init() {}

    /// The 401 a client gets while a flow is incomplete, with a session to continue in.
    public func challenge(
        flows: [Flow], session: String? = nil, error: MatrixError? = nil
    ) -> MatrixError {
        let now = clock.now
        sessions = sessions.filter { now - $0.value.created < lifetime }
        let id = session.flatMap { sessions[$0] == nil ? nil : $0 } ?? SecureTokens.random(length: 24)
        if sessions[id] == nil { sessions[id] = Session(created: now, completed: []) }
        let completed = sessions[id]?.completed.sorted() ?? []
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
    public func complete(stage: String, session: String?) {
        guard let session, sessions[session] != nil else { return }
        sessions[session]?.completed.insert(stage)
    }
}

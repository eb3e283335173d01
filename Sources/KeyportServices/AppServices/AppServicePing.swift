public import MatrixModel

/// Why a request to an application service did not get a usable answer.
public enum AppServiceFailure: Error, Sendable, Equatable {
    /// The registration's `url` is null: nothing can be sent to the service.
    case noURL
    /// No answer within the time allowed.
    case timeout
    /// No connection, or it broke.
    case connectionFailed(String)
    /// An answer other than 200, with (the start of) its body.
    case badStatus(Int, String)
    /// A 200 whose body is not a JSON object.
    case invalidAnswer
}

/// What the ping asks of the HTTP side.
public protocol ApplicationServicePinging: Sendable {
    /// `POST /_matrix/app/v1/ping` to the service; throws ``AppServiceFailure``.
    func ping(_ service: ApplicationService, transactionID: String?, timeout: Duration) async throws
}

/// `POST /_matrix/client/v1/appservice/{appserviceId}/ping`: a service checks that the server can
/// reach it. The server pings the service and reports how long that took, or why it failed, in
/// the spec's error codes.
public struct AppServicePing: Sendable {
    let client: (any ApplicationServicePinging)?
    let clock: ContinuousClock = ContinuousClock()
    /// How long the service has to answer (Synapse allows 60 s for its requests to services).
    public static let timeout: Duration = .seconds(60)

    public init(client: (any ApplicationServicePinging)?) {
        self.client = client
    }

    /// Pings `service` for the service that sent the request (`caller`), which must be it.
    public func ping(_ serviceID: String, caller: ApplicationService, transactionID: String?) async throws
        -> JSONValue
    {
        guard caller.id == serviceID else {
            throw MatrixError.forbidden("The access token does not belong to application service \(serviceID)")
        }
        guard caller.url != nil, let client else {
            throw MatrixError(status: 400, errcode: "M_URL_NOT_SET", "The application service has no url")
        }
        let started = clock.now
        do {
            try await client.ping(caller, transactionID: transactionID, timeout: Self.timeout)
        } catch let failure as AppServiceFailure {
            throw Self.error(failure)
        }
        let elapsed = clock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return .object(["duration_ms": .int(milliseconds)])
    }

    /// The spec's error for each way the ping can fail.
    static func error(_ failure: AppServiceFailure) -> MatrixError {
        switch failure {
        case .noURL:
            MatrixError(status: 400, errcode: "M_URL_NOT_SET", "The application service has no url")
        case .timeout:
            MatrixError(status: 504, errcode: "M_CONNECTION_TIMEOUT", "The application service did not answer in time")
        case .connectionFailed(let reason):
            MatrixError(
                status: 502, errcode: "M_CONNECTION_FAILED", "The application service could not be reached: \(reason)")
        case .badStatus(let status, let body):
            MatrixError(
                status: 502, errcode: "M_BAD_STATUS", "The application service answered \(status)",
                extra: ["status": .int(Int64(status)), "body": .string(body)])
        case .invalidAnswer:
            MatrixError(
                status: 502, errcode: "M_BAD_STATUS", "The application service's answer is not a JSON object",
                extra: ["status": 200, "body": ""])
        }
    }
}

import KeyportServices
import KeyportStore
import MatrixModel

/// `PUT /sendToDevice/{eventType}/{txnId}`.
struct ToDeviceRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let toDevice = services.toDevice

        /// # `PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId}`
        router.client("PUT", "/sendToDevice/{eventType}/{txnId}") { request in
            try await toDevice.send(
                session: try request.requireSession(), type: request.parameter("eventType"),
                transactionID: request.parameter("txnId"), body: request.bodyOrEmpty)
            return MatrixResponse()
        }
    }
}

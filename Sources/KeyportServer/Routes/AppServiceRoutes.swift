import KeyportServices
import MatrixModel

/// Requests application services make as themselves, with their `as_token`.
struct AppServiceRoutes {
    let ping: AppServicePing

    func register(into router: inout MatrixRouter) {
        /// # `POST /_matrix/client/v1/appservice/{appserviceId}/ping`
        router.add("POST", "/_matrix/client/v1/appservice/{appserviceId}/ping", access: .appService) { request in
            MatrixResponse(
                try await ping.ping(
                    request.parameter("appserviceId"), caller: try request.requireAppService(),
                    transactionID: try request.bodyOrEmpty.optionalString("transaction_id")))
        }
    }
}

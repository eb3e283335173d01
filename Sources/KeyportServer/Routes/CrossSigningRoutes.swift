import KeyportServices
import KeyportStore
import MatrixModel

/// `/keys/device_signing/upload` and `/keys/signatures/upload`.
struct CrossSigningRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let crossSigning = services.crossSigning

        /// # `POST /_matrix/client/v3/keys/device_signing/upload`
        router.client("POST", "/keys/device_signing/upload") { request in
            try await crossSigning.uploadKeys(
                session: try request.requireSession(), body: request.bodyOrEmpty, address: request.remoteAddress)
            return MatrixResponse()
        }

        /// # `POST /_matrix/client/v3/keys/signatures/upload`
        router.client("POST", "/keys/signatures/upload") { request in
            MatrixResponse(
                try await crossSigning.uploadSignatures(
                    session: try request.requireSession(), body: request.bodyOrEmpty))
        }
    }
}

import KeyportFederation
import KeyportServices
import MatrixModel

/// `GET /_matrix/key/v2/server` (our signed keys) and `GET /_matrix/federation/v1/version`.
struct ServerKeyRoutes {
    let identity: ServerIdentity
    let oldKeys: [OldVerifyKey]
    let refreshInterval: Duration
    let clock: ServerClock

    func register(into router: inout MatrixRouter) {
        /// # `GET /_matrix/key/v2/server`
        router.add("GET", "/_matrix/key/v2/server", access: .open) { _ in
            MatrixResponse(.object(document()))
        }
        /// # `GET /_matrix/key/v2/server/{keyId}` (deprecated form; the key ID is ignored, as in Synapse)
        router.add("GET", "/_matrix/key/v2/server/{keyId}", access: .open) { _ in
            MatrixResponse(.object(document()))
        }
        /// # `GET /_matrix/federation/v1/version`
        router.add("GET", "/_matrix/federation/v1/version", access: .open) { _ in
            MatrixResponse(.object(["server": .object(["name": "Keyport", "version": "0.1.0"])]))
        }
    }

    private func document() -> JSONObject {
        let validity = refreshInterval.components.seconds * 1000
        return ServerKeyDocument.make(identity: identity, oldKeys: oldKeys, validUntilTS: clock.now() + validity)
    }
}

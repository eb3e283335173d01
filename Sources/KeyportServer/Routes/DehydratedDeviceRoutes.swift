import KeyportServices
import KeyportStore
import MatrixModel

/// Dehydrated devices (MSC3814) under their unstable prefix, registered only with
/// `experimental_features: {msc3814_enabled: true}` (otherwise 404 `M_UNRECOGNIZED`, as Synapse).
struct DehydratedDeviceRoutes {
    static let path = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device"

    let services: Services

    func register(into router: inout MatrixRouter) {
        let dehydrated = services.dehydratedDevices

        /// # `PUT /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`
        router.add("PUT", Self.path, access: .accessToken) { request in
            let deviceID = try await dehydrated.put(
                userID: try request.requireSession().userID, body: request.bodyOrEmpty)
            return MatrixResponse(.object(["device_id": .string(deviceID)]))
        }

        /// # `GET /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`
        router.add("GET", Self.path, access: .accessToken) { request in
            let device = try await dehydrated.get(userID: try request.requireSession().userID)
            return MatrixResponse(
                .object(["device_id": .string(device.deviceID), "device_data": .object(device.deviceData)]))
        }

        /// # `DELETE /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`
        router.add("DELETE", Self.path, access: .accessToken) { request in
            let deviceID = try await dehydrated.delete(userID: try request.requireSession().userID)
            return MatrixResponse(.object(["device_id": .string(deviceID)]))
        }

        /// # `GET /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/{deviceId}/events`
        ///
        /// The MSC's current form: `from` in the query, `next_batch` only while messages remain.
        router.add("GET", Self.path + "/{deviceId}/events", access: .accessToken) { request in
            let page = try await dehydrated.events(
                userID: try request.requireSession().userID, deviceID: request.parameter("deviceId"),
                from: request.query["from"], limit: request.query["limit"])
            var body: JSONObject = ["events": .array(page.events)]
            if page.hasMore { body["next_batch"] = .string(page.nextBatch) }
            return MatrixResponse(.object(body))
        }

        /// # `POST /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/{deviceId}/events`
        ///
        /// The MSC's earlier form, which Synapse still serves: `next_batch` in the body, and
        /// always in the answer (the last page is an empty one).
        router.add("POST", Self.path + "/{deviceId}/events", access: .accessToken) { request in
            let page = try await dehydrated.events(
                userID: try request.requireSession().userID, deviceID: request.parameter("deviceId"),
                from: try request.bodyOrEmpty.optionalString("next_batch"), limit: request.query["limit"])
            return MatrixResponse(.object(["events": .array(page.events), "next_batch": .string(page.nextBatch)]))
        }
    }
}

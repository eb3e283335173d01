import KeyportServices
import KeyportStore
import MatrixModel

/// `/devices` and `/delete_devices`.
struct DeviceRoutes {
    let services: Services

    static func json(_ device: DeviceRecord) -> JSONValue {
        var object: JSONObject = ["device_id": .string(device.deviceID)]
        if let name = device.displayName { object["display_name"] = .string(name) }
        if let ip = device.lastSeenIP { object["last_seen_ip"] = .string(ip) }
        if let ts = device.lastSeenTS { object["last_seen_ts"] = .int(ts) }
        return .object(object)
    }

    func register(into router: inout MatrixRouter) {
        let devices = services.devices

        /// # `GET /_matrix/client/v3/devices`
        router.client("GET", "/devices") { request in
            let list = try await devices.devices(userID: try request.requireSession().userID)
            return MatrixResponse(.object(["devices": .array(list.map(Self.json))]))
        }

        /// # `GET /_matrix/client/v3/devices/{deviceId}`
        router.client("GET", "/devices/{deviceId}") { request in
            let device = try await devices.device(
                userID: try request.requireSession().userID, deviceID: request.parameter("deviceId"))
            return MatrixResponse(Self.json(device))
        }

        /// # `PUT /_matrix/client/v3/devices/{deviceId}`
        router.client("PUT", "/devices/{deviceId}") { request in
            try await devices.rename(
                userID: try request.requireSession().userID, deviceID: request.parameter("deviceId"),
                displayName: try request.bodyOrEmpty.optionalString("display_name"))
            return MatrixResponse()
        }

        /// # `DELETE /_matrix/client/v3/devices/{deviceId}`
        router.client("DELETE", "/devices/{deviceId}") { request in
            try await devices.delete(
                userID: try request.requireSession().userID, deviceID: request.parameter("deviceId"),
                auth: try request.bodyOrEmpty.optionalObject("auth"), address: request.remoteAddress)
            return MatrixResponse()
        }

        /// # `POST /_matrix/client/v3/delete_devices`
        router.client("POST", "/delete_devices") { request in
            let body = request.bodyOrEmpty
            try await devices.delete(
                userID: try request.requireSession().userID, deviceIDs: try body.requiredStringArray("devices"),
                auth: try body.optionalObject("auth"), address: request.remoteAddress)
            return MatrixResponse()
        }
    }
}

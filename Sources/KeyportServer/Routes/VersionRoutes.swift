import MatrixModel

/// `GET /_matrix/client/versions` and other discovery endpoints.
struct VersionRoutes {
    static let versions: [String] = [
        "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
        "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12",
    ]

    /// Dehydrated devices are served (`experimental_features.msc3814_enabled`).
    let msc3814: Bool

    func register(into router: inout MatrixRouter) {
        // Only features that are served: MSC3983 (appservice OTK claims) is not, yet. Synapse
        // does not announce MSC3814; Keyport does when it serves it, so clients need not probe.
        var unstableFeatures: JSONObject = [:]
        if msc3814 { unstableFeatures["org.matrix.msc3814"] = true }
        let answer = MatrixResponse(
            .object([
                "versions": .array(Self.versions.map(JSONValue.string)),
                "unstable_features": .object(unstableFeatures),
            ]))

        /// # `GET /_matrix/client/versions`
        router.add("GET", "/_matrix/client/versions", access: .open) { _ in answer }
    }
}

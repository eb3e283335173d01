import MatrixModel

/// `GET /_matrix/client/versions` and other discovery endpoints.
struct VersionRoutes {
    /// The spec versions whose client-visible requirements Keyport meets, as a contiguous list
    /// (ruma and mautrix read any version as "at least", matrix-js-sdk reads exact strings, so a
    /// gap would mean different things to different clients). v1.1 is the last: it brings the
    /// `/v3` paths, key backup, cross-signing and secret storage, all served, and matrix-js-sdk
    /// refuses a server with no v1.x version. v1.2 brings restricted joins and the space hierarchy,
    /// v1.3 relations, v1.4 threads and private read receipts (matrix-js-sdk turns on server-side
    /// threads on seeing it, calling `/threads` and `/relations`), later versions push rules,
    /// authenticated media and more: none of them are served, so none are claimed. Synapse lists
    /// v1.1 to v1.12.
    static let versions: [String] = [
        "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1", "v1.1",
    ]

    /// Dehydrated devices are served (`experimental_features.msc3814_enabled`).
    let msc3814: Bool

    func register(into router: inout MatrixRouter) {
        // Only features that are served: MSC3983 (appservice OTK claims) is not, yet. Synapse
        // does not announce MSC3814; Keyport does when it serves it, so clients need not probe.
        // The application-service ping (MSC2659) is served at its stable path, which clients use
        // for a server below v1.7 only when this flag says so (Synapse sends it too); cross-signing
        // is served, which the older flag announces.
        var unstableFeatures: JSONObject = ["fi.mau.msc2659.stable": true, "org.matrix.e2e_cross_signing": true]
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

// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Keyport",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "keyport", targets: ["keyport"]),
        .executable(name: "keyport-bench", targets: ["keyport-bench"]),
        // For the libFuzzer executables of the Fuzz/ package, which depends on this one by path.
        .library(name: "KeyportFuzzing", targets: ["KeyportFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Value types with no I/O: JSON, canonical JSON, identifiers, errors.
        .target(
            name: "MatrixModel",
            swiftSettings: strictSettings
        ),
        // Ed25519 over canonical JSON, unpadded base64, key files.
        .target(
            name: "MatrixSigning",
            dependencies: [
                "MatrixModel",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Store protocols and records; no engine.
        .target(
            name: "KeyportStore",
            dependencies: ["MatrixModel"],
            swiftSettings: strictSettings
        ),
        // The embedded engine: SQLite through GRDB.
        .target(
            name: "KeyportStoreSQLite",
            dependencies: [
                "KeyportStore", "MatrixModel",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The rules: accounts, devices, keys, cross-signing, streams.
        .target(
            name: "KeyportServices",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Server-to-server: discovery, X-Matrix signing, server keys, the outbound sender, inbound
        // transactions and the remote device-list cache. No HTTP server types.
        .target(
            name: "KeyportFederation",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportStore", "KeyportServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // HTTP: Hummingbird routes, contexts, middleware, configuration, composition root.
        .target(
            name: "KeyportServer",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportStore", "KeyportStoreSQLite", "KeyportServices",
                "KeyportFederation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "keyport",
            dependencies: [
                "KeyportServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The load generator: speaks only the client-server API, so it drives any homeserver.
        .executableTarget(
            name: "keyport-bench",
            dependencies: [
                "MatrixModel", "MatrixSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The fuzz targets' checks: each parser of outside input with the properties it must keep.
        // libFuzzer drives them from Fuzz/; KeyportFuzzingTests replays the committed corpora.
        .target(
            name: "KeyportFuzzing",
            dependencies: [
                "MatrixModel", "KeyportServices", "KeyportFederation", "KeyportServer",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MatrixModelTests",
            dependencies: ["MatrixModel"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MatrixSigningTests",
            dependencies: ["MatrixModel", "MatrixSigning"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportStoreTests",
            dependencies: ["MatrixModel", "KeyportStore", "KeyportStoreSQLite"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportServicesTests",
            dependencies: ["MatrixModel", "MatrixSigning", "KeyportStore", "KeyportStoreSQLite", "KeyportServices"],
            swiftSettings: strictSettings
        ),
        // Helpers shared by test targets: real dnsmasq and a static HTTP server on loopback.
        .target(
            name: "KeyportTestSupport",
            dependencies: [
                "KeyportFederation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/KeyportTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportFederationTests",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportFederation", "KeyportServices", "KeyportStore",
                "KeyportTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportServerTests",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportServer", "KeyportServices", "KeyportStore",
                "KeyportStoreSQLite",
                "KeyportFederation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportFuzzingTests",
            dependencies: ["KeyportFuzzing"],
            swiftSettings: strictSettings
        ),
    ]
)

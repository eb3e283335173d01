// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// How SQLite is compiled: the options SQLite recommends for an application that owns its copy
/// (https://sqlite.org/compile.html#recommended_compile_time_options), what `./configure` would have
/// detected on Linux, and our defaults. Each connection is used by one thread at a time, opened with
/// `SQLITE_OPEN_NOMUTEX`; the library stays thread-safe (`SQLITE_THREADSAFE=1`) for its shared state.
let sqliteSettings: [CSetting] = [
    .define("SQLITE_THREADSAFE", to: "1"),
    .define("SQLITE_DEFAULT_WAL_SYNCHRONOUS", to: "1"),
    .define("SQLITE_DQS", to: "0"),
    .define("SQLITE_DEFAULT_MEMSTATUS", to: "0"),
    .define("SQLITE_LIKE_DOESNT_MATCH_BLOBS"),
    .define("SQLITE_OMIT_DEPRECATED"),
    .define("SQLITE_OMIT_SHARED_CACHE"),
    .define("SQLITE_OMIT_LOAD_EXTENSION"),
    .define("SQLITE_USE_ALLOCA"),
    // Without HAVE_USLEEP the busy handler sleeps whole seconds between retries.
    .define("HAVE_USLEEP", to: "1"),
    .define("HAVE_LOCALTIME_R", to: "1"),
    .define("HAVE_GMTIME_R", to: "1"),
    .define("HAVE_ISNAN", to: "1"),
    .define("HAVE_FDATASYNC", to: "1", .when(platforms: [.linux])),
    .define("HAVE_PREAD", to: "1", .when(platforms: [.linux])),
    .define("HAVE_PWRITE", to: "1", .when(platforms: [.linux])),
    .define("HAVE_STRCHRNUL", to: "1", .when(platforms: [.linux])),
]

let package = Package(
    name: "Keyport",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "keyport", targets: ["keyport"]),
        .executable(name: "keyport-bench", targets: ["keyport-bench"]),
        .executable(name: "keyport-bench-hello", targets: ["keyport-bench-hello"]),
        .executable(name: "keyport-client", targets: ["keyport-client"]),
        // For the libFuzzer executables of the Fuzz/ package, which depends on this one by path.
        .library(name: "KeyportFuzzing", targets: ["KeyportFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.7.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // Room events as Matrix defines them: room versions, PDUs, hashes, redaction, signing, auth
        // rules and state resolution. Pure rules, no I/O.
        .target(
            name: "MatrixRooms",
            dependencies: [
                "MatrixModel", "MatrixSigning",
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
        // SQLite itself, compiled from the amalgamation in the package: no system SQLite needed, and
        // one pinned version everywhere (Sources/CSQLite/README.md says where it comes from).
        .target(
            name: "CSQLite",
            exclude: ["README.md"],
            cSettings: sqliteSettings
        ),
        // A thin Swift layer over SQLite: connections on their own threads, statements, rows, a pool
        // of one writer and several readers in WAL mode, migrations. No Matrix and no Keyport types.
        .target(
            name: "KeyportSQLite",
            dependencies: ["CSQLite"],
            swiftSettings: strictSettings
        ),
        // The embedded engine: every store protocol on SQLite.
        .target(
            name: "KeyportStoreSQLite",
            dependencies: ["KeyportStore", "MatrixModel", "KeyportSQLite"],
            swiftSettings: strictSettings
        ),
        // The shared engine: every store protocol on PostgreSQL through postgres-nio, for several
        // Keyport processes on one database.
        .target(
            name: "KeyportStorePostgres",
            dependencies: [
                "KeyportStore", "MatrixModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Progress of long commands, on a terminal (one line redrawn) or in a log (a line now and
        // then): items done, total, rate, time left.
        .target(
            name: "KeyportProgress",
            swiftSettings: strictSettings
        ),
        // `keyport migrate-sqlite-to-postgres`: which tables are copied, the checks of both ends and
        // the progress; the engines read and write the rows (SQLiteExport, PostgresImport).
        .target(
            name: "KeyportStorePort",
            dependencies: [
                "KeyportStore", "KeyportStoreSQLite", "KeyportStorePostgres", "KeyportProgress", "MatrixModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The rules: accounts, devices, keys, cross-signing, streams.
        .target(
            name: "KeyportServices",
            dependencies: [
                "MatrixModel", "MatrixSigning", "MatrixRooms", "KeyportStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Server-to-server: discovery, X-Matrix signing, server keys, the outbound sender, inbound
        // transactions and the remote device-list cache. No HTTP server types.
        .target(
            name: "KeyportFederation",
            dependencies: [
                "MatrixModel", "MatrixSigning", "MatrixRooms", "KeyportStore", "KeyportServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // HTTP: Hummingbird routes, contexts, middleware, configuration, composition root.
        .target(
            name: "KeyportServer",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportStore", "KeyportStoreSQLite", "KeyportStorePostgres",
                "KeyportServices", "KeyportFederation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "keyport",
            dependencies: [
                "KeyportServer", "KeyportStorePort", "KeyportProgress", "MatrixModel", "MatrixRooms",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Client-side end-to-end encryption: Olm and Megolm on swift-crypto's primitives, checked
        // byte for byte against vodozemac. Pure value types, no I/O.
        .target(
            name: "KeyportClientCrypto",
            dependencies: [
                "MatrixModel", "MatrixSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // A Matrix client for any homeserver: login, the sync loop, device tracking, Olm to-device
        // messages, Megolm rooms, key requests and cross-signing, on AsyncHTTPClient and a KeyportSQLite
        // store that keeps crypto state and events together.
        .target(
            name: "KeyportClient",
            dependencies: [
                "KeyportClientCrypto", "KeyportSQLite", "MatrixModel", "MatrixSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The client's CLI: one command per run, one JSON object per line on stdout.
        .executableTarget(
            name: "keyport-client",
            dependencies: [
                "KeyportClient", "MatrixModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // JSON commands on stdin, JSON answers on stdout: the Swift side of scripts/crypto_oracle.sh,
        // which plays the other side with vodozemac.
        .executableTarget(
            name: "keyport-crypto-oracle",
            dependencies: ["KeyportClientCrypto", "MatrixModel"],
            swiftSettings: strictSettings
        ),
        // The load generator: speaks only the client-server API, so it drives any homeserver. The one
        // exception is the federation fan-out scenario, which is Keyport's alone: it plays a thousand
        // servers on loopback over TLS and writes their room memberships into Keyport's SQLite file.
        .executableTarget(
            name: "keyport-bench",
            dependencies: [
                "MatrixModel", "MatrixSigning", "KeyportStore", "KeyportStoreSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        // A bare Hummingbird hello-world: the ceiling bench/run.sh compares the no-op scenarios with.
        .executableTarget(
            name: "keyport-bench-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
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
            name: "MatrixRoomsTests",
            dependencies: ["MatrixModel", "MatrixSigning", "MatrixRooms"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportSQLiteTests",
            dependencies: ["KeyportSQLite"],
            swiftSettings: strictSettings
        ),
        // The store conformance suite as a library: every engine's test target runs it unchanged.
        .target(
            name: "KeyportStoreConformance",
            dependencies: ["MatrixModel", "KeyportStore"],
            path: "Tests/KeyportStoreConformance",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportStoreTests",
            dependencies: ["MatrixModel", "KeyportStore", "KeyportStoreSQLite", "KeyportStoreConformance"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // A fresh database per check on the PostgreSQL named by KEYPORT_TEST_POSTGRES
        // (scripts/postgres_cluster.sh makes a throwaway one), for every PostgreSQL test target.
        .target(
            name: "KeyportPostgresTestSupport",
            dependencies: [
                "KeyportStorePostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KeyportPostgresTestSupport",
            swiftSettings: strictSettings
        ),
        // The conformance suite and the race regressions on a real PostgreSQL.
        .testTarget(
            name: "KeyportStorePostgresTests",
            dependencies: [
                "MatrixModel", "KeyportStore", "KeyportStorePostgres", "KeyportStoreConformance",
                "KeyportPostgresTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The SQLite-to-PostgreSQL port: the plan against the SQLite schema, and on a real
        // PostgreSQL the copy read back through both stores, and the refusals.
        .testTarget(
            name: "KeyportStorePortTests",
            dependencies: [
                "KeyportStorePort", "KeyportStore", "KeyportStoreSQLite", "KeyportSQLite", "KeyportStorePostgres",
                "KeyportProgress", "KeyportStoreConformance", "KeyportPostgresTestSupport", "MatrixModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportProgressTests",
            dependencies: ["KeyportProgress"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportServicesTests",
            dependencies: [
                "MatrixModel", "MatrixSigning", "MatrixRooms", "KeyportStore", "KeyportStoreSQLite", "KeyportServices",
                "KeyportSQLite", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers shared by test targets: an in-process DNS responder, real dnsmasq for the interop
        // step, a static HTTP server on loopback, certificates made in Swift, scoped HTTP clients.
        .target(
            name: "KeyportTestSupport",
            dependencies: [
                "KeyportFederation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
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
                "MatrixModel", "MatrixSigning", "MatrixRooms", "KeyportServer", "KeyportServices", "KeyportStore",
                "KeyportStoreSQLite",
                "KeyportFederation", "KeyportTestSupport",
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
            name: "KeyportClientCryptoTests",
            dependencies: ["KeyportClientCrypto", "MatrixModel", "MatrixSigning"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportClientTests",
            dependencies: ["KeyportClient", "KeyportClientCrypto", "KeyportSQLite", "MatrixModel", "MatrixSigning"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyportFuzzingTests",
            dependencies: ["KeyportFuzzing"],
            swiftSettings: strictSettings
        ),
    ]
)
